/**
 * The one client of the contract. Every face (the renderer over IPC or the loopback WebSocket,
 * the quick prompt, the CLI, the bench, the tests) builds it over a transport that only moves
 * (procedure, input) and (event, payload), and gets typed calls, typed events and the
 * generation streams without solving the early-event race again.
 */
import type { EventName, EventPayload, ProcedureInput, ProcedureName, ProcedureOutput } from './contract';
import { DeltaBuffer } from './delta-buffer';
import { BurrowError, type Result } from './errors';

/** One event as a (name, payload) pair; switching on the name narrows the payload. */
export type EventArgs = { [K in EventName]: [name: K, payload: EventPayload<K>] }[EventName];
/** Hears every event (core's subscribe, the transports that forward all of them). */
export type EventListener = (...event: EventArgs) => void;

export type GenerationDelta = EventPayload<'generation.delta'>;
export type GenerationEnd = EventPayload<'generation.end'>;

/** What a host provides: the router's answer for a call, and the events of one name. */
export interface Transport {
  invoke(name: ProcedureName, input: unknown): Promise<Result<unknown>>;
  on(name: EventName, listener: (payload: unknown) => void): () => void;
}

export interface GenerationHandlers {
  /**
   * The answer grew: the delta that made it grow and the whole answer so far, in `seq` order
   * (duplicates dropped; a delta that fills a gap releases the ones after it in one call).
   */
  onDelta?: (delta: GenerationDelta, text: string) => void;
}

export interface Client {
  /** Calls a procedure; an error travels as a value, for faces that show it. */
  invoke<K extends ProcedureName>(name: K, input: ProcedureInput<K>): Promise<Result<ProcedureOutput<K>>>;
  /** Calls a procedure; an error value is thrown as a BurrowError with its code. */
  call<K extends ProcedureName>(name: K, input: ProcedureInput<K>): Promise<ProcedureOutput<K>>;
  on<K extends EventName>(name: K, listener: (payload: EventPayload<K>) => void): () => void;
  /**
   * Follows one generation to its end: deltas that arrived before the call that started it
   * answered are replayed first, then the rest as they come. Resolves with generation.end,
   * which the core always sends.
   */
  followGeneration(generationId: string, handlers?: GenerationHandlers): Promise<GenerationEnd>;
  /** Stops listening (followers that have not ended never resolve). */
  close(): void;
}

/**
 * Generations nobody follows yet whose events are kept: a few, since one is followed as soon as
 * the call that started it answers; the rest belong to other windows and are dropped oldest first.
 */
const UNFOLLOWED_LIMIT = 8;

interface Unfollowed {
  deltas: GenerationDelta[];
  end: GenerationEnd | null;
}

interface Follower {
  buffer: DeltaBuffer;
  handlers: GenerationHandlers;
  resolve: (end: GenerationEnd) => void;
}

export function createClient(transport: Transport): Client {
  const on = <K extends EventName>(name: K, listener: (payload: EventPayload<K>) => void): (() => void) =>
    transport.on(name, listener as (payload: unknown) => void);
  const invoke = <K extends ProcedureName>(name: K, input: ProcedureInput<K>): Promise<Result<ProcedureOutput<K>>> =>
    transport.invoke(name, input) as Promise<Result<ProcedureOutput<K>>>;

  const unfollowed = new Map<string, Unfollowed>();
  const followers = new Map<string, Follower>();

  const remember = (generationId: string): Unfollowed => {
    let entry = unfollowed.get(generationId);
    if (entry === undefined) {
      const oldest = unfollowed.keys().next();
      if (unfollowed.size >= UNFOLLOWED_LIMIT && oldest.done !== true) unfollowed.delete(oldest.value);
      entry = { deltas: [], end: null };
      unfollowed.set(generationId, entry);
    }
    return entry;
  };
  const deliverDelta = (follower: Follower, delta: GenerationDelta): void => {
    if (follower.buffer.push(delta.seq, delta.text)) follower.handlers.onDelta?.(delta, follower.buffer.text);
  };
  const deliverEnd = (follower: Follower, end: GenerationEnd): void => {
    followers.delete(end.generationId);
    follower.resolve(end);
  };

  const offs = [
    on('generation.delta', (delta) => {
      const follower = followers.get(delta.generationId);
      if (follower) deliverDelta(follower, delta);
      else remember(delta.generationId).deltas.push(delta);
    }),
    on('generation.end', (end) => {
      const follower = followers.get(end.generationId);
      if (follower) deliverEnd(follower, end);
      else remember(end.generationId).end = end;
    }),
  ];

  return {
    invoke,
    async call(name, input) {
      const result = await invoke(name, input);
      if (!result.ok) throw new BurrowError(result.error.code, result.error.message);
      return result.value;
    },
    on,
    followGeneration(generationId, handlers = {}) {
      return new Promise((resolve) => {
        const follower: Follower = { buffer: new DeltaBuffer(), handlers, resolve };
        followers.set(generationId, follower);
        const early = unfollowed.get(generationId);
        unfollowed.delete(generationId);
        for (const delta of early?.deltas ?? []) deliverDelta(follower, delta);
        if (early?.end) deliverEnd(follower, early.end);
      });
    },
    close() {
      for (const off of offs.splice(0)) off();
      unfollowed.clear();
    },
  };
}
