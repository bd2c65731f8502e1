/**
 * Turns `chat.send` into a saved user message, a streamed answer and a saved reply.
 * The user's message is written before generation starts; the answer is saved at least
 * every second while it streams and once more when it ends, whatever the reason.
 */
import { randomUUID } from 'node:crypto';
import type { GenerationEndReason, GenerationStats, Message, ProcedureOutput } from '../../shared/contract';
import { BurrowError, toErrorValue, type ErrorValue } from '../../shared/errors';
import type { EngineHost } from '../engine/engine-host';
import type { ChatTurn } from '../engine/types';
import type { ConversationStore } from '../store/conversations';
import type { EmitEvent } from '../events';

export interface ChatServiceOptions {
  conversations: ConversationStore;
  engine: EngineHost;
  emit: EmitEvent;
  /** Makes sure a model is loaded (loading the last used one if needed); throws 'no_model' otherwise. */
  ensureModel: () => Promise<void>;
  /** Whether a model is loaded or can be loaded without asking the user. */
  hasModel: () => boolean;
  /** At most one delta event per this many ms (one animation frame). */
  deltaIntervalMs?: number;
  /** The streaming answer is written to disk at least this often. */
  saveIntervalMs?: number;
}

interface RunningGeneration {
  conversationId: string;
  controller: AbortController;
  done: Promise<void>;
}

const DEFAULT_TITLE = 'New chat';
const TITLE_CHARS = 60;

export class ChatService {
  readonly #options: Required<ChatServiceOptions>;
  readonly #running = new Map<string, RunningGeneration>();

  constructor(options: ChatServiceOptions) {
    this.#options = { deltaIntervalMs: 16, saveIntervalMs: 1000, ...options };
  }

  send(conversationId: string, text: string): ProcedureOutput<'chat.send'> {
    const { conversations } = this.#options;
    const { conversation, messages } = conversations.get(conversationId);
    for (const running of this.#running.values()) {
      if (running.conversationId === conversationId) {
        throw new BurrowError('busy', 'Burrow is still answering in this conversation. Stop the answer or wait for it to finish.');
      }
    }
    if (!this.#options.hasModel()) {
      throw new BurrowError('no_model', 'No model is loaded. Open a .gguf model file to start chatting.');
    }

    const history = toHistory(messages);
    const userMessage = conversations.addMessage({ conversationId, role: 'user', content: text, status: 'complete' });
    if (conversation.title === DEFAULT_TITLE && messages.length === 0) {
      conversations.rename(conversationId, titleFrom(text));
    }
    const assistantMessage = conversations.addMessage({ conversationId, role: 'assistant', content: '', status: 'streaming' });
    this.#options.emit('conversations.changed', { id: conversationId });

    const generationId = randomUUID();
    const controller = new AbortController();
    const done = this.#run({ generationId, conversationId, messageId: assistantMessage.id, history, prompt: text, controller });
    this.#running.set(generationId, { conversationId, controller, done });
    return { generationId, userMessage, assistantMessage };
  }

  cancel(generationId: string): boolean {
    const running = this.#running.get(generationId);
    if (!running) return false;
    running.controller.abort();
    return true;
  }

  /** Answers being written in a conversation, with a promise that settles once each is saved. */
  runningFor(conversationId: string): Array<[generationId: string, saved: Promise<void>]> {
    return [...this.#running].filter(([, running]) => running.conversationId === conversationId).map(([id, running]) => [id, running.done]);
  }

  /** Stops every answer and waits until each one is saved. */
  async stopAll(): Promise<void> {
    const all = [...this.#running.values()];
    for (const running of all) running.controller.abort();
    await Promise.allSettled(all.map((running) => running.done));
  }

  async #run(job: {
    generationId: string;
    conversationId: string;
    messageId: string;
    history: ChatTurn[];
    prompt: string;
    controller: AbortController;
  }): Promise<void> {
    const { conversations, engine, emit, deltaIntervalMs, saveIntervalMs } = this.#options;
    const { generationId, conversationId, messageId } = job;
    let text = '';
    let unsent = '';
    let seq = 0;
    let savedLength = 0;
    let lastSave = Date.now();
    let flushTimer: ReturnType<typeof setTimeout> | undefined;

    const save = (fields: Partial<Pick<Message, 'status' | 'error'>> = {}): void => {
      conversations.updateMessage(messageId, { content: text, ...fields });
      savedLength = text.length;
      lastSave = Date.now();
    };
    const flush = (): void => {
      flushTimer = undefined;
      if (unsent.length > 0) {
        emit('generation.delta', { generationId, seq: seq++, text: unsent });
        unsent = '';
      }
      if (text.length !== savedLength && Date.now() - lastSave >= saveIntervalMs) save();
    };

    let reason: GenerationEndReason = 'done';
    let error: ErrorValue | undefined;
    let stats: GenerationStats | undefined;
    try {
      await this.#options.ensureModel();
      if (job.controller.signal.aborted) {
        reason = 'cancelled';
      } else {
        const result = await engine.generate({
          sessionKey: conversationId,
          history: job.history,
          prompt: job.prompt,
          signal: job.controller.signal,
          onText: (chunk) => {
            text += chunk;
            unsent += chunk;
            flushTimer ??= setTimeout(flush, deltaIntervalMs);
          },
        });
        // The engine's final text is authoritative (chunks may split multi-byte characters).
        text = result.text;
        reason = result.reason;
        stats = result.stats;
      }
    } catch (caught) {
      reason = 'error';
      error = toErrorValue(caught);
    } finally {
      if (flushTimer) clearTimeout(flushTimer);
      flush();
      try {
        save({ status: reason === 'done' ? 'complete' : reason === 'cancelled' ? 'cancelled' : 'error', error: error?.message ?? null });
      } catch (saveError) {
        reason = 'error';
        error = toErrorValue(saveError);
      }
      this.#running.delete(generationId);
      emit('generation.end', { generationId, conversationId, messageId, reason, ...(error ? { error } : {}), ...(stats ? { stats } : {}) });
      emit('conversations.changed', { id: conversationId });
    }
  }
}

/** The turns the model sees: earlier messages with text, in order. */
function toHistory(messages: Message[]): ChatTurn[] {
  return messages.filter((message) => message.content.length > 0).map((message) => ({ role: message.role, text: message.content }));
}

function titleFrom(text: string): string {
  const oneLine = text.replace(/\s+/g, ' ').trim();
  return oneLine.length <= TITLE_CHARS ? oneLine : `${oneLine.slice(0, TITLE_CHARS - 1).trimEnd()}…`;
}
