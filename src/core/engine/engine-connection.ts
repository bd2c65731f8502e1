/**
 * One running engine process, seen from the host: request ids, pending promises, message
 * parsing. When the process goes, every pending request is rejected — nothing waits on a
 * dead process. EngineHost decides what happens next (status, restart).
 */
import type { AppliedAdapter, ModelInfo } from '../../shared/contract';
import type { HardwareReport, MemoryEstimate } from '../../shared/contract';
import { assertNever, BurrowError, errorCodes, type ErrorCode } from '../../shared/errors';
import { WorkerMessage, type HostMessage, type LogLevel } from './protocol';
import type { ProcessChannel } from '../process/channel';
import type { DirectInput, DirectResult, Embedded, EngineSettings, GenerateResult, MeasureRequest, MeasureResult, PrepareRequest, PrepareResult, Turn } from './types';
import type { DirectOptions } from '../../shared/schemas/generate';

/** The llama.cpp binary an engine process runs: Burrow's own build or node-llama-cpp's prebuilt one. */
export type EngineBinary = Extract<WorkerMessage, { type: 'loaded' }>['engineBuild'];

export interface ExitInfo {
  code: number | null;
  signal: string | null;
}

type Pending =
  | { kind: 'load'; resolve: (model: ModelInfo) => void; reject: (error: BurrowError) => void }
  | { kind: 'generate'; resolve: (result: GenerateResult) => void; reject: (error: BurrowError) => void; onText: (text: string) => void }
  | { kind: 'direct'; resolve: (result: DirectResult) => void; reject: (error: BurrowError) => void; onText: (text: string) => void }
  | { kind: 'embed'; resolve: (result: Embedded) => void; reject: (error: BurrowError) => void }
  | { kind: 'ack'; resolve: () => void; reject: (error: BurrowError) => void }
  | { kind: 'measure'; resolve: (result: MeasureResult) => void; reject: (error: BurrowError) => void }
  | { kind: 'count-tokens'; resolve: (counts: number[]) => void; reject: (error: BurrowError) => void }
  | { kind: 'estimate'; resolve: (estimate: MemoryEstimate) => void; reject: (error: BurrowError) => void }
  | { kind: 'hardware'; resolve: (hardware: HardwareReport) => void; reject: (error: BurrowError) => void }
  | { kind: 'prepare'; resolve: (result: PrepareResult) => void; reject: (error: BurrowError) => void };

export interface ConnectionHooks {
  onLog?: ((level: LogLevel, message: string) => void) | undefined;
  /** The process ended without being asked to. Called before pending requests are rejected. */
  onCrash: (info: ExitInfo) => void;
  /** A generation's context is being rebuilt with other LoRA adapters ('applying'), or is done ('applied'). */
  onAdapters?: ((phase: 'applying' | 'applied', model: ModelInfo) => void) | undefined;
}

const DISPOSE_GRACE_MS = 3000;

export class EngineConnection {
  readonly exited: Promise<ExitInfo>;
  readonly started: Promise<void>;
  #channel: ProcessChannel;
  #hooks: ConnectionHooks;
  #pending = new Map<number, Pending>();
  #nextId = 1;
  #model: ModelInfo | null = null;
  #alive = true;
  #closing = false;
  #engineBuild: EngineBinary | null = null;
  #answered = false;

