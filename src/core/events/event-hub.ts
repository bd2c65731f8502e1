import type { EventName, EventPayload } from '../../shared/contract';
import type { EventArgs, EventListener } from '../../shared/client';

export type { EventListener };
export type EmitEvent = <K extends EventName>(name: K, payload: EventPayload<K>) => void;

/** Fans core events out to every transport (IPC, WebSocket, CLI). A failing listener never stops the others. */
export class EventHub {
  readonly #listeners = new Set<EventListener>();

  readonly emit: EmitEvent = (name, payload) => {
    // A generic (name, payload) pair is one of the EventArgs, which TypeScript cannot see for a type parameter.
    const event = [name, payload] as EventArgs;
    for (const listener of this.#listeners) {
      try {
        listener(...event);
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
