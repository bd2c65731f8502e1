/**
 * The renderer's only way to the core. In Electron, preload puts `window.burrow` there.
 * In the browser host, the same interface is built over a loopback WebSocket.
 */
import type { BurrowBridge, EventName, EventPayload, ProcedureInput, ProcedureName, ProcedureOutput } from '../../shared/contract';
import { createClient, type Client } from '../../shared/client';
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

let client: Client | undefined;

/** The typed client over this page's bridge: one per page, so generations are followed from its start. */
export function getClient(): Client {
  client ??= createClient(getBridge());
  return client;
}

export function invoke<K extends ProcedureName>(name: K, input: ProcedureInput<K>): Promise<Result<ProcedureOutput<K>>> {
  return getClient().invoke(name, input);
}

export function on<K extends EventName>(name: K, listener: (payload: EventPayload<K>) => void): () => void {
  return getClient().on(name, listener);
}

/** True in the browser host (the loopback WebSocket, with its message-size limit), false in the app. */
export function isBrowserHost(): boolean {
  getBridge();
  return window.burrow === undefined;
}