  constructor(channel: ProcessChannel, hooks: ConnectionHooks) {
    this.#channel = channel;
    this.#hooks = hooks;
    let markStarted!: () => void;
    let failStart!: (error: BurrowError) => void;
    this.started = new Promise<void>((resolve, reject) => {
      markStarted = resolve;
      failStart = reject;
    });
    // Callers may never await `started` if they are disposed first; the rejection is not a bug.
    this.started.catch(() => undefined);
    this.exited = new Promise<ExitInfo>((resolve) => {
      channel.onExit((info) => {
        this.#alive = false;
        const error = this.#closing
          ? new BurrowError('engine_stopped', "Burrow's model engine was shut down.")
          : new BurrowError('engine_stopped', 'The model stopped unexpectedly. Send your message again to restart it.');
        if (!this.#closing) hooks.onCrash(info);
        failStart(error);
        const pending = [...this.#pending.values()];
        this.#pending.clear();
        for (const request of pending) request.reject(error);
        resolve(info);
      });
    });
    channel.onMessage((raw) => this.#receive(raw, markStarted));
  }

  get pid(): number | undefined {
    return this.#channel.pid;
  }
  get alive(): boolean {
    return this.#alive;
  }
  /** The model the process has loaded, as it last reported. */
  get model(): ModelInfo | null {
    return this.#model;
  }
  /** The llama.cpp binary the process loaded its model with (null before a load). */
  get engineBuild(): EngineBinary | null {
    return this.#engineBuild;
  }
  /** The process has run the model to the end of an answer or embedding: its binary works on this CPU. */
  get answered(): boolean {
    return this.#answered;
  }
  /** An answer or embedding is running in the process. */
  get decoding(): boolean {
    return [...this.#pending.values()].some((pending) => pending.kind === 'generate' || pending.kind === 'direct' || pending.kind === 'embed');
  }

  load(path: string, settings: EngineSettings): Promise<ModelInfo> {
    return new Promise<ModelInfo>((resolve, reject) => {
      this.#register({ kind: 'load', resolve, reject }, (id) => ({ type: 'load', id, path, settings }));
    });
  }

  generate(input: Turn, signal: AbortSignal, onText: (text: string) => void): Promise<GenerateResult> {
    let cancel = (): void => undefined;
    const result = new Promise<GenerateResult>((resolve, reject) => {
      const id = this.#register({ kind: 'generate', resolve, reject, onText }, (id) => ({
        type: 'generate',
        id,
        sessionKey: input.sessionKey,
        history: input.history,
        prompt: input.prompt,
        ...(input.options === undefined ? {} : { options: input.options }),
        ...(input.responsePrefix === undefined ? {} : { responsePrefix: input.responsePrefix }),
        ...(input.adapters === undefined ? {} : { adapters: input.adapters }),
      }));
      cancel = () => {
        if (this.#alive) this.#channel.send({ type: 'cancel', id } satisfies HostMessage);
      };
      signal.addEventListener('abort', cancel, { once: true });
      // 'abort' does not fire for a signal that is already aborted.
      if (signal.aborted) cancel();
    });
    return result.finally(() => signal.removeEventListener('abort', cancel));
  }

  /** An answer that belongs to no conversation; cancelled like generate() through `signal`. */
  generateDirect(input: DirectInput, options: DirectOptions, signal: AbortSignal, onText: (text: string) => void, adapters?: AppliedAdapter[]): Promise<DirectResult> {
    let cancel = (): void => undefined;
    const result = new Promise<DirectResult>((resolve, reject) => {
      const id = this.#register({ kind: 'direct', resolve, reject, onText }, (id) => ({ type: 'direct', id, input, options, ...(adapters === undefined ? {} : { adapters }) }));
      cancel = () => {
        if (this.#alive) this.#channel.send({ type: 'cancel', id } satisfies HostMessage);
      };
      signal.addEventListener('abort', cancel, { once: true });
      if (signal.aborted) cancel();
    });
    return result.finally(() => signal.removeEventListener('abort', cancel));
  }

  embed(texts: string[], modelPath: string | undefined): Promise<Embedded> {
    return new Promise<Embedded>((resolve, reject) => {
      this.#register({ kind: 'embed', resolve, reject }, (id) => ({ type: 'embed', id, texts, ...(modelPath === undefined ? {} : { modelPath }) }));
    });
  }

  measure(request: MeasureRequest): Promise<MeasureResult> {
    return new Promise<MeasureResult>((resolve, reject) => {
      this.#register({ kind: 'measure', resolve, reject }, (id) => ({
        type: 'measure',
        id,
        history: request.history,
        ...(request.systemPrompt === undefined ? {} : { systemPrompt: request.systemPrompt }),
      }));
    });
  }

  countTokens(texts: string[]): Promise<number[]> {
    return new Promise<number[]>((resolve, reject) => {
      this.#register({ kind: 'count-tokens', resolve, reject }, (id) => ({ type: 'count-tokens', id, texts }));
    });
  }

  estimate(path: string, settings: EngineSettings, adapters: readonly string[] = []): Promise<MemoryEstimate> {
    return new Promise<MemoryEstimate>((resolve, reject) => {
      this.#register({ kind: 'estimate', resolve, reject }, (id) => ({ type: 'estimate', id, path, settings, ...(adapters.length === 0 ? {} : { adapters: [...adapters] }) }));
    });
  }

  hardware(settings: EngineSettings): Promise<HardwareReport> {
    return new Promise<HardwareReport>((resolve, reject) => {
      this.#register({ kind: 'hardware', resolve, reject }, (id) => ({ type: 'hardware', id, settings }));
    });
  }

  async unload(): Promise<void> {
    await new Promise<void>((resolve, reject) => {
      this.#register({ kind: 'ack', resolve, reject }, (id) => ({ type: 'unload', id }));
    });
    this.#model = null;
  }

  /** Has a conversation's session ready for its next turn (restored from disk if saved). Queued. */
  prepare(request: PrepareRequest): Promise<PrepareResult> {
    return new Promise<PrepareResult>((resolve, reject) => {
      this.#register({ kind: 'prepare', resolve, reject }, (id) => ({ type: 'prepare', id, ...request }));
    });
  }

  /** Drops a deleted conversation's session and saved state in the engine. */
  async forget(sessionKey: string): Promise<void> {
    await new Promise<void>((resolve, reject) => {
      this.#register({ kind: 'ack', resolve, reject }, (id) => ({ type: 'forget', id, sessionKey }));
    });
  }

