import type { Transport } from '../../src/shared/client';
import type { EventName } from '../../src/shared/contract';
import type { Result } from '../../src/shared/errors';

/** A transport for tests of the client and the state built on it: answers calls as told, emits events on demand. */
export class FakeTransport implements Transport {
  /** The procedures called, in order. */
  readonly calls: string[] = [];
  readonly listeners = new Map<string, Set<(payload: unknown) => void>>();

  answer(_name: string, _input: unknown): Result<unknown> {
    return { ok: true, value: null };
  }
  invoke(name: string, input: unknown): Promise<Result<unknown>> {
    this.calls.push(name);
    return Promise.resolve(this.answer(name, input));
  }
  on(name: EventName, listener: (payload: unknown) => void): () => void {
    let set = this.listeners.get(name);
    if (!set) this.listeners.set(name, (set = new Set()));
    set.add(listener);
    return () => set.delete(listener);
  }
  emit(name: EventName, payload: unknown): void {
    for (const listener of this.listeners.get(name) ?? []) listener(payload);
  }
}
