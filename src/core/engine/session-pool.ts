/**
 * One LlamaChatSession per conversation, each on its own context sequence, so a follow-up
 * turn only evaluates the new tokens: the KV cache of everything before is still there.
 * A context has a fixed number of sequences; beyond that the least recently used session
 * is disposed (its conversation is rebuilt from history, at full cost, if it comes back).
 */
import { LlamaChatSession, type ChatHistoryItem, type ChatWrapper, type LlamaContext, type LlamaContextSequence, type Token } from 'node-llama-cpp';
import type { StateStore } from './state-store';
import { PREPARE_SKIPPED, type ChatTurn, type PrepareResult } from './types';

/** Saved evaluation state on disk (state-store.ts): sessions leaving memory are saved, and come back from it. */
export interface SessionPersistence {
  store: StateStore;
  /** Everything the KV cache depends on (model identity, context settings). */
  key: string;
  /** The conversation's tokens as the model would see them. */
  tokensOf: (history: readonly ChatTurn[], systemPrompt: string | undefined) => Token[];
  log: (message: string) => void;
}

export interface SessionEntry {
  sequence: LlamaContextSequence;
  session: LlamaChatSession;
  /** The turns the session holds, or null when unknown (new, or a turn failed midway). */
  turns: ChatTurn[] | null;
  /** The system prompt the session's history starts with. */
  systemPrompt: string | undefined;
  /** Its KV cache changed since it was last saved to disk. */
  dirty: boolean;
  /** Tokens that came from a saved state when the session was created (0: none). */
  restoredTokens: number;
}

export class SessionPool {
  #context: LlamaContext;
  #chatWrapper: ChatWrapper;
  #defaultSystemPrompt: string | undefined;
  #persistence: SessionPersistence | null;
  /** Frees a sequence held outside the pool (the direct answers') when the pool has none of its own to free. */
  reclaim: (() => Promise<void>) | null = null;
  /** Map order is recency order: the first entry is the least recently used. */
  #entries = new Map<string, SessionEntry>();

  /**
   * `chatWrapper` is resolved once per model: resolving it (from the GGUF's chat template)
   * renders the template many times and took ~1.5 s per session when left to each session.
   */
  constructor(context: LlamaContext, chatWrapper: ChatWrapper, systemPrompt: string | undefined, persistence: SessionPersistence | null = null) {
    this.#context = context;
    this.#chatWrapper = chatWrapper;
    this.#defaultSystemPrompt = systemPrompt;
    this.#persistence = persistence;
  }

  get size(): number {
    return this.#entries.size;
  }