  /** Asks the process to free everything and exit; kills it if it has not within the grace time. */
  async dispose(graceMs = DISPOSE_GRACE_MS): Promise<ExitInfo> {
    this.#closing = true;
    if (!this.#alive) return this.exited;
    // No acknowledgement needed: the exit is what we wait for.
    this.#channel.send({ type: 'dispose', id: this.#nextId++ } satisfies HostMessage);
    const timer = setTimeout(() => this.#channel.kill(), graceMs);
    try {
      return await this.exited;
    } finally {
      clearTimeout(timer);
    }
  }

  kill(): Promise<ExitInfo> {
    this.#closing = true;
    if (this.#alive) this.#channel.kill();
    return this.exited;
  }

  /** Sends a request and remembers who waits for its answer; a dead process fails it at once. */
  #register(pending: Pending, build: (id: number) => HostMessage): number {
    const id = this.#nextId++;
    if (!this.#alive) {
      pending.reject(new BurrowError('engine_stopped', 'The model stopped unexpectedly. Send your message again to restart it.'));
      return id;
    }
    this.#pending.set(id, pending);
    this.#channel.send(build(id));
    return id;
  }

  /** What a message says about the process itself: its model, its binary, whether it has run one to the end. */
  #track(message: WorkerMessage): void {
    if (message.type === 'error' || message.type === 'loaded') this.#model = message.model;
    if (message.type === 'loaded') this.#engineBuild = message.engineBuild;
    if (message.type === 'done' || message.type === 'direct-done' || message.type === 'embedded') this.#answered = true;
  }

  #receive(raw: unknown, markStarted: () => void): void {
    const parsed = WorkerMessage.safeParse(raw);
    if (!parsed.success) {
      this.#hooks.onLog?.('warn', `Ignored a malformed message from the engine: ${parsed.error.message}`);
      return;
    }
    const message = parsed.data;
    if (message.type === 'started') return markStarted();
    if (message.type === 'log') return this.#hooks.onLog?.(message.level, message.message);
    this.#track(message);
    const id = message.id;
    if (id === null) {
      if (message.type === 'error') this.#hooks.onLog?.('error', `Engine error: ${message.error.message}`);
      return;
    }
    const pending = this.#pending.get(id);
    if (pending === undefined) return;
    switch (message.type) {
      case 'text':
        if (pending.kind === 'generate' || pending.kind === 'direct') pending.onText(message.text);
        return;
      case 'adapters':
        if (message.phase === 'applied') this.#model = message.model;
        this.#hooks.onAdapters?.(message.phase, message.model);
        return;
      case 'error':
        this.#pending.delete(id);
        pending.reject(new BurrowError(asErrorCode(message.error.code), message.error.message));
        return;
      default:
        this.#settle(id, pending, message);
    }
  }

  /** A request's final reply: resolves it with the reply's value (a reply of another kind is ignored). */
  #settle(id: number, pending: Pending, message: Exclude<WorkerMessage, { type: 'started' | 'log' | 'text' | 'adapters' | 'error' }>): void {
    switch (message.type) {
      case 'direct-done': {
        if (pending.kind !== 'direct') return;
        this.#pending.delete(id);
        const { type: _type, id: _id, ...result } = message;
        pending.resolve(result);
        return;
      }
      case 'embedded':
        if (pending.kind !== 'embed') return;
        this.#pending.delete(id);
        pending.resolve({ model: message.model, vectors: message.vectors, promptTokens: message.promptTokens });
        return;
      case 'loaded':
        if (pending.kind !== 'load') return;
        this.#pending.delete(id);
        pending.resolve(message.model);
        return;
      case 'done':
        if (pending.kind !== 'generate') return;
        this.#pending.delete(id);
        pending.resolve(turnResult(message));
        return;
      case 'measured':
        if (pending.kind !== 'measure') return;
        this.#pending.delete(id);
        pending.resolve({ tokens: message.tokens, contextSize: message.contextSize });
        return;
      case 'prepared':
        if (pending.kind !== 'prepare') return;
        this.#pending.delete(id);
        pending.resolve({ outcome: message.outcome, tokens: message.tokens });
        return;
      case 'token-counts':
        if (pending.kind !== 'count-tokens') return;
        this.#pending.delete(id);
        pending.resolve(message.counts);
        return;
      case 'estimated':
        if (pending.kind !== 'estimate') return;
        this.#pending.delete(id);
        pending.resolve(message.estimate);
        return;
      case 'hardware-report':
        if (pending.kind !== 'hardware') return;
        this.#pending.delete(id);
        pending.resolve(message.hardware);
        return;
      case 'ok':
        if (pending.kind !== 'ack') return;
        this.#pending.delete(id);
        pending.resolve();
        return;
      default:
        assertNever(message, 'message from the engine');
    }
  }
}

function asErrorCode(code: string): ErrorCode {
  return (errorCodes as readonly string[]).includes(code) ? (code as ErrorCode) : 'engine_error';
}

/** A 'done' message as the result it resolves, without its envelope. */
function turnResult(message: Extract<WorkerMessage, { type: 'done' }>): GenerateResult {
  const { type: _type, id: _id, ...result } = message;
  return result;
}
