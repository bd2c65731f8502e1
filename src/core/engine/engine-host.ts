/**
 * Supervises the engine process for every face of Burrow (app, CLI, browser host, tests):
 * starts it lazily, reports its state, and when it dies fails what was pending with a
 * plain-language error and brings it back — with the last model — on the next request.
 */
import type { EngineStatus, ModelInfo } from '../../shared/contract';
import type { HardwareReport, MemoryEstimate } from '../../shared/contract';
import { BurrowError } from '../../shared/errors';
import { describeExit, illegalInstruction, type BuildFallbackStore } from './build-fallback';
import { EngineConnection, type ExitInfo } from './engine-connection';
import { noModelError } from './no-model';
import { cancelledBeforeStart, type LogLevel } from './protocol';
import { answerDefaults, loadTimeSettingsDiffer, mergeEngineSettings, splitEngineSettings } from './runtime-settings';
import { SerialQueue } from '../process/serial-queue';
import type { RemoteEngine } from './remote-engine';
import { PREPARE_SKIPPED, type DirectRequest, type DirectResult, type Embedded, type EngineSettings, type GenerateRequest, type GenerateResult, type MeasureRequest, type MeasureResult, type PrepareRequest, type PrepareResult, type SpawnEngine, type StatusListener } from './types';

export interface EngineHostOptions {
  spawn: SpawnEngine;
  settings?: EngineSettings;
  onStatus?: StatusListener;
  /** llama.cpp and engine diagnostics. Default: dropped. */
  onLog?: (level: LogLevel, message: string) => void;
  /**
   * Where a failure of Burrow's own engine build on this computer is remembered
   * (build-fallback.ts). Default: nowhere; the fallback then lasts while this host does.
   */
  buildFallback?: BuildFallbackStore;
}


export class EngineHost {
  #options: EngineHostOptions;
  #status: EngineStatus = { state: 'idle', model: null, error: null };
  #connection: EngineConnection | null = null;
  /** The model to (re)load when a request finds no running engine: the last one loaded. */
  #modelPath: string | null = null;
  /** The per-load overrides #modelPath was loaded with, reused when it is reloaded after a crash. */
  #modelOverrides: EngineSettings = {};
  /** Starting, loading and unloading happen one at a time; generations only wait for them. */
  #lifecycle = new SerialQueue();
  #generating = 0;
  #disposed: Promise<void> | null = null;
  /** Answer settings changed since start (updateSettings), sent with every answer. */
  #answerSettings: EngineSettings = {};
  /** A load-time setting changed while answers were being written: reload once they are done. */
  #reloadPending = false;
  /** Answers come from a server instead (Settings → Use a server); the local model stays as it is. */
  #remote: RemoteEngine | null = null;
  /** Why Burrow's own engine build is not used here: every load asks for the prebuilt binary (null: it is used). */
  #prebuiltOnly: string | null;
  /** Engine processes whose crash made the host fall back: what was running there is tried again once. */
  #fellBack = new WeakSet<EngineConnection>();

  constructor(options: EngineHostOptions) {
    this.#options = options;
    this.#prebuiltOnly = options.buildFallback?.read() ?? null;
  }

  /** Why Burrow's own engine build is not used on this computer, or null. */
  get buildFallbackReason(): string | null {
    return this.#prebuiltOnly;
  }

  /** While a server answers (useRemote), its status: the model named is the server's. */
  status(): EngineStatus {
    if (this.#remote !== null) return this.#remote.status();
    return this.localStatus();
  }

  /** The engine on this computer, whatever Use a server says (what the local API serves). */
  localStatus(): EngineStatus {
    return structuredClone(this.#status);
  }

  /** Sends answers to a remote server (null: back to the local model). Reported as a status change. */
  useRemote(remote: RemoteEngine | null): void {
    this.#remote = remote;
    this.#options.onStatus?.(this.status());
  }

  get remote(): RemoteEngine | null {
    return this.#remote;
  }

  get pid(): number | undefined {
    return this.#connection?.alive === true ? this.#connection.pid : undefined;
  }

  /** `overrides` (a model's own GPU layers or context size) apply on top of the engine's settings for this load. */
  async load(path: string, overrides: EngineSettings = {}): Promise<EngineStatus> {
    this.#assertOpen();
    return this.#lifecycle.run(async () => {
      await this.#loadModel(path, overrides);
      return this.status();
    });
  }

