/**
 * Turns `chat.send`, `chat.edit`, `chat.regenerate` and `chat.continue` into saved messages, a
 * streamed answer and a saved reply. The question and the empty answer are written together before generation
 * starts; the answer is saved at least every second while it streams and once more when it
 * ends, whatever the reason. A save the disk refuses never stops the stream or crashes
 * anything: the text is held here until `retrySave` succeeds.
 */
import { randomUUID } from 'node:crypto';
import type { AppliedAdapter, ChatStarted, FinishReason, GenerationEndReason, GenerationStats, Message, MessageStatus } from '../../shared/contract';
import { END_STATUS } from '../../shared/message-status';
import { noModelError } from '../engine/no-model';
import { BurrowError, toErrorValue, type ErrorValue } from '../../shared/errors';
import { MAX_GENERATIONS } from '../../shared/limits';
import type { EngineHost } from '../engine/engine-host';
import { PREPARE_SKIPPED, type ChatTurn, type GenerateOptions, type PrepareResult } from '../engine/types';
import { DEFAULT_CONVERSATION_TITLE, type ConversationStore, type HistoryTurn } from '../store/conversations';
import { isStorageFailure, storageReason } from '../store/storage-errors';
import type { EmitEvent } from '../events/event-hub';

export interface ChatServiceOptions {
  conversations: ConversationStore;
  engine: EngineHost;
  emit: EmitEvent;
  /** Makes sure a model is loaded (loading the last used one if needed); throws 'no_model' otherwise. */
  /** Resolves with the LoRA adapters to answer with (undefined: not up to Burrow, e.g. a server answers). */
  ensureModel: (conversationId: string) => Promise<readonly AppliedAdapter[] | undefined | void>;
  /**
   * The adapters a conversation's next answer would use when the loaded model is the one it
   * answers with; null when it is not, or a server answers (chat.prepare then does nothing).
   */
  adaptersIfLoaded?: (conversationId: string) => Promise<readonly AppliedAdapter[] | null>;
  /** Whether a model is loaded or can be loaded without asking the user. */
  hasModel: () => boolean;
  /**
   * Rewrites a turn before the model sees it; the saved question stays as the user wrote it.
   * Documents attached to the conversation use it to add the passages relevant to the question
   * (and a line of sources after the answer). Null: the turn as it is.
   */
  prepareTurn?: (turn: PreparableTurn) => Promise<PreparedTurn | null>;
  /**
   * An answer's text without the footer prepareTurn added to it (its sources), so Continue goes
   * on from the answer itself; the footer comes back when the continuation is finished.
   */
  withoutFooter?: (answer: string) => string;
  /** At most one delta event per this many ms (one animation frame). */
  deltaIntervalMs?: number;
  /** The streaming answer is written to disk at least this often. */
  saveIntervalMs?: number;
  /** Answers running or queued at once; past it a new one is refused as busy. Default MAX_GENERATIONS. */
  maxGenerations?: number;
}

export interface PreparableTurn {
  conversationId: string;
  prompt: string;
  history: ChatTurn[];
  options: GenerateOptions;
  signal: AbortSignal;
}

export interface PreparedTurn {
  prompt: string;
  options: GenerateOptions;
  /** Appended to a finished answer (e.g. "Sources: [p. 3]"), streamed like the rest of it. */
  footer?: string;
}

interface RunningGeneration {
  conversationId: string;
  messageId: string;
  controller: AbortController;
  done: Promise<void>;
  progress: Progress;
}

/** What a running answer started from, what its deltas have carried so far, and the next seq. */
interface Progress {
  prefix: string;
  text: string;
  nextSeq: number;
}

/** An answer the disk refused to save: what it should say, kept until a retry succeeds. */
interface UnsavedAnswer {
  content: string;
  status: MessageStatus;
  error: string | null;
  tokenLimit: number | null;
}

interface Job {
  generationId: string;
  conversationId: string;
  messageId: string;
  history: ChatTurn[];
  prompt: string;
  options: GenerateOptions;
  controller: AbortController;
  /** The answer's text so far, which the model goes on from (chat.continue); '' for a new answer. */
  prefix: string;
  progress: Progress;
}

/** What the engine answered, as the chat saves it. */
interface Answered {
  text: string;
  /** Appended when the answer is finished (sources), '' otherwise. */
  footer: string;
  reason: 'done' | 'cancelled';
  stats: GenerationStats;
  finishReason?: FinishReason;
  /** The token limit the answer stopped at; null when it ended otherwise. */
  tokenLimit: number | null;
}

const TITLE_CHARS = 60;

