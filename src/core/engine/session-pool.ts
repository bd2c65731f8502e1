/**
 * One LlamaChatSession per conversation, each on its own context sequence, so a follow-up
 * turn only evaluates the new tokens: the KV cache of everything before is still there.
 * A context has a fixed number of sequences; beyond that the least recently used session
 * is disposed (its conversation is rebuilt from history, at full cost, if it comes back).
 */
import { LlamaChatSession, type ChatHistoryItem, type ChatWrapper, type LlamaContext, type LlamaContextSequence } from 'node-llama-cpp';
import type { ChatTurn } from './types';

export interface SessionEntry {
  sequence: LlamaContextSequence;
  session: LlamaChatSession;
  /** The turns the session holds, or null when unknown (new, or a turn failed midway). */
  turns: ChatTurn[] | null;
  /** The system prompt the session's history starts with. */
  systemPrompt: string | undefined;
}

export class SessionPool {
  #context: LlamaContext;
  #chatWrapper: ChatWrapper;
  #defaultSystemPrompt: string | undefined;
  /** Map order is recency order: the first entry is the least recently used. */
  #entries = new Map<string, SessionEntry>();

  /**
   * `chatWrapper` is resolved once per model: resolving it (from the GGUF's chat template)
   * renders the template many times and took ~1.5 s per session when left to each session.
   */
  constructor(context: LlamaContext, chatWrapper: ChatWrapper, systemPrompt: string | undefined) {
    this.#context = context;
    this.#chatWrapper = chatWrapper;
    this.#defaultSystemPrompt = systemPrompt;
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
    } else {
      if (this.#context.sequencesLeft === 0) await this.#evictOldest();
      const sequence = this.#context.getSequence();
      entry = { sequence, session: new LlamaChatSession({ contextSequence: sequence, chatWrapper: this.#chatWrapper }), turns: null, systemPrompt };
    }
    this.#entries.set(key, entry);
    if (entry.turns === null || entry.systemPrompt !== systemPrompt || !sameTurns(entry.turns, history)) {
      entry.session.setChatHistory(toChatHistory(history, systemPrompt));
      entry.turns = history.slice();
      entry.systemPrompt = systemPrompt;
    }
    return entry;
  }

  async dispose(): Promise<void> {
    const entries = [...this.#entries.values()];
    this.#entries.clear();
    for (const entry of entries) await disposeEntry(entry);
  }

  async #evictOldest(): Promise<void> {
    const oldest = this.#entries.entries().next();
    if (oldest.done === true) return;
    const [key, entry] = oldest.value;
    this.#entries.delete(key);
    await disposeEntry(entry);
  }
}

async function disposeEntry(entry: SessionEntry): Promise<void> {
  entry.session.dispose({ disposeSequence: false });
  // Disposing the sequence hands its slot (and KV cells) back to the context.
  await entry.sequence.dispose();
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
