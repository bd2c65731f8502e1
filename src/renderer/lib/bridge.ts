/**
 * The renderer's only way to the core. In Electron, preload puts `window.burrow` there.
 * In the browser host, the same interface is built over a loopback WebSocket.
 */
import type { BurrowBridge, EventName, EventPayload, ProcedureInput, ProcedureName, ProcedureOutput } from '../../shared/contract';
import type { Result } from '../../shared/errors';
import { createWebSocketBridge } from './ws-bridge';

declare global {
  interface Window {
    burrow?: BurrowBridge;
  }
}

let bridge: BurrowBridge | undefined;

export function getBridge(): BurrowBridge {
  bridge ??= window.burrow ?? createWebSocketBridge();
  return bridge;
}

export function invoke<K extends ProcedureName>(name: K, input: ProcedureInput<K>): Promise<Result<ProcedureOutput<K>>> {
  return getBridge().invoke(name, input);
}

export function on<K extends EventName>(name: K, listener: (payload: EventPayload<K>) => void): () => void {
  return getBridge().on(name, listener);
}

/** True in the browser host (the loopback WebSocket, with its message-size limit), false in the app. */
export function isBrowserHost(): boolean {
  getBridge();
  return window.burrow === undefined;
}
