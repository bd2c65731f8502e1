/** Which page the main area shows: the chat, the model library, or the settings. */
export type MainView = 'chat' | 'models' | 'settings';

export class ViewState {
  #current = $state<MainView>('chat');

  get current(): MainView {
    return this.#current;
  }

  show(view: MainView): void {
    this.#current = view;
  }
}
