/**
 * Supervises the engine process for every face of Burrow (app, CLI, browser host, tests):
 * starts it lazily, reports its state, and when it dies fails what was pending with a
 * plain-language error and brings it back — with the last model — on the next request.
 */
import type { EngineStatus, ModelInfo } from '../../shared/contract';
import { BurrowError } from '../../shared/errors';
import { EngineConnection } from './engine-connection';
import type { LogLevel } from './protocol';
import { SerialQueue } from './serial-queue';
import type { EngineSettings, GenerateRequest, GenerateResult, SpawnEngine, StatusListener } from './types';

export interface EngineHostOptions {
  spawn: SpawnEngine;
  settings?: EngineSettings;
  onStatus?: StatusListener;
  /** llama.cpp and engine diagnostics. Default: dropped. */
  onLog?: (level: LogLevel, message: string) => void;
}

const NO_MODEL = 'No model is loaded. Open a .gguf model file to start chatting.';
const cancelledBeforeStart = (): GenerateResult => ({ text: '', reason: 'cancelled', stats: { evaluatedTokens: 0, generatedTokens: 0, durationMs: 0 } });

export class EngineHost {
  #options: EngineHostOptions;
  #status: EngineStatus = { state: 'idle', model: null, error: null };
  #connection: EngineConnection | null = null;
  /** The model to (re)load when a request finds no running engine: the last one loaded. */
  #modelPath: string | null = null;
  /** Starting, loading and unloading happen one at a time; generations only wait for them. */
  #lifecycle = new SerialQueue();
  #generating = 0;
  #disposed: Promise<void> | null = null;

  constructor(options: EngineHostOptions) {
    this.#options = options;
  }

  status(): EngineStatus {
    return structuredClone(this.#status);
  }

  get pid(): number | undefined {
    return this.#connection?.alive === true ? this.#connection.pid : undefined;
  }

  async load(path: string): Promise<EngineStatus> {
    this.#assertOpen();
    return this.#lifecycle.run(async () => {
      await this.#loadModel(path);
      return this.status();
    });
  }

  async generate(request: GenerateRequest): Promise<GenerateResult> {
    this.#assertOpen();
    if (request.signal.aborted) return cancelledBeforeStart();
    const connection = await this.#lifecycle.run(() => this.#ensureModel());
    if (request.signal.aborted) return cancelledBeforeStart();
    this.#generating++;
    if (this.#generating === 1) this.#setStatus({ state: 'generating', model: connection.model, error: null });
    try {
      return await connection.generate(request, request.signal, request.onText);
    } finally {
      this.#generating--;
      // A crash has already set 'stopped'; only a live engine goes back to 'ready'.
      if (this.#generating === 0 && this.#status.state === 'generating' && connection.alive) {
        this.#setStatus({ state: 'ready', model: connection.model, error: null });
      }
    }
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
    if (this.#modelPath === null) throw new BurrowError('no_model', NO_MODEL);
    await this.#loadModel(this.#modelPath);
    const connection = this.#connection as EngineConnection | null;
    if (connection === null || connection.model === null) throw new BurrowError('no_model', NO_MODEL);
    return connection;
  }

  /** Runs in #lifecycle. */
  async #loadModel(path: string): Promise<ModelInfo> {
    const connection = await this.#ensureProcess();
    this.#setStatus({ state: 'loading', model: null, error: null });
    try {
      const model = await connection.load(path, this.#options.settings ?? {});
      this.#modelPath = path;
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
        onCrash: () => this.#onCrash(connection),
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

  #onCrash(connection: EngineConnection): void {
    if (this.#connection !== connection) return;
    this.#connection = null;
    this.#setStatus({
      state: 'stopped',
      model: null,
      error: { code: 'engine_stopped', message: 'The model stopped unexpectedly. Send your message again to restart it.' },
    });
  }

  #setStatus(status: EngineStatus): void {
    this.#status = status;
    this.#options.onStatus?.(this.status());
  }
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
