/**
 * Answers that belong to no conversation: generate.chat and generate.text (the local API).
 * They stream as the same generation.delta / generation.end events as a chat answer, with
 * null conversationId and messageId; generation.end is sent exactly once, whatever happens.
 * Nothing is written to the history unless the caller gave `saveAs`, and the engine never
 * saves their evaluation state. Past a small bound of running and queued ones, a new one is
 * refused as busy (the server answers 429).
 */
import { randomUUID } from 'node:crypto';
import { basename } from 'node:path';
import type { AppliedAdapter, DirectStarted, EmbedResult, GenerationEndReason, GenerationStats } from '../../shared/contract';
import type { DirectMessage, DirectOptions, FinishReason, ToolCall } from '../../shared/schemas/generate';
import { BurrowError, toErrorValue, type ErrorValue } from '../../shared/errors';
import { noModelError } from '../engine/no-model';
import type { EngineHost } from '../engine/engine-host';
import type { DirectInput } from '../engine/types';
import { validateDirect } from '../engine/direct-validate';
import type { ConversationStore } from '../store/conversations';
import type { EmitEvent } from '../events/event-hub';

/** Direct answers running or queued at once; past it a new one is refused as busy. */
export const MAX_DIRECT_GENERATIONS = 4;

export interface DirectGenerationsOptions {
  engine: EngineHost;
  conversations: ConversationStore;
  emit: EmitEvent;
  /** Loads the default model when none is loaded (as a new conversation would); throws 'no_model' when there is none. */
  /** Loads the model if needed; resolves with the LoRA adapters to answer with (its defaults). */
  ensureModel: () => Promise<readonly AppliedAdapter[] | void>;
  /** Whether a model is loaded or can be loaded without asking the user. */
  hasModel: () => boolean;
  /** Resolves a model file the caller names (embeddings), or refuses it as models.load would. */
  authorizeModel: (path: string) => string;
  deltaIntervalMs?: number;
  maxGenerations?: number;
}

interface Running {
  controller: AbortController;
  done: Promise<void>;
}

interface Job {
  generationId: string;
  input: DirectInput;
  options: DirectOptions;
  controller: AbortController;
  saveAs?: { title: string; messages: DirectMessage[] } | undefined;
  /** The model's default LoRA adapters (undefined: not up to Burrow). */
  adapters: readonly AppliedAdapter[] | undefined;
}

export class DirectGenerations {
  readonly #options: Required<DirectGenerationsOptions>;
  readonly #running = new Map<string, Running>();
  /** Requests accepted but still loading the model (counted against the bound). */
  #starting = 0;

  constructor(options: DirectGenerationsOptions) {
    this.#options = { deltaIntervalMs: 16, maxGenerations: MAX_DIRECT_GENERATIONS, ...options };
  }

  get runningCount(): number {
    return this.#running.size + this.#starting;
  }

  chat(messages: DirectMessage[], options: DirectOptions, saveAs?: { title: string }): Promise<DirectStarted> {
    return this.#start({ kind: 'chat', messages }, options, saveAs === undefined ? undefined : { title: saveAs.title, messages });
  }

  text(prompt: string, options: DirectOptions): Promise<DirectStarted> {
    return this.#start({ kind: 'text', prompt }, options, undefined);
  }

  cancel(generationId: string): boolean {
    const running = this.#running.get(generationId);
    if (running === undefined) return false;
    running.controller.abort();
    return true;
  }

