/**
 * The one owner of every llama object in the engine process: the Llama backend, the model,
 * its context and the chat sessions on the context's sequences. Callers serialize calls
 * (worker.ts runs them one at a time), so replacing an object always disposes the old one
 * first and nothing is used while it is being freed.
 */
import { availableParallelism } from 'node:os';
import { basename } from 'node:path';
import {
  LlamaLogLevel,
  resolveChatWrapper,
  type ChatWrapper,
  type Llama,
  type LlamaContext,
  type LlamaEmbeddingContext,
  type LlamaModel,
} from 'node-llama-cpp';
import type { AppliedAdapter, ModelInfo } from '../../shared/contract';
import { BurrowError } from '../../shared/errors';
import { checkModelFile } from '../gguf/gguf-check';
import { checkAdapterFits, validateAdapter, validateGgufWithShapes, type TensorShapeMap } from '../gguf/gguf-validator';
import { defaultMaxSessions, estimateMemory, hardwareReport } from './memory-estimate';
import type { HardwareReport, MemoryEstimate } from '../../shared/contract';
import type { LogLevel } from './protocol';
import { SessionPool, toChatHistory, type SessionPersistence } from './session-pool';
import { modelIdentity, StateStore, stateKey } from './state-store';
import { attentionShape, contextMemoryOptions } from './context-options';
import { LoadMonitor } from './cpu-load';
import { loadLlama, parseEngineBuild, type EngineBuild, type LoadedLlama } from './engine-build';
import { chooseThreads, threadsForLoad } from './threads';
import { countTruncated } from './truncation';
import { noModelError } from './no-model';
import { PREPARE_SKIPPED, type EngineSettings, type GenerateResult, type MeasureRequest, type MeasureResult, type PrepareRequest, type PrepareResult, type Turn } from './types';
import { DirectSlot, runDirect, type DirectInput, type DirectResult } from './direct-engine';
import type { DirectOptions } from '../../shared/schemas/generate';
import { EMBEDDING_CONTEXT_CAP, embedWith, type Embedded } from './embeddings';

const DEFAULT_CONTEXT_CAP = 4096;
const DEFAULT_MAX_TOKENS = 1024;
const THREAD_REFIT_MS = 250;

export type Log = (level: LogLevel, message: string) => void;

interface Loaded {
  model: LlamaModel;
  context: LlamaContext;
  sessions: SessionPool;
  chatWrapper: ChatWrapper;
  info: ModelInfo;
  settings: EngineSettings;
  /** Threads are chosen per answer from the load of the moment (no user setting, not a tiny model). */
  threadsByLoad: boolean;
  /** The sequence answers that belong to no conversation run on (never saved to disk). */
  direct: DirectSlot;
  /** Made on the first embedding request, freed with the model. */
  embedding: LlamaEmbeddingContext | null;
  onCpu: boolean;
  /** LoRA adapters on the context now. */
  adapters: AppliedAdapter[];
  /** The model's tensor shapes, read on the first adapter check. */
  shapes: TensorShapeMap | null;
}

/** Reports a context rebuild for other adapters: 'applying' (with the adapters being applied), then 'applied'. */
export type AdapterProgress = (phase: 'applying' | 'applied', model: ModelInfo) => void;

export class LlamaEngine {
  #log: Log;
  /** `requested`: the build asked for (settings or BURROW_ENGINE_BUILD); `build`: the one loaded. */
  #llama: { instance: Llama; gpu: 'auto' | false; requested: EngineBuild; build: LoadedLlama['build'] } | null = null;
  #loaded: Loaded | null = null;
  #load = new LoadMonitor();

  constructor(log: Log) {
    this.#log = log;
  }

  get model(): ModelInfo | null {
    return this.#loaded?.info ?? null;
  }

