import type { BurrowBridge, EventName, EventPayload, ProcedureName } from '../../shared/contract';
import type { Result } from '../../shared/errors';
import type { ServerMessage } from '../../shared/wire';

type Pending = (result: Result<unknown>) => void;

/**
 * Bridge over the browser host's WebSocket. The token comes from the page address the host
 * printed (`?token=…`) and goes on the WebSocket upgrade only — the host sets no cookie.
 * When the connection drops, every pending request is answered with an error the UI can
 * show — nothing hangs — and the bridge reconnects.
 */
export function createWebSocketBridge(): BurrowBridge {
  const token = new URLSearchParams(location.search).get('token') ?? '';
  const listeners = new Map<string, Set<(payload: unknown) => void>>();
  const pending = new Map<number, Pending>();
  const queue: string[] = [];
  let nextId = 0;
  let socket: WebSocket | undefined;
  let retryMs = 250;

  function connect(): void {
    const url = `${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}/rpc?token=${encodeURIComponent(token)}`;
    const ws = new WebSocket(url);
    socket = ws;
    ws.addEventListener('open', () => {
      retryMs = 250;
      for (const message of queue.splice(0)) ws.send(message);
    });
    ws.addEventListener('message', (event: MessageEvent<string>) => {
      let message: ServerMessage;
      try {
        message = JSON.parse(event.data) as ServerMessage;
      } catch {
        return;
      }
      if (message.type === 'result') {
        pending.get(message.id)?.(message.result as Result<unknown>);
        pending.delete(message.id);
      } else if (message.type === 'event') {
        for (const listener of listeners.get(message.name) ?? []) listener(message.payload);
      }
    });
    ws.addEventListener('close', () => {
      for (const [id, settle] of pending) {
        settle({ ok: false, error: { code: 'engine_stopped', message: 'Lost the connection to Burrow. Reconnecting…' } });
        pending.delete(id);
      }
      socket = undefined;
      setTimeout(connect, retryMs);
      retryMs = Math.min(retryMs * 2, 5000);
    });
  }
  connect();

  return {
    invoke(name: ProcedureName, input: unknown) {
      const id = nextId++;
      const text = JSON.stringify({ type: 'invoke', id, name, input });
      return new Promise((resolve) => {
        pending.set(id, resolve as Pending);
        if (socket?.readyState === WebSocket.OPEN) socket.send(text);
        else queue.push(text);
      });
    },
    on<K extends EventName>(name: K, listener: (payload: EventPayload<K>) => void) {
      let set = listeners.get(name);
      if (!set) listeners.set(name, (set = new Set()));
      const wrapped = listener as (payload: unknown) => void;
      set.add(wrapped);
      return () => set.delete(wrapped);
    },
  } as BurrowBridge;
}
