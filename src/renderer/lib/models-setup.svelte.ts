/**
 * The model side of the window: the library, downloads, drag-and-drop imports and the Models
 * page, put in context for every component, and what happens when a new model arrives (a
 * finished download, a dropped file): it is loaded if no model is, and a chat opens.
 * Call once, while App initialises.
 */
import type { ChatState } from './chat-state.svelte';
import { Downloads } from './downloads.svelte';
import type { Engine } from './engine.svelte';
import { Library } from './library.svelte';
import { ModelImporter } from './model-import.svelte';
import { setDownloads, setImporter, setLibrary, setView } from './models-context';
import type { Toasts } from './toasts.svelte';
import { ViewState } from './view.svelte';

export interface ModelsSetup {
  readonly view: ViewState;
  readonly library: Library;
  readonly downloads: Downloads;
  readonly importer: ModelImporter;
  /** No usable model on this computer and none loaded: the first-run screen. */
  readonly firstRun: boolean;
  /** Subscribes to the core's events; returns the unsubscribe. */
  connect(): () => void;
  /** A file dropped on the window. */
  importFile(file: File): Promise<void>;
}

export function setUpModels({ toasts, engine, chat }: { toasts: Toasts; engine: Engine; chat: ChatState }): ModelsSetup {
  const view = setView(new ViewState());
  const library = setLibrary(new Library(toasts));
  const importer = setImporter(new ModelImporter());

  /** Loads a model that just arrived when nothing else is loaded, then opens a chat with it. */
  async function startUsing(path: string, name: string): Promise<void> {
    await library.refresh();
    if (engine.status.model !== null || engine.busy) {
      toasts.info(`${name} is in your library`, 'Load it from Models whenever you like.');
      return;
    }
    const result = await library.load(path);
    if (!result.ok) {
      // Other errors are already shown by library.load.
      if (result.error.code === 'insufficient_memory') toasts.error(result.error);
      return;
    }
    view.show('chat');
    if (chat.openConversation === null) await chat.create();
  }

  const downloads = setDownloads(
    new Downloads(toasts, (status) => {
      if (status.path !== null) void startUsing(status.path, status.name);
    }),
  );

  const firstRun = $derived(library.loaded && engine.known && library.usable.length === 0 && engine.status.model === null);

  // Opening a conversation (from the sidebar, a new chat) brings the chat back.
  $effect(() => {
    if (chat.openId !== null) view.show('chat');
  });

  return {
    view,
    library,
    downloads,
    importer,
    get firstRun() {
      return firstRun;
    },
    connect() {
      const offs = [library.connect(), downloads.connect()];
      return () => offs.forEach((off) => off());
    },
    async importFile(file) {
      const model = await importer.importFile(file);
      if (model !== null) await startUsing(model.path, model.name);
    },
  };
}