  async load(path: string, settings: EngineSettings): Promise<ModelInfo> {
    // Checked before anything is freed: a wrong file must not cost the user their current model.
    const { sizeBytes } = await checkModelFile(path);
    await this.unload();
    try {
      const llama = await this.#ensureLlama(settings);
      const onCpu = llama.gpu === false;
      const threads = chooseThreads({ requested: settings.threads, modelBytes: sizeBytes });
      // On CPU a memory-mapped model stays resident twice (the mapping and the backend's
      // repacked copy): 1.28 GB vs 0.84 GB for TinyLlama Q4_K_M. On GPU mmap is the better default.
      const model = await llama.loadModel({
        modelPath: path,
        ...(onCpu ? { useMmap: false } : {}),
        ...(settings.gpuLayers !== undefined && !onCpu ? { gpuLayers: settings.gpuLayers } : {}),
      });
      let context: LlamaContext;
      let chatWrapper: ChatWrapper;
      try {
        // The model's own chat template (tokenizer.chat_template), or the best match for its architecture.
        chatWrapper = resolveChatWrapper(model);
        context = await this.#createContext(model, settings, onCpu, threads, []);
      } catch (error) {
        await model.dispose();
        throw error;
      }
      const info: ModelInfo = {
        path,
        name: modelName(model, path),
        sizeBytes,
        contextSize: context.contextSize,
        backend: onCpu || model.gpuLayers === 0 ? 'cpu' : String(llama.gpu),
        // What llama.cpp was given, as the context holds it (settings → This computer shows it).
        threads: context.idealThreads,
      };
      const threadsByLoad = settings.threads === undefined && threads > 1;
      // Left running across unloads (a thread setting reloads the model): the first answer
      // after a load then reads the load over a whole window, not the few ms since the load.
      if (threadsByLoad) this.#load.start();
      llama.maxThreads = threads;
      const persistence = this.#persistence(path, settings, model, context, chatWrapper, []);
      const sessions = new SessionPool(context, chatWrapper, settings.systemPrompt, persistence);
      const direct = new DirectSlot(context, chatWrapper, () => sessions.evictOne());
      sessions.reclaim = () => direct.release();
      this.#loaded = { model, context, info, settings, chatWrapper, threadsByLoad, sessions, direct, embedding: null, onCpu, adapters: [], shapes: null };
      return info;
    } catch (error) {
      throw new BurrowError('model_load_failed', `Burrow could not load this model: ${reasonOf(error)}`, { cause: error });
    }
  }