  /**
   * The session for `key`, holding exactly `history`. When the kept session already holds it
   * (the usual follow-up turn) it is used as is; otherwise its history is replaced, and
   * node-llama-cpp still reuses whatever prefix of tokens the sequence has in common.
   * `systemPrompt` (the conversation's own) replaces the pool's default; changing it restarts the history.
   */
  async acquire(key: string, history: ChatTurn[], systemPrompt: string | undefined = this.#defaultSystemPrompt): Promise<SessionEntry> {
    let entry = this.#entries.get(key);
    if (entry !== undefined) {
      this.#entries.delete(key);
      if (isSavedSession(key)) this.#persistence?.log(`kept in memory: the session holds ${entry.sequence.contextTokens.length} tokens`);
    } else {
      if (this.#context.sequencesLeft === 0) await this.#evictOldest();
      const sequence = this.#context.getSequence();
      const restoredTokens = await this.#restore(key, sequence, history, systemPrompt);
      entry = { sequence, session: new LlamaChatSession({ contextSequence: sequence, chatWrapper: this.#chatWrapper }), turns: null, systemPrompt, dirty: false, restoredTokens };
    }
    this.#entries.set(key, entry);
    if (entry.turns === null || entry.systemPrompt !== systemPrompt || !sameTurns(entry.turns, history)) {
      entry.session.setChatHistory(toChatHistory(history, systemPrompt));
      entry.turns = history.slice();
      entry.systemPrompt = systemPrompt;
    }
    return entry;
  }

  /**
   * Has `key`'s session ready for its next turn, `history` being the conversation so far: a
   * session in memory stays (made the most recently used); one with a saved state is restored
   * now (freeing the least recently used sequence if none is left, as a turn would). One with
   * nothing saved is left alone: evaluating a whole history the user may never add to is not
   * worth a sequence, and the seconds it takes on a CPU.
   */
  async prepare(key: string, history: ChatTurn[], systemPrompt: string | undefined = this.#defaultSystemPrompt): Promise<PrepareResult> {
    const kept = this.#entries.get(key);
    if (kept !== undefined) {
      this.#entries.delete(key);
      this.#entries.set(key, kept);
      return { outcome: 'kept', tokens: kept.sequence.contextTokens.length };
    }
    const persistence = this.#persistence;
    if (persistence === null || history.length === 0 || !isSavedSession(key)) return PREPARE_SKIPPED;
    if (!persistence.store.has(key, persistence.key, persistence.tokensOf(history, systemPrompt))) return PREPARE_SKIPPED;
    const entry = await this.acquire(key, history, systemPrompt);
    return entry.restoredTokens > 0 ? { outcome: 'restored', tokens: entry.restoredTokens } : PREPARE_SKIPPED;
  }

  /** Saves every session, then frees them (a model unload or switch, or the app quitting). */
  async dispose(): Promise<void> {
    await this.saveChanged();
    const entries = [...this.#entries.values()];
    this.#entries.clear();
    for (const entry of entries) await disposeEntry(entry);
  }

  /** Saves the sessions whose KV cache changed since their last save. Never throws. */
  async saveChanged(): Promise<void> {
    for (const [key, entry] of this.#entries) await this.#save(key, entry);
  }

  /** A conversation that was deleted: its session and its saved state go. */
  async forget(key: string): Promise<void> {
    const entry = this.#entries.get(key);
    this.#entries.delete(key);
    if (entry !== undefined) await disposeEntry(entry);
    this.#persistence?.store.delete(key);
  }

  /** Frees the least recently used session's sequence (saving it first), for another user of the context. */
  async evictOne(): Promise<void> {
    await this.#evictOldest();
  }

  async #evictOldest(): Promise<void> {
    const oldest = this.#entries.entries().next();
    if (oldest.done === true) {
      await this.reclaim?.();
      return;
    }
    const [key, entry] = oldest.value;
    this.#entries.delete(key);
    await this.#save(key, entry);
    await disposeEntry(entry);
  }

  async #save(key: string, entry: SessionEntry): Promise<void> {
    const persistence = this.#persistence;
    if (persistence === null || !entry.dirty || !isSavedSession(key)) return;
    try {
      const started = performance.now();
      await persistence.store.save(key, persistence.key, entry.sequence);
      entry.dirty = false;
      persistence.log(`saved the state of ${entry.sequence.contextTokens.length} tokens in ${(performance.now() - started).toFixed(0)} ms`);
    } catch (error) {
      // A full disk or a read-only folder costs the speed-up, never the answer.
      persistence.log(`could not save a conversation's state: ${error instanceof Error ? error.message : String(error)}`);
    }
  }

  async #restore(key: string, sequence: LlamaContextSequence, history: readonly ChatTurn[], systemPrompt: string | undefined): Promise<number> {
    const persistence = this.#persistence;
    if (persistence === null || history.length === 0 || !isSavedSession(key)) return 0;
    try {
      const started = performance.now();
      const result = await persistence.store.restore(key, persistence.key, sequence, persistence.tokensOf(history, systemPrompt));
      persistence.log(
        result.reusedTokens > 0
          ? `restored ${result.reusedTokens} tokens from the saved state in ${(performance.now() - started).toFixed(0)} ms`
          : `re-evaluating the conversation: ${result.reason ?? 'no saved state'}`,
      );
      return result.reusedTokens;
    } catch (error) {
      persistence.log(`re-evaluating the conversation: ${error instanceof Error ? error.message : String(error)}`);
      return 0;
    }
  }
}

async function disposeEntry(entry: SessionEntry): Promise<void> {
  entry.session.dispose({ disposeSequence: false });
  // Disposing the sequence hands its slot (and KV cells) back to the context.
  await entry.sequence.dispose();
}

/**
 * Conversations (keyed by their id) are saved to disk; working sessions such as a document's
 * summary (`document:<id>`) are not: their text would outlive the conversation in a file no
 * deletion knows of, and they are never reopened.
 */
export function isSavedSession(key: string): boolean {
  return !key.includes(':');
}

function sameTurns(a: readonly ChatTurn[], b: readonly ChatTurn[]): boolean {
  return a.length === b.length && a.every((turn, i) => turn.role === b[i]?.role && turn.text === b[i]?.text);
}

export function toChatHistory(turns: readonly ChatTurn[], systemPrompt: string | undefined): ChatHistoryItem[] {
  const items: ChatHistoryItem[] = systemPrompt ? [{ type: 'system', text: systemPrompt }] : [];
  for (const turn of turns) {
    items.push(turn.role === 'user' ? { type: 'user', text: turn.text } : { type: 'model', response: [turn.text] });
  }
  return items;
}