export class ChatService {
  readonly #options: Required<Omit<ChatServiceOptions, 'prepareTurn' | 'withoutFooter' | 'adaptersIfLoaded'>> & Pick<ChatServiceOptions, 'prepareTurn' | 'withoutFooter' | 'adaptersIfLoaded'>;
  readonly #running = new Map<string, RunningGeneration>();
  readonly #unsaved = new Map<string, UnsavedAnswer>();

  constructor(options: ChatServiceOptions) {
    this.#options = { deltaIntervalMs: 16, saveIntervalMs: 1000, maxGenerations: MAX_GENERATIONS, ...options };
  }

  /** A new question at the end of the branch on screen. */
  send(conversationId: string, text: string): ChatStarted {
    const { conversations } = this.#options;
    this.#assertCanStart(conversationId);
    const { conversation, messages } = conversations.get(conversationId);
    const parentId = messages.at(-1)?.id ?? null;
    const started = conversations.addExchange({ conversationId, parentId, text });
    if (conversation.title === DEFAULT_CONVERSATION_TITLE && messages.length === 0) {
      try {
        conversations.rename(conversationId, titleFrom(text));
      } catch {
        // A title is a nicety: the question is saved and its answer must still start.
      }
    }
    return this.#start(conversationId, started, toHistory(messages), text);
  }

  /** The question `messageId` asked again, reworded: a new branch beside it. */
  edit(messageId: string, text: string): ChatStarted {
    const { conversations } = this.#options;
    const original = conversations.getMessage(messageId);
    if (original.role !== 'user') throw new BurrowError('invalid_input', 'Only your own messages can be edited. To get another answer, regenerate it.');
    this.#assertCanStart(original.conversationId);
    const history = conversations.historyTo(original.parentId);
    const started = conversations.addExchange({ conversationId: original.conversationId, parentId: original.parentId, text });
    return this.#start(original.conversationId, started, toHistory(history), text);
  }

  /** Another answer to the question `messageId` (an answer) replied to, beside it. */
  regenerate(messageId: string): ChatStarted {
    const { conversations } = this.#options;
    const answer = conversations.getMessage(messageId);
    if (answer.role !== 'assistant') throw new BurrowError('invalid_input', 'Only answers can be regenerated. To change a question, edit it.');
    const question = answer.parentId === null ? null : conversations.getMessage(answer.parentId);
    if (question === null || question.role !== 'user') {
      throw new BurrowError('invalid_input', 'This answer does not follow a question of yours, so there is nothing to answer again.');
    }
    this.#assertCanStart(answer.conversationId);
    const history = conversations.historyTo(question.parentId);
    const assistantMessage = conversations.addMessage({ conversationId: answer.conversationId, parentId: question.id, role: 'assistant', content: '', status: 'streaming' });
    return this.#start(answer.conversationId, { userMessage: question, assistantMessage }, toHistory(history), question.content);
  }

  /**
   * Goes on from where the answer `messageId` stopped at its token limit, in the same message:
   * the model is given the question and the answer so far, and writes on from its end.
   */
  continue(messageId: string): ChatStarted {
    const { conversations } = this.#options;
    const answer = conversations.getMessage(messageId);
    if (answer.role !== 'assistant' || answer.status !== 'complete' || answer.tokenLimit === null) {
      throw new BurrowError('invalid_input', 'Only an answer that stopped at its length limit can be continued. To get another answer, regenerate it.');
    }
    if (conversations.activeLeafId(answer.conversationId) !== messageId) {
      throw new BurrowError('invalid_input', 'Only the last answer of the conversation on screen can be continued: later messages were written after it.');
    }
    const question = answer.parentId === null ? null : conversations.getMessage(answer.parentId);
    if (question === null || question.role !== 'user') {
      throw new BurrowError('invalid_input', 'This answer does not follow a question of yours, so there is nothing to continue.');
    }
    this.#assertCanStart(answer.conversationId);
    const history = conversations.historyTo(question.parentId);
    const prefix = this.#options.withoutFooter?.(answer.content) ?? answer.content;
    conversations.updateMessage(messageId, { content: prefix, status: 'streaming', tokenLimit: null, error: null });
    const assistantMessage = conversations.getMessage(messageId);
    return this.#start(answer.conversationId, { userMessage: question, assistantMessage }, toHistory(history), question.content, prefix);
  }

  cancel(generationId: string): boolean {
    const running = this.#running.get(generationId);
    if (!running) return false;
    running.controller.abort();
    return true;
  }

  /** Saves an answer the disk refused earlier. Throws storage_error again if it still cannot. */
  retrySave(messageId: string): Message {
    const unsaved = this.#unsaved.get(messageId);
    if (unsaved === undefined) {
      throw new BurrowError('not_found', 'Nothing is waiting to be saved for this message: it was saved already, or Burrow was restarted since.');
    }
    this.#options.conversations.updateMessage(messageId, unsaved);
    this.#unsaved.delete(messageId);
    const saved = this.#options.conversations.getMessage(messageId);
    this.#options.emit('conversations.changed', { id: saved.conversationId });
    return saved;
  }