  /** An answer from the server while Settings → Use a server is on, else from the model on this computer. */
  async generate(request: GenerateRequest): Promise<GenerateResult> {
    this.#assertOpen();
    if (this.#remote !== null) return this.#remote.generate({ ...request, options: { ...answerDefaults(this.#answerSettings), ...request.options } });
    return this.generateLocal(request);
  }

  /** Always the model on this computer, whatever Use a server says (the local API: it sends nothing out). */
  async generateLocal(request: GenerateRequest): Promise<GenerateResult> {
    this.#assertOpen();
    if (request.signal.aborted) return cancelledBeforeStart();
    const connection = await this.#lifecycle.run(() => this.#ensureModel());
    if (request.signal.aborted) return cancelledBeforeStart();
    this.#generating++;
    if (this.#generating === 1) this.#setStatus({ state: 'generating', model: connection.model, error: null });
    let streamed = false;
    const onText = (text: string): void => {
      streamed = true;
      request.onText(text);
    };
    try {
      const options = { ...answerDefaults(this.#answerSettings), ...request.options };
      return await connection.generate({ ...request, options }, request.signal, onText);
    } catch (error) {
      // Burrow's own build died at this answer and the host fell back: answered on the prebuilt one instead.
      if (!this.#retriesOnFallback(connection, streamed, request.signal)) throw error;
    } finally {
      this.#generating--;
      if (this.#generating === 0 && this.#reloadPending) this.#reloadForSettings().catch(() => undefined);
      // A crash has already set 'stopped'; only a live engine goes back to 'ready'.
      if (this.#generating === 0 && (this.#status.state === 'generating' || this.#status.state === 'applying') && connection.alive) {
        this.#setStatus({ state: 'ready', model: connection.model, error: null });
      }
    }
    return this.generateLocal(request);
  }

  /**
   * An answer that belongs to no conversation (the local API): queued in the engine behind the
   * answers already asked for, on a sequence whose state is never saved. Burrow's temperature,
   * top-p and max tokens apply where the request leaves them out.
   */
  async generateDirect(request: DirectRequest): Promise<DirectResult> {
    this.#assertOpen();
    if (request.signal.aborted) return { ...cancelledBeforeStart(), finishReason: 'stop' };
    const connection = await this.#lifecycle.run(() => this.#ensureModel());
    if (request.signal.aborted) return { ...cancelledBeforeStart(), finishReason: 'stop' };
    this.#generating++;
    if (this.#generating === 1) this.#setStatus({ state: 'generating', model: connection.model, error: null });
    let streamed = false;
    const onText = (text: string): void => {
      streamed = true;
      request.onText(text);
    };
    try {
      const defaults = answerDefaults(this.#answerSettings);
      const options = {
        ...(defaults.temperature === undefined ? {} : { temperature: defaults.temperature }),
        ...(defaults.topP === undefined ? {} : { topP: defaults.topP }),
        ...(defaults.maxTokens === undefined ? {} : { maxTokens: defaults.maxTokens }),
        ...request.options,
      };
      return await connection.generateDirect(request.input, options, request.signal, onText, request.adapters);
    } catch (error) {
      if (!this.#retriesOnFallback(connection, streamed, request.signal)) throw error;
    } finally {
      this.#generating--;
      if (this.#generating === 0 && this.#reloadPending) this.#reloadForSettings().catch(() => undefined);
      if (this.#generating === 0 && (this.#status.state === 'generating' || this.#status.state === 'applying') && connection.alive) {
        this.#setStatus({ state: 'ready', model: connection.model, error: null });
      }
    }
    return this.generateDirect(request);
  }

  /**
   * Whether an answer that failed on `connection` is asked again: only when that process's crash
   * made the host fall back to the prebuilt build, nothing of the answer was shown yet, and it
   * was not cancelled. The prebuilt build is never fallen back from, so this happens once.
   */
  #retriesOnFallback(connection: EngineConnection, streamed: boolean, signal: AbortSignal): boolean {
    return this.#fellBack.has(connection) && !streamed && !signal.aborted && this.#disposed === null;
  }

  /**
   * Embedding vectors from the loaded model (reloaded after a crash like an answer's), or from
   * the model file at `modelPath`, which the caller has authorized; that one is loaded for this
   * request only and the loaded model stays.
   */
  async embed(texts: string[], modelPath?: string): Promise<Embedded> {
    this.#assertOpen();
    const connection = modelPath === undefined ? await this.#lifecycle.run(() => this.#ensureModel()) : await this.#processForQuery();
    return connection.embed(texts, modelPath);
  }

  /**
   * Changes settings while Burrow runs; a key given as `undefined` goes back to the one Burrow
   * started with. Answer settings (system prompt, temperature, top-p, max tokens) apply from the
   * next answer. Load-time ones (context size, threads, GPU layers) reload the loaded model: at
   * once, or when the answers being written are done. Resolves once any reload is done (its
   * failure is reported through the status, like any load).
   */
  async updateSettings(patch: EngineSettings): Promise<void> {
    this.#assertOpen();
    const { answer, load } = splitEngineSettings(patch);
    this.#answerSettings = mergeEngineSettings(this.#answerSettings, answer);
    const before = this.#options.settings ?? {};
    const after = mergeEngineSettings(before, load);
    this.#options = { ...this.#options, settings: after };
    const overrides = this.#modelOverrides;
    if (!loadTimeSettingsDiffer({ ...before, ...overrides }, { ...after, ...overrides })) return;
    this.#reloadPending = true;
    // A failed reload is reported through the status (state 'error'), like any failed load.
    if (this.#generating === 0) await this.#reloadForSettings().catch(() => undefined);
  }

  /** Loads the loaded model again with the current settings, if a change asked for it. */
  async #reloadForSettings(): Promise<void> {
    await this.#lifecycle.run(async () => {
      if (!this.#reloadPending || this.#generating > 0) return;
      this.#reloadPending = false;
      const connection = this.#connection;
      if (this.#modelPath === null || connection?.alive !== true || connection.model === null) return;
      await this.#loadModel(this.#modelPath, this.#modelOverrides);
    });
  }

  /**
   * Counts a conversation's tokens with the loaded model. Never starts the engine or loads a
   * model: resolves null when none is loaded (or one is loading), so a meter cannot cost a load.
   */
  async measure(request: MeasureRequest): Promise<MeasureResult | null> {
    this.#assertOpen();
    const remote = this.#remote;
    if (remote === null) return this.#measureLocal(request);
    const systemPrompt = request.systemPrompt ?? this.#answerSettings.systemPrompt;
    return remote.measure({ ...request, ...(systemPrompt === undefined ? {} : { systemPrompt }) }, await this.#measureLocal(request));
  }

  async #measureLocal(request: MeasureRequest): Promise<MeasureResult | null> {
    const connection = this.#connection;
    if (connection?.alive !== true || connection.model === null || this.#status.state === 'loading') return null;
    try {
      const systemPrompt = request.systemPrompt ?? this.#answerSettings.systemPrompt;
      return await connection.measure(systemPrompt === undefined ? request : { ...request, systemPrompt });
    } catch (error) {
      // Unloaded or stopped between the check and the answer: as if there were no model.
      if (error instanceof BurrowError && (error.code === 'no_model' || error.code === 'engine_stopped')) return null;
      throw error;
    }
  }

  /**
   * Tokens in each text with the loaded model's tokenizer (document chunking). Like measure,
   * never starts the engine or loads a model: null when none is loaded.
   */
  async countTokens(texts: string[]): Promise<number[] | null> {
    this.#assertOpen();
    if (this.#remote !== null) return this.#remote.countTokens(texts, await this.#countLocal(texts));
    return this.#countLocal(texts);
  }

  async #countLocal(texts: string[]): Promise<number[] | null> {
    const connection = this.#connection;
    if (connection?.alive !== true || connection.model === null || this.#status.state === 'loading') return null;
    try {
      return await connection.countTokens(texts);
    } catch (error) {
      if (error instanceof BurrowError && (error.code === 'no_model' || error.code === 'engine_stopped')) return null;
      throw error;
    }
  }

  /**
   * What loading `path` with `overrides` (and these LoRA adapter files) would need, against what
   * the machine has. Starts the engine process if needed (keeping the status it reported), never loads a model.
   */
  async estimate(path: string, overrides: EngineSettings = {}, adapters: readonly string[] = []): Promise<MemoryEstimate> {
    const connection = await this.#processForQuery();
    return connection.estimate(path, this.#loadSettings(overrides), adapters);
  }

  /** The backend, GPU, memory and threads, as the engine process sees them. */
  async hardware(): Promise<HardwareReport> {
    const connection = await this.#processForQuery();
    const report = await connection.hardware(this.#loadSettings());
    return this.#prebuiltOnly === null ? report : { ...report, engineFallback: this.#prebuiltOnly };
  }

  /** A running process for a read-only request; a start it causes does not change what the UI shows. */
  async #processForQuery(): Promise<EngineConnection> {
    this.#assertOpen();
    const current = this.#connection;
    if (current?.alive === true) return current;
    return this.#lifecycle.run(async () => {
      const before = this.#status;
      const connection = await this.#ensureProcess();
      if (this.#status.state === 'starting') this.#setStatus(before);
      return connection;
    });
  }

  /** Frees the model (the process stays up for the next load). Later generations fail with 'no_model'. */
  async unload(): Promise<void> {
    this.#assertOpen();
    return this.#lifecycle.run(async () => {
      this.#modelPath = null;
      const connection = this.#connection;
      if (connection?.alive === true) await connection.unload();
      this.#setStatus({ state: 'idle', model: null, error: null });
    });
  }

  /**
   * A deleted conversation: the engine drops its session and saved state, so no later save
   * brings it back. Nothing to do when no engine runs (its files are deleted by the caller).
   */
  async forget(sessionKey: string): Promise<void> {
    const connection = this.#connection;
    if (this.#disposed !== null || connection?.alive !== true) return;
    await connection.forget(sessionKey);
  }

  /**
   * A conversation the user opened: the engine loads its saved state now, so the next turn
   * starts as fast as one kept in memory. Skipped (never starting a process or loading a model)
   * unless a local model is loaded and idle: an answer or a load in progress comes first.
   */
  async prepare(request: PrepareRequest): Promise<PrepareResult> {
    const connection = this.#connection;
    if (this.#disposed !== null || this.#remote !== null || connection?.alive !== true || this.#status.state !== 'ready' || this.#status.model === null) return PREPARE_SKIPPED;
    return connection.prepare(request);
  }

  /** Ends the engine process for good; resolves once it has exited. Pending requests fail with 'engine_stopped'. */
  dispose(): Promise<void> {
    this.#disposed ??= (async () => {
      const connection = this.#connection;
      this.#connection = null;
      await connection?.dispose();
      this.#setStatus({ state: 'stopped', model: null, error: null });
    })();
    return this.#disposed;
  }

  #assertOpen(): void {
    if (this.#disposed !== null) throw new BurrowError('engine_stopped', "Burrow's model engine was shut down.");
  }

  /** A running engine with a model in it, restarting and reloading the last model if needed. Runs in #lifecycle. */
  async #ensureModel(): Promise<EngineConnection> {
    const current = this.#connection;
    if (current?.alive === true && current.model !== null) return current;
    if (this.#modelPath === null) throw noModelError();
    await this.#loadModel(this.#modelPath, this.#modelOverrides);
    const connection = this.#connection as EngineConnection | null;
    if (connection === null || connection.model === null) throw noModelError();
    return connection;
  }

  /** Runs in #lifecycle. */
  async #loadModel(path: string, overrides: EngineSettings = {}): Promise<ModelInfo> {
    const connection = await this.#ensureProcess();
    this.#setStatus({ state: 'loading', model: null, error: null });
    try {
      const model = await connection.load(path, this.#loadSettings(overrides));
      this.#modelPath = path;
      this.#modelOverrides = overrides;
      this.#setStatus({ state: 'ready', model, error: null });
      return model;
    } catch (caught) {
      const error = caught instanceof BurrowError ? caught : new BurrowError('engine_error', messageOf(caught));
      if (this.#disposed !== null) throw error;
      if (error.code === 'engine_stopped') {
        // The process died while loading: reloading the same file would likely crash it
        // again, so it is forgotten rather than retried on the next request.
        this.#modelPath = null;
        const loadCrash = new BurrowError(
          'model_load_failed',
          'The model engine stopped while loading this model. The file may be damaged, or too big for this computer’s memory.',
          { cause: error },
        );
        this.#setStatus({ state: 'stopped', model: null, error: loadCrash.toValue() });
        throw loadCrash;
      }
      // A file refused before loading leaves the previous model in place; a failed load leaves none.
      const model = connection.alive ? connection.model : null;
      this.#modelPath = model?.path ?? null;
      if (model !== null) this.#setStatus({ state: 'ready', model, error: null });
      else if (this.#status.state !== 'stopped') this.#setStatus({ state: 'error', model: null, error: error.toValue() });
      throw error;
    }
  }

  /** Runs in #lifecycle. */
  async #ensureProcess(): Promise<EngineConnection> {
    if (this.#connection?.alive === true) return this.#connection;
    this.#assertOpen();
    this.#setStatus({ state: 'starting', model: null, error: null });
    let connection: EngineConnection;
    try {
      connection = new EngineConnection(this.#options.spawn(), {
        onLog: this.#options.onLog,
        onCrash: (exit) => this.#onCrash(connection, exit),
        // Only a running answer rebuilds the context; it goes on 'generating' once the adapters are on.
        onAdapters: (phase, model) => this.#setStatus({ state: phase === 'applying' ? 'applying' : 'generating', model, error: null }),
      });
    } catch (caught) {
      const error = new BurrowError('engine_error', `Burrow could not start its model engine: ${messageOf(caught)}`, { cause: caught });
      this.#setStatus({ state: 'error', model: null, error: error.toValue() });
      throw error;
    }
    this.#connection = connection;
    try {
      // Requests are sent only once the process listens: earlier messages could be lost.
      await connection.started;
    } catch {
      const { code, signal } = await connection.exited;
      const error = new BurrowError('engine_stopped', `Burrow's model engine could not start (it exited with ${signal ?? `code ${code}`}).`);
      this.#setStatus({ state: 'stopped', model: null, error: error.toValue() });
      throw error;
    }
    return connection;
  }

  /** The engine's settings with a load's overrides, and the prebuilt binary once Burrow's own build failed here. */
  #loadSettings(overrides: EngineSettings = {}): EngineSettings {
    return { ...this.#options.settings, ...overrides, ...(this.#prebuiltOnly === null ? {} : { engineBuild: 'prebuilt' as const }) };
  }

  #onCrash(connection: EngineConnection, exit: ExitInfo): void {
    if (this.#connection !== connection) return;
    this.#connection = null;
    const fellBack = this.#fallBackIfBuildFailed(connection, exit);
    this.#setStatus({
      state: 'stopped',
      model: null,
      error: {
        code: 'engine_stopped',
        message: fellBack
          ? 'The model stopped: Burrow’s faster engine build does not run on this computer. Burrow now uses its standard build; send your message again if it is not answered.'
          : 'The model stopped unexpectedly. Send your message again to restart it.',
      },
    });
  }

  /**
   * Burrow's own build died running the model, not loading it: with an illegal instruction
   * (the CPU refused one of its kernels), or of a fault of its own at the first answer of its
   * process (an Electron utility process reports a signal as a bare exit code). From then on
   * every load asks for the prebuilt binary, here and, through the store, at the next start.
   */
  #fallBackIfBuildFailed(connection: EngineConnection, exit: ExitInfo): boolean {
    const build = connection.engineBuild;
    if (build === null || build === 'prebuilt' || this.#prebuiltOnly !== null) return false;
    const firstAnswer = connection.decoding && !connection.answered;
    if (!illegalInstruction(exit) && (!firstAnswer || killedFromOutside(exit))) return false;
    const reason = `Burrow's ${build} engine build stopped with ${describeExit(exit)} ${firstAnswer ? 'at its first answer' : 'while answering'}`;
    this.#prebuiltOnly = reason;
    this.#fellBack.add(connection);
    this.#options.onLog?.('warn', `${reason}: node-llama-cpp's prebuilt engine is used from now on on this computer.`);
    try {
      this.#options.buildFallback?.write(reason);
    } catch (error) {
      this.#options.onLog?.('warn', `Could not remember the engine build's failure: ${messageOf(error)}`);
    }
    return true;
  }

  #setStatus(status: EngineStatus): void {
    this.#status = status;
    this.#options.onStatus?.(this.status());
  }
}

/** Ended by someone else (the user, the system's out-of-memory killer), not by a fault of its own. */
function killedFromOutside(exit: ExitInfo): boolean {
  return exit.signal === 'SIGKILL' || exit.signal === 'SIGTERM' || exit.signal === 'SIGINT' || exit.signal === 'SIGHUP';
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
