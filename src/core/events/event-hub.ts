import type { EventName, EventPayload } from '../../shared/contract';

export type EmitEvent = <K extends EventName>(name: K, payload: EventPayload<K>) => void;
export type EventListener = (name: EventName, payload: unknown) => void;

/** Fans core events out to every transport (IPC, WebSocket, CLI). A failing listener never stops the others. */
export class EventHub {
  readonly #listeners = new Set<EventListener>();

  readonly emit: EmitEvent = (name, payload) => {
    for (const listener of this.#listeners) {
      try {
        listener(name, payload);
      } catch (error) {
        console.error(`[burrow] event listener for ${name} failed:`, error);
      }
    }
  };

  subscribe(listener: EventListener): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }
}