  /** Answers being written in a conversation, with a promise that settles once each is saved. */
  runningFor(conversationId: string): Array<[generationId: string, saved: Promise<void>]> {
    return [...this.#running].filter(([, running]) => running.conversationId === conversationId).map(([id, running]) => [id, running.done]);
  }

  /**
   * The user opened a conversation: the engine loads its saved state now (EngineHost.prepare),
   * so their next message starts as fast as one in a conversation kept in memory. Skipped while
   * answers run (they come first) and when another model or adapters would answer.
   */
  async prepare(conversationId: string): Promise<PrepareResult> {
    const { conversations, engine } = this.#options;
    const messages = conversations.get(conversationId).messages;
    const adapters = (await this.#options.adaptersIfLoaded?.(conversationId)) ?? null;
    if (adapters === null || this.#running.size > 0 || messages.length === 0) return PREPARE_SKIPPED;
    const { systemPrompt } = generateOptions(conversations, conversationId);
    return engine.prepare({ sessionKey: conversationId, history: toHistory(messages), ...(systemPrompt === undefined ? {} : { systemPrompt }), adapters: [...adapters] });
  }

  /** What another window needs to follow the answers being written in a conversation. */
  runningIn(conversationId: string): Array<{ generationId: string; messageId: string; prefix: string; text: string; nextSeq: number }> {
    return [...this.#running]
      .filter(([, running]) => running.conversationId === conversationId)
      .map(([generationId, running]) => ({ generationId, messageId: running.messageId, prefix: running.progress.prefix, text: running.progress.text, nextSeq: running.progress.nextSeq }));
  }

  get runningCount(): number {
    return this.#running.size;
  }

  /** Stops every answer and waits until each one is saved. */
  async stopAll(): Promise<void> {
    const all = [...this.#running.values()];
    for (const running of all) running.controller.abort();
    await Promise.allSettled(all.map((running) => running.done));
  }

  /** Throws `busy` when as many answers as Burrow takes at once are already running or queued. */
  assertCapacity(): void {
    const max = this.#options.maxGenerations;
    if (this.#running.size >= max) {
      throw new BurrowError('busy', `Burrow is already writing ${max === 1 ? 'an answer' : `${max} answers`}. Wait for one to finish, or stop one, then ask again.`);
    }
  }

  #assertCanStart(conversationId: string): void {
    this.assertCapacity();
    for (const running of this.#running.values()) {
      if (running.conversationId === conversationId) {
        throw new BurrowError('busy', 'Burrow is still answering in this conversation. Stop the answer or wait for it to finish.');
      }
    }
    if (!this.#options.hasModel()) throw noModelError();
  }

  #start(conversationId: string, started: Omit<ChatStarted, 'generationId'>, history: ChatTurn[], prompt: string, prefix = ''): ChatStarted {
    this.#options.emit('conversations.changed', { id: conversationId });
    const generationId = randomUUID();
    const controller = new AbortController();
    const options = generateOptions(this.#options.conversations, conversationId);
    const messageId = started.assistantMessage.id;
    const progress: Progress = { prefix, text: '', nextSeq: 0 };
    const done = this.#run({ generationId, conversationId, messageId, history, prompt, options, controller, prefix, progress });
    this.#running.set(generationId, { conversationId, messageId, controller, done, progress });
    this.#options.emit('generation.started', { generationId, conversationId, messageId });
    return { generationId, ...started };
  }

  async #run(job: Job): Promise<void> {
    const { conversations, emit, deltaIntervalMs, saveIntervalMs } = this.#options;
    const { generationId, conversationId, messageId } = job;
    let text = job.prefix;
    let unsent = '';
    let seq = 0;
    let savedLength = text.length;
    let lastSave = Date.now();
    let flushTimer: ReturnType<typeof setTimeout> | undefined;

    const save = (fields: Partial<Pick<Message, 'status' | 'error' | 'tokenLimit'>> = {}): void => {
      conversations.updateMessage(messageId, { content: text, ...fields });
      savedLength = text.length;
    };
    const flush = (): void => {
      flushTimer = undefined;
      if (unsent.length > 0) {
        emit('generation.delta', { generationId, seq: seq++, text: unsent });
        job.progress.text += unsent;
        job.progress.nextSeq = seq;
        unsent = '';
      }
      if (text.length !== savedLength && Date.now() - lastSave >= saveIntervalMs) {
        // Counted as an attempt either way: a full disk is retried a second later, not every frame.
        lastSave = Date.now();
        try {
          save();
        } catch {
          // Kept in memory; the final save reports the failure (and may well succeed).
        }
      }
    };

    let reason: GenerationEndReason = 'done';
    let error: ErrorValue | undefined;
    let answered: Answered | null = null;
    try {
      answered = await this.#answer(job, (chunk) => {
        text += chunk;
        unsent += chunk;
        flushTimer ??= setTimeout(flush, deltaIntervalMs);
      });
      if (answered === null) {
        reason = 'cancelled';
      } else {
        text = answered.text + answered.footer;
        unsent += answered.footer;
        reason = answered.reason;
      }
    } catch (caught) {
      reason = 'error';
      error = toErrorValue(caught);
    } finally {
      if (flushTimer) clearTimeout(flushTimer);
      flush();
      const final: UnsavedAnswer = { content: text, status: END_STATUS[reason], error: error?.message ?? null, tokenLimit: reason === 'done' ? (answered?.tokenLimit ?? null) : null };
      try {
        save({ status: final.status, error: final.error, tokenLimit: final.tokenLimit });
      } catch (saveError) {
        if (isStorageFailure(saveError)) this.#unsaved.set(messageId, final);
        reason = 'error';
        error = isStorageFailure(saveError)
          ? { code: 'storage_error', message: `Burrow could not save this answer: ${storageReason(saveError)}. It is still shown; retry saving.` }
          : toErrorValue(saveError);
      }
      this.#running.delete(generationId);
      emit('generation.end', {
        generationId,
        conversationId,
        messageId,
        reason,
        ...(error ? { error } : {}),
        ...(answered ? { stats: answered.stats } : {}),
        ...(answered?.finishReason ? { finishReason: answered.finishReason } : {}),
        ...(final.tokenLimit !== null && reason === 'done' ? { tokenLimit: final.tokenLimit } : {}),
      });
      emit('conversations.changed', { id: conversationId });
    }
  }

  /**
   * The model's answer to the job (its prefix included), with the footer to add once it is
   * finished; null when it was stopped before it began. Streams through `onText`.
   */
  async #answer(job: Job, onText: (chunk: string) => void): Promise<Answered | null> {
    const { conversationId, history, prompt, options, prefix } = job;
    const { signal } = job.controller;
    const adapters = await this.#options.ensureModel(conversationId);
    if (signal.aborted) return null;
    const prepared = (await this.#options.prepareTurn?.({ conversationId, prompt, history, options, signal })) ?? null;
    const result = await this.#options.engine.generate({
      sessionKey: conversationId,
      history,
      prompt: prepared?.prompt ?? prompt,
      options: prepared?.options ?? options,
      ...(prefix.length > 0 ? { responsePrefix: prefix } : {}),
      ...(adapters ? { adapters: [...adapters] } : {}),
      signal,
      onText,
    });
    // The engine's final text is authoritative (chunks may split multi-byte characters). It
    // holds the prefix, except from an engine that stopped before it began (a cancel).
    const text = result.text.startsWith(prefix) ? result.text : prefix + result.text;
    const cutOff = result.reason === 'done' && result.finishReason === 'length';
    const limit = result.maxTokens ?? result.stats.generatedTokens;
    const footer = prepared?.footer !== undefined && result.reason === 'done' && text.trim().length > 0 ? prepared.footer : '';
    return {
      text,
      footer,
      reason: result.reason,
      stats: result.stats,
      ...(result.finishReason === undefined ? {} : { finishReason: result.finishReason }),
      tokenLimit: cutOff && limit > 0 ? limit : null,
    };
  }
}

/** The conversation's own settings, as engine overrides (unset ones fall back to the engine's). */
function generateOptions(conversations: ConversationStore, conversationId: string): GenerateOptions {
  const settings = conversations.settings(conversationId);
  return {
    ...(settings.systemPrompt !== null ? { systemPrompt: settings.systemPrompt } : {}),
    ...(settings.temperature !== null ? { temperature: settings.temperature } : {}),
    ...(settings.topP !== null ? { topP: settings.topP } : {}),
    ...(settings.maxTokens !== null ? { maxTokens: settings.maxTokens } : {}),
  };
}

/** The turns the model sees: earlier messages with text, in order. */
export function toHistory(messages: readonly HistoryTurn[]): ChatTurn[] {
  return messages.filter((message) => message.content.length > 0).map((message) => ({ role: message.role, text: message.content }));
}

function titleFrom(text: string): string {
  const oneLine = text.replace(/\s+/g, ' ').trim();
  return oneLine.length <= TITLE_CHARS ? oneLine : `${oneLine.slice(0, TITLE_CHARS - 1).trimEnd()}…`;
}