  /** Stops every direct answer and waits until each has sent its generation.end. */
  async stopAll(): Promise<void> {
    const all = [...this.#running.values()];
    for (const running of all) running.controller.abort();
    await Promise.allSettled(all.map((running) => running.done));
  }

  async embed(texts: string[], modelPath: string | undefined): Promise<EmbedResult> {
    const { engine } = this.#options;
    let path: string | undefined;
    if (modelPath !== undefined) {
      path = this.#options.authorizeModel(modelPath);
    } else {
      if (!this.#options.hasModel()) throw noModelError();
      await this.#options.ensureModel();
    }
    const result = await engine.embed(texts, path);
    return { model: { id: basename(result.model.path), name: result.model.name }, vectors: result.vectors, promptTokens: result.promptTokens };
  }

  async #start(input: DirectInput, options: DirectOptions, saveAs: Job['saveAs']): Promise<DirectStarted> {
    validateDirect(input, options);
    const max = this.#options.maxGenerations;
    if (this.runningCount >= max) {
      throw new BurrowError('busy', `Burrow is already writing ${max} answers for other programs. Wait for one to finish, then ask again.`);
    }
    if (!this.#options.hasModel()) throw noModelError();
    this.#starting++;
    let model;
    let adapters: readonly AppliedAdapter[] | undefined;
    try {
      adapters = (await this.#options.ensureModel()) ?? undefined;
      model = this.#options.engine.localStatus().model;
    } finally {
      this.#starting--;
    }
    if (model === null) throw noModelError();
    const generationId = randomUUID();
    const controller = new AbortController();
    const done = this.#run({ generationId, input, options, controller, saveAs, adapters });
    this.#running.set(generationId, { controller, done });
    return { generationId, model: { id: basename(model.path), name: model.name } };
  }

  async #run(job: Job): Promise<void> {
    const { engine, emit, deltaIntervalMs } = this.#options;
    const { generationId } = job;
    let unsent = '';
    let seq = 0;
    let flushTimer: ReturnType<typeof setTimeout> | undefined;
    const flush = (): void => {
      flushTimer = undefined;
      if (unsent.length === 0) return;
      emit('generation.delta', { generationId, seq: seq++, text: unsent });
      unsent = '';
    };
    let reason: GenerationEndReason = 'done';
    let error: ErrorValue | undefined;
    let stats: GenerationStats | undefined;
    let finishReason: FinishReason | undefined;
    let toolCalls: ToolCall[] | undefined;
    try {
      // Let the caller have its generation id before the first event can arrive.
      await Promise.resolve();
      const result = await engine.generateDirect({
        input: job.input,
        options: job.options,
        ...(job.adapters === undefined ? {} : { adapters: [...job.adapters] }),
        signal: job.controller.signal,
        onText: (chunk) => {
          unsent += chunk;
          flushTimer ??= setTimeout(flush, deltaIntervalMs);
        },
      });
      reason = result.reason;
      stats = result.stats;
      finishReason = result.finishReason;
      toolCalls = result.toolCalls;
      if (reason === 'done' && job.saveAs !== undefined) this.#save(job.saveAs, result.text);
    } catch (caught) {
      reason = 'error';
      error = toErrorValue(caught);
    } finally {
      if (flushTimer) clearTimeout(flushTimer);
      flush();
      this.#running.delete(generationId);
      emit('generation.end', {
        generationId,
        conversationId: null,
        messageId: null,
        reason,
        ...(error ? { error } : {}),
        ...(stats ? { stats } : {}),
        ...(finishReason ? { finishReason } : {}),
        ...(toolCalls && toolCalls.length > 0 ? { toolCalls } : {}),
      });
    }
  }

  /** The exchange as a new conversation: its user and assistant messages, then the answer. */
  #save(saveAs: NonNullable<Job['saveAs']>, answer: string): void {
    const { conversations, emit } = this.#options;
    const conversation = conversations.create(saveAs.title);
    let parentId: string | null = null;
    for (const message of saveAs.messages) {
      if (message.role !== 'user' && message.role !== 'assistant') continue;
      if (message.text.length === 0) continue;
      parentId = conversations.addMessage({ conversationId: conversation.id, parentId, role: message.role, content: message.text, status: 'complete' }).id;
    }
    conversations.addMessage({ conversationId: conversation.id, parentId, role: 'assistant', content: answer, status: 'complete' });
    const system = saveAs.messages.flatMap((message) => (message.role === 'system' ? [message.text] : []));
    if (system.length > 0) conversations.setSettings(conversation.id, { systemPrompt: system.join('\n\n') });
    emit('conversations.changed', { id: conversation.id });
  }
}