  /** The context for a model: its size, threads, memory options and LoRA adapters. */
  async #createContext(model: LlamaModel, settings: EngineSettings, onCpu: boolean, threads: number, adapters: readonly AppliedAdapter[]): Promise<LlamaContext> {
    const memory = contextMemoryOptions(settings, onCpu, attentionShape(model.fileInfo.architectureMetadata), this.#ownBuild);
    return this.#withThreadCap(threads, () => model.createContext({
      sequences: settings.maxSessions ?? defaultMaxSessions(onCpu),
      contextSize: settings.contextSize ?? { max: Math.min(model.trainContextSize, DEFAULT_CONTEXT_CAP) },
      threads,
      ...(memory.flashAttention === undefined ? {} : { flashAttention: memory.flashAttention }),
      ...(memory.batchSize === undefined ? {} : { batchSize: memory.batchSize }),
      ...(memory.kvCacheKeyType === undefined ? {} : { experimentalKvCacheKeyType: memory.kvCacheKeyType, experimentalKvCacheValueType: memory.kvCacheValueType }),
      ...(adapters.length === 0 ? {} : { lora: { adapters: adapters.map(({ path, scale }) => ({ filePath: path, scale })) } }),
    }));
  }

  /**
   * node-llama-cpp caps a new context's threads at `llama.maxThreads` as it is at that moment,
   * for the context's whole life; Burrow lowers that cap for an answer when other programs keep
   * a core busy, and a fixed setting sets it. So a context made after a 1-thread setting (or
   * during a busy answer, or when adapters are applied) kept 1 thread however many it was
   * given: 2 threads set by the user generated at the speed of 1 (the bench's thread sweep).
   * The cap is raised to `threads` while the context is made, then put back.
   */
  async #withThreadCap<T>(threads: number, create: () => Promise<T>): Promise<T> {
    const llama = this.#llama?.instance;
    if (llama === undefined) return create();
    const cap = llama.maxThreads;
    llama.maxThreads = threads;
    try {
      return await create();
    } finally {
      llama.maxThreads = cap;
    }
  }

  /**
   * Rebuilds the context with other LoRA adapters (llama.cpp applies them per context). Each is
   * checked by the bounded validator against the loaded model's tensor shapes first, so a wrong
   * or hostile file never reaches llama.cpp and costs nothing. Every session is saved under the
   * old adapters' key and dropped: no KV cache computed with one adapter set serves another.
   */
  async #applyAdapters(loaded: Loaded, wanted: readonly AppliedAdapter[], progress: AdapterProgress | undefined): Promise<void> {
    for (const adapter of wanted) await this.#checkAdapter(loaded, adapter.path);
    progress?.('applying', { ...loaded.info, adapters: [...wanted] });
    await loaded.embedding?.dispose();
    loaded.embedding = null;
    await loaded.direct.release();
    await loaded.sessions.dispose();
    await loaded.context.dispose();
    let applied = [...wanted];
    let failure: unknown = null;
    let context: LlamaContext;
    try {
      context = await this.#createContext(loaded.model, loaded.settings, loaded.onCpu, loaded.info.threads, applied);
    } catch (error) {
      // The model stays usable: a context without adapters, and the answer fails with the reason.
      failure = error;
      applied = [];
      context = await this.#createContext(loaded.model, loaded.settings, loaded.onCpu, loaded.info.threads, applied);
    }
    const persistence = this.#persistence(loaded.info.path, loaded.settings, loaded.model, context, loaded.chatWrapper, applied);
    const sessions = new SessionPool(context, loaded.chatWrapper, loaded.settings.systemPrompt, persistence);
    const direct = new DirectSlot(context, loaded.chatWrapper, () => sessions.evictOne());
    sessions.reclaim = () => direct.release();
    Object.assign(loaded, { context, sessions, direct, adapters: applied });
    const { adapters: _previous, ...info } = loaded.info;
    loaded.info = { ...info, contextSize: context.contextSize, ...(applied.length === 0 ? {} : { adapters: applied }) };
    progress?.('applied', loaded.info);
    if (failure !== null) throw new BurrowError('engine_error', `Burrow could not apply the adapter: ${reasonOf(failure)}`, { cause: failure });
  }

  /** Refuses an adapter that is not a valid LoRA adapter for the loaded model, with the validator's reason. */
  async #checkAdapter(loaded: Loaded, path: string): Promise<void> {
    let verdict;
    try {
      verdict = await validateAdapter(path);
    } catch (error) {
      const code = (error as NodeJS.ErrnoException | null)?.code;
      throw new BurrowError(code === 'ENOENT' ? 'not_found' : 'model_load_failed', `Burrow could not open the adapter ${basename(path)}: ${code === 'ENOENT' ? 'the file does not exist. It may have been moved or deleted' : reasonOf(error)}.`);
    }
    if (!verdict.ok) throw new BurrowError('model_invalid', verdict.message);
    if (loaded.shapes === null) {
      const model = await validateGgufWithShapes(loaded.info.path);
      if (!model.ok) throw new BurrowError('model_invalid', model.message);
      loaded.shapes = model.shapes;
    }
    const problem = checkAdapterFits(verdict.facts, {
      name: loaded.info.name,
      architecture: String(loaded.model.fileInfo.metadata.general?.architecture ?? ''),
      embeddingLength: loaded.model.embeddingVectorSize,
      layerCount: Number(loaded.model.fileInfo.architectureMetadata.block_count ?? 0) || null,
      shapes: loaded.shapes,
    });
    if (problem !== null) throw new BurrowError('model_invalid', problem);
  }

  async generate(request: Turn, signal: AbortSignal, onText: (text: string) => void, progress?: AdapterProgress): Promise<GenerateResult> {
    const loaded = this.#loaded;
    if (loaded === null) throw noModelError();
    if (request.adapters !== undefined && !sameAdapters(loaded.adapters, request.adapters)) await this.#applyAdapters(loaded, request.adapters, progress);
    const started = performance.now();
    const { settings } = loaded;
    const options = request.options ?? {};
    const temperature = options.temperature ?? settings.temperature;
    const topP = options.topP ?? settings.topP;
    const entry = await loaded.sessions.acquire(request.sessionKey, request.history, options.systemPrompt ?? settings.systemPrompt);
    // Fitted at the start, then again every quarter second: another program starting or stopping
    // mid-answer changes the threads from the next token on.
    const refit = loaded.threadsByLoad ? setInterval(() => this.#fitThreadsToLoad(loaded), THREAD_REFIT_MS) : null;
    if (loaded.threadsByLoad) this.#fitThreadsToLoad(loaded);
    const meterBefore = entry.sequence.tokenMeter.getState();
    let generatedTokens = 0;
    let streamed = '';
    let text: string;
    let truncatedMessages = 0;
    let finishReason: 'stop' | 'length' = 'stop';
    let promptTokens: number | undefined;
    const maxTokens = options.maxTokens ?? settings.maxTokens ?? DEFAULT_MAX_TOKENS;
    // node-llama-cpp reports a response prefix as the first token batch and text chunk: the
    // caller already has it, so neither is counted nor streamed again.
    const prefix = request.responsePrefix ?? '';
    let prefixTokensPending = prefix.length > 0;
    let prefixTextPending = prefix.length > 0;
    try {
      const result = await entry.session.promptWithMeta(request.prompt, {
        signal,
        // Keeps the partial answer (in the result and in the session) instead of throwing.
        stopOnAbortSignal: true,
        maxTokens,
        ...(prefix.length > 0 ? { responsePrefix: prefix } : {}),
        ...(temperature !== undefined ? { temperature } : {}),
        ...(topP !== undefined ? { topP } : {}),
        ...(settings.seed !== undefined ? { seed: settings.seed } : {}),
        onToken: (tokens) => {
          if (prefixTokensPending) prefixTokensPending = false;
          else generatedTokens += tokens.length;
        },
        onTextChunk: (chunk) => {
          if (prefixTextPending) {
            prefixTextPending = false;
            return;
          }
          streamed += chunk;
          onText(chunk);
        },
      });
      text = result.responseText;
      entry.dirty = true;
      if (result.stopReason === 'maxTokens') finishReason = 'length';
      promptTokens = this.#promptTokens(loaded, request, options.systemPrompt ?? settings.systemPrompt);
      // node-llama-cpp's context shift drops the oldest turns (keeping the first system message)
      // when the history outgrows the context; it is reported, never silent.
      truncatedMessages = countTruncated(entry.session.getChatHistory(), entry.session.getLastEvaluationContextWindow());
      entry.turns = [...request.history, { role: 'user', text: request.prompt }, { role: 'assistant', text }];
    } catch (error) {
      // The session's history is unknown now; the next turn rebuilds it from the caller's.
      entry.turns = null;
      entry.dirty = true;
      // An abort before the first token throws even with stopOnAbortSignal: it is still a cancel.
      if (!signal.aborted) {
        if (refit !== null) clearInterval(refit);
        throw new BurrowError('engine_error', `The model failed while answering: ${reasonOf(error)}`, { cause: error });
      }
      text = prefix + streamed;
    }
    if (refit !== null) clearInterval(refit);
    const used = entry.sequence.tokenMeter.diff(meterBefore);
    return {
      text,
      reason: signal.aborted ? 'cancelled' : 'done',
      stats: {
        // The meter counts tokens decoded without logits as input and with logits as output;
        // the prompt's last token is decoded with logits, so it is the one output token that is prompt.
        evaluatedTokens: used.usedInputTokens + Math.min(used.usedOutputTokens, 1),
        generatedTokens,
        durationMs: performance.now() - started,
        truncatedMessages,
        ...(promptTokens === undefined ? {} : { promptTokens }),
      },
      finishReason,
      maxTokens,
    };
  }

  /** Every token of the turn's prompt as the model saw it (cached ones included): the template with the answer's opening. */
  #promptTokens(loaded: Loaded, request: Turn, systemPrompt: string | undefined): number {
    const chatHistory = [...toChatHistory([...request.history, { role: 'user', text: request.prompt }], systemPrompt), { type: 'model' as const, response: [] }];
    return loaded.chatWrapper.generateContextState({ chatHistory }).contextText.tokenize(loaded.model.tokenizer).length;
  }

  /**
   * An answer that belongs to no conversation (the local API): a message list or raw text,
   * with OpenAI's options, on the direct sequence (never saved to disk).
   */
  async generateDirect(
    input: DirectInput,
    options: DirectOptions,
    signal: AbortSignal,
    onText: (text: string) => void,
    adapters?: readonly AppliedAdapter[],
    progress?: AdapterProgress,
  ): Promise<DirectResult> {
    const loaded = this.#loaded;
    const llama = this.#llama?.instance;
    if (loaded === null || llama === undefined) throw noModelError();
    if (adapters !== undefined && !sameAdapters(loaded.adapters, adapters)) await this.#applyAdapters(loaded, adapters, progress);
    const { settings } = loaded;
    const refit = loaded.threadsByLoad ? setInterval(() => this.#fitThreadsToLoad(loaded), THREAD_REFIT_MS) : null;
    if (loaded.threadsByLoad) this.#fitThreadsToLoad(loaded);
    try {
      const defaults = { temperature: settings.temperature, topP: settings.topP, seed: settings.seed, maxTokens: settings.maxTokens ?? DEFAULT_MAX_TOKENS };
      return await runDirect({ llama, model: loaded.model, chatWrapper: loaded.chatWrapper, slot: loaded.direct, defaults }, input, options, signal, onText);
    } finally {
      if (refit !== null) clearInterval(refit);
    }
  }

  /** Embedding vectors from the loaded model, or from the model file at `modelPath` (loaded for this request only). */
  async embed(texts: readonly string[], modelPath: string | undefined): Promise<Embedded> {
    if (modelPath !== undefined) {
      await checkModelFile(modelPath);
      const llama = this.#llama?.instance ?? (await this.#ensureLlama(this.#loaded?.settings ?? {}));
      const model = await llama.loadModel({ modelPath });
      try {
        const contextSize = Math.min(model.trainContextSize, EMBEDDING_CONTEXT_CAP);
        const context = await model.createEmbeddingContext({ contextSize });
        try {
          return await embedWith(context, model, texts, { path: modelPath, name: modelName(model, modelPath) }, contextSize);
        } finally {
          await context.dispose();
        }
      } finally {
        await model.dispose();
      }
    }
    const loaded = this.#loaded;
    if (loaded === null) throw noModelError();
    const contextSize = Math.min(loaded.model.trainContextSize, EMBEDDING_CONTEXT_CAP);
    loaded.embedding ??= await this.#withThreadCap(loaded.info.threads, () => loaded.model.createEmbeddingContext({ contextSize, threads: loaded.info.threads }));
    return embedWith(loaded.embedding, loaded.model, texts, { path: loaded.info.path, name: loaded.info.name }, contextSize);
  }

  /** Saves the sessions whose KV cache changed since their last save (idle time after an answer). */
  async saveSessions(): Promise<void> {
    await this.#loaded?.sessions.saveChanged();
  }

  /**
   * A conversation the user opened: its saved state is loaded now, while they read and type,
   * not when they send (SessionPool.prepare). Only for the loaded model with the adapters the
   * conversation answers with: it never loads a model or rebuilds the context.
   */
  async prepare(request: PrepareRequest): Promise<PrepareResult> {
    const loaded = this.#loaded;
    if (loaded === null || (request.adapters !== undefined && !sameAdapters(loaded.adapters, request.adapters))) return PREPARE_SKIPPED;
    return loaded.sessions.prepare(request.sessionKey, request.history, request.systemPrompt ?? loaded.settings.systemPrompt);
  }

  /** A deleted conversation: its session and saved state are dropped. */
  async forget(sessionKey: string): Promise<void> {
    await this.#loaded?.sessions.forget(sessionKey);
  }

  /**
   * Saved state is keyed to everything the KV cache depends on: the model file, the context's
   * size and layout, the binary that computed it and the LoRA adapters (each file's identity and scale).
   */
  #persistence(path: string, settings: EngineSettings, model: LlamaModel, context: LlamaContext, chatWrapper: ChatWrapper, adapters: readonly AppliedAdapter[]): SessionPersistence | null {
    if (settings.stateDir === undefined) return null;
    const key = stateKey({
      model: modelIdentity(path),
      contextSize: context.contextSize,
      batchSize: context.batchSize,
      flashAttention: context.flashAttention,
      kvCacheType: settings.kvCacheType ?? null,
      memory: contextMemoryOptions(settings, this.#llama?.instance.gpu === false, attentionShape(model.fileInfo.architectureMetadata), this.#ownBuild),
      build: this.#llama?.build ?? 'unknown',
      adapters: adapters.map(({ path: adapterPath, scale }) => ({ file: modelIdentity(adapterPath), scale })),
    });
    const store = new StateStore(settings.stateDir, settings.stateBudgetBytes === undefined ? {} : { budgetBytes: settings.stateBudgetBytes });
    // The previous model's sessions were saved by the unload before this load: no save is running.
    store.removeLeftovers();
    return {
      store,
      key,
      tokensOf: (history, systemPrompt) => chatWrapper.generateContextState({ chatHistory: toChatHistory(history, systemPrompt) }).contextText.tokenize(model.tokenizer),
      log: (message) => this.#log('debug', message),
    };
  }

  /**
   * Tokens the conversation takes as the model will see it (system prompt and chat template
   * included). Synchronous inside, so an unload queued meanwhile cannot free the model mid-count.
   */
  measure(request: MeasureRequest): MeasureResult {
    const loaded = this.#loaded;
    if (loaded === null) throw noModelError();
    const chatHistory = toChatHistory(request.history, request.systemPrompt ?? loaded.settings.systemPrompt);
    const { contextText } = loaded.chatWrapper.generateContextState({ chatHistory });
    return { tokens: contextText.tokenize(loaded.model.tokenizer).length, contextSize: loaded.context.contextSize };
  }

  /** Tokens in each text with the loaded model's tokenizer (no chat template, no special tokens). */
  countTokens(texts: readonly string[]): number[] {
    const loaded = this.#loaded;
    if (loaded === null) throw noModelError();
    return texts.map((text) => loaded.model.tokenize(text).length);
  }

  /** The llama.cpp backend is up: estimates and hardware reports need not wait for a load. */
  get hasBackend(): boolean {
    return this.#llama !== null;
  }

  /**
   * Memory a load of `path` with `settings` would need, against what is free (the loaded model's
   * memory counts as free: loading another one frees it first). Validates the file first.
   */
  async estimate(path: string, settings: EngineSettings, adapterPaths: readonly string[] = []): Promise<MemoryEstimate> {
    await checkModelFile(path);
    let adapterBytes = 0;
    for (const adapterPath of adapterPaths) {
      // Counted only when valid: a broken adapter is skipped when answering too (and says why in the library).
      const verdict = await validateAdapter(adapterPath).catch(() => null);
      if (verdict?.ok === true) adapterBytes += verdict.facts.tensorBytes;
    }
    const llama = this.#llama?.instance ?? (await this.#ensureLlama(settings));
    const loaded = this.#loaded;
    const reclaimableBytes = loaded === null ? 0 : loaded.model.size;
    return estimateMemory({ llama, ownBuild: this.#ownBuild, path, settings, reclaimableBytes, adapterBytes });
  }

  async hardware(settings: EngineSettings): Promise<HardwareReport> {
    const llama = this.#llama?.instance ?? (await this.#ensureLlama(settings));
    return hardwareReport(llama, settings, this.#loaded?.info.threads ?? null, this.#llama?.build ?? 'prebuilt');
  }

  /**
   * A core another program keeps busy gets no thread of ours for this answer: llama.cpp's
   * threads meet at a barrier hundreds of times per token, and one that waits for its core
   * stalls them all (threads.ts). The context keeps every core as its ideal; node-llama-cpp
   * gives each decode min(ideal, maxThreads).
   */
  #fitThreadsToLoad(loaded: Loaded): void {
    const othersBusy = this.#load.othersBusy();
    const threads = threadsForLoad(loaded.info.threads, othersBusy);
    const llama = this.#llama?.instance;
    if (llama === undefined || llama.maxThreads === threads) return;
    llama.maxThreads = threads;
    this.#log('debug', `answering with ${threads} of ${loaded.info.threads} threads: other programs keep ${othersBusy.toFixed(2)} cores busy`);
  }

  /** Frees the model, its context and sessions. The Llama backend stays for the next load. */
  async unload(): Promise<void> {
    const loaded = this.#loaded;
    if (loaded === null) return;
    this.#loaded = null;
    await loaded.embedding?.dispose();
    await loaded.direct.release();
    await loaded.sessions.dispose();
    await loaded.context.dispose();
    await loaded.model.dispose();
  }

  async dispose(): Promise<void> {
    await this.unload();
    this.#load.stop();
    const llama = this.#llama;
    this.#llama = null;
    await llama?.instance.dispose();
  }

  /** Whether the loaded llama.cpp binary is one of Burrow's own builds (patched; engine-build.ts). */
  get #ownBuild(): boolean {
    const build = this.#llama?.build;
    return build !== undefined && build !== 'prebuilt';
  }

  /** The llama.cpp binary that loaded models run on (null before the first load or report). */
  get build(): LoadedLlama['build'] | null {
    return this.#llama?.build ?? null;
  }

  async #ensureLlama(settings: EngineSettings): Promise<Llama> {
    const gpu = settings.gpu ?? 'auto';
    const requested = settings.engineBuild ?? parseEngineBuild(process.env.BURROW_ENGINE_BUILD);
    if (this.#llama?.gpu === gpu && this.#llama.requested === requested) return this.#llama.instance;
    if (this.#llama !== null) {
      const old = this.#llama;
      this.#llama = null;
      await old.instance.dispose();
    }
    // Burrow's own engine build when there is one that passes its check, else the prebuilt
    // binaries that ship with the app (engine-build.ts).
    const { llama: instance, build } = await loadLlama(requested, {
      gpu,
      maxThreads: availableParallelism(),
      logLevel: LlamaLogLevel.warn,
      logger: (level, message) => this.#forwardLog(level, message),
    });
    this.#log('info', `llama.cpp engine: ${build === 'prebuilt' ? "node-llama-cpp's prebuilt binary" : `Burrow's ${build} build`} (${instance.gpu === false ? 'cpu' : instance.gpu})`);
    this.#llama = { instance, gpu, requested, build };
    return instance;
  }

  #forwardLog(level: LlamaLogLevel, message: string): void {
    const text = message.trimEnd();
    if (text.length === 0) return;
    switch (level) {
      case LlamaLogLevel.fatal:
      case LlamaLogLevel.error:
        return this.#log('error', text);
      case LlamaLogLevel.warn:
        return this.#log('warn', text);
      case LlamaLogLevel.info:
      case LlamaLogLevel.log:
        return this.#log('info', text);
      case LlamaLogLevel.debug:
      case LlamaLogLevel.disabled:
        return this.#log('debug', text);
    }
  }
}

/** The same adapters at the same scales (order does not matter: LoRA deltas add up). */
export function sameAdapters(a: readonly AppliedAdapter[], b: readonly AppliedAdapter[]): boolean {
  const key = (list: readonly AppliedAdapter[]): string => JSON.stringify(list.map(({ path, scale }) => [path, scale]).sort());
  return a.length === b.length && key(a) === key(b);
}

function modelName(model: LlamaModel, path: string): string {
  const name = model.fileInfo.metadata.general?.name;
  return typeof name === 'string' && name.trim().length > 0 ? name.trim() : basename(path).replace(/\.gguf$/i, '');
}

function reasonOf(error: unknown): string {
  if (error instanceof BurrowError) return error.message;
  return error instanceof Error ? error.message : String(error);
}
