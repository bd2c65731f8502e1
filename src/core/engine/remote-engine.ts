/**
 * The remote engine: an OpenAI-compatible server (llama.cpp's llama-server, vLLM, Ollama,
 * `burrow serve` on another machine) answering instead of the local model, behind the same
 * `generate` as EngineHost. It speaks plain chat completions streamed as server-sent events,
 * with the pinned official `openai` client, whose `fetch` goes through the EgressGate: every
 * request is checked, logged in Network activity, and refused in offline mode before anything
 * is sent. Failures become a BurrowError with a plain message; ChatService keeps the text
 * already streamed and marks the answer.
 */
import OpenAI from 'openai';
import type { EngineStatus, ModelInfo } from '../../shared/contract';
import { BurrowError, type ErrorValue } from '../../shared/errors';
import type { EgressGate } from '../net/egress';
import { cancelledBeforeStart } from './protocol';
import type { GenerateRequest, GenerateResult, MeasureRequest, MeasureResult } from './types';

/** What the remote engine needs to answer; the key stays in the core (see remote-settings.ts). */
export interface RemoteConfig {
  /** The server's OpenAI base URL, e.g. http://gpu-box:8080/v1. */
  url: string;
  apiKey: string | null;
  model: string;
  /** Context size the server reported for the model, else DEFAULT_REMOTE_CONTEXT. */
  contextSize: number;
}

/** When a server does not say how long its context is (llama-server, Ollama): their usual default. */
export const DEFAULT_REMOTE_CONTEXT = 4096;

/** Only these headers leave: no client, OS or runtime fingerprint, nothing from OPENAI_* variables. */
const FORWARDED_HEADERS = ['content-type', 'accept', 'authorization'];

/**
 * A fetch for the openai client that sends through the gate (allowed because the user chose
 * this server, plain http:// included) with the reason shown in Network activity.
 */
export function gateFetch(gate: EgressGate, reason: string): typeof fetch {
  return async (input, init) => {
    const url = input instanceof Request ? input.url : input instanceof URL ? input : String(input);
    const given = new Headers(init?.headers);
    const headers = new Headers();
    for (const name of FORWARDED_HEADERS) {
      const value = given.get(name);
      if (value !== null) headers.set(name, value);
    }
    const { response } = await gate.request(url, { ...init, headers }, reason, { userServer: true });
    return response;
  };
}

function client(gate: EgressGate, url: string, apiKey: string | null, reason: string): OpenAI {
  return new OpenAI({
    baseURL: url,
    // The client insists on a key; without one the Authorization header is removed below.
    apiKey: apiKey ?? 'none',
    organization: null,
    project: null,
    adminAPIKey: null,
    webhookSecret: null,
    defaultHeaders: apiKey === null ? { Authorization: null } : {},
    fetch: gateFetch(gate, reason),
    // A chat sent twice is not what the user asked for; a failure is reported, not retried.
    maxRetries: 0,
    logLevel: 'off',
  });
}

export interface RemoteModels {
  models: string[];
  /** Context sizes the server states (vLLM's max_model_len, `context_length`), by model. */
  contextSizes: Map<string, number>;
}

/** The server's models (the Test button; enabling checks the chosen one is there). */
export async function listRemoteModels(gate: EgressGate, url: string, apiKey: string | null): Promise<RemoteModels> {
  const host = hostOf(url);
  try {
    const page = await client(gate, url, apiKey, 'remote engine: list models').models.list();
    const models: string[] = [];
    const contextSizes = new Map<string, number>();
    for (const entry of page.data as unknown[]) {
      if (typeof entry !== 'object' || entry === null) continue;
      const record = entry as Record<string, unknown>;
      if (typeof record.id !== 'string' || record.id.length === 0) continue;
      models.push(record.id);
      const size = [record.max_model_len, record.context_length, record.context_window].find((value) => typeof value === 'number' && Number.isInteger(value) && value > 0);
      if (typeof size === 'number') contextSizes.set(record.id, size);
    }
    if (models.length === 0) throw new BurrowError('engine_error', `The server at ${host} answered, but lists no models.`);
    return { models: models.slice(0, 1000), contextSizes };
  } catch (error) {
    throw remoteError(error, host);
  }
}

type Listener = () => void;

export class RemoteEngine {
  readonly config: Readonly<RemoteConfig>;
  readonly #gate: EgressGate;
  readonly #client: OpenAI;
  readonly #onChange: Listener;
  #generating = 0;
  #error: ErrorValue | null = null;

  /** `onChange`: the state or the last error changed (the banner and engine.state follow it). */
  constructor(config: RemoteConfig, gate: EgressGate, onChange: Listener = () => undefined) {
    this.config = Object.freeze({ ...config });
    this.#gate = gate;
    this.#client = client(gate, config.url, config.apiKey, 'remote engine: chat');
    this.#onChange = onChange;
  }

  /** Host and port answers come from, as the banner names it. */
  get host(): string {
    return hostOf(this.config.url);
  }

  /** Why the last request failed (offline mode, refused, unreachable); null after a success. */
  get lastError(): ErrorValue | null {
    return this.#error;
  }

  modelInfo(): ModelInfo {
    return { path: this.config.url, name: `${this.config.model} on ${this.host}`, sizeBytes: 0, contextSize: this.config.contextSize, backend: 'remote', threads: 0 };
  }

  /** The engine's status while answers come from the server. */
  status(): EngineStatus {
    return { state: this.#generating > 0 ? 'generating' : 'ready', model: this.modelInfo(), error: null };
  }

  async generate(request: GenerateRequest): Promise<GenerateResult> {
    if (request.signal.aborted) return cancelledBeforeStart();
    const started = performance.now();
    const stream = { text: '', pieces: 0, finished: false, length: false, usage: null as OpenAI.CompletionUsage | null };
    this.#generating++;
    if (this.#generating === 1) this.#onChange();
    try {
      await this.#stream(request, stream);
      if (!request.signal.aborted && !stream.finished) {
        throw new BurrowError('engine_error', `The server at ${this.host} stopped before the answer was finished.`);
      }
      this.#setError(null);
    } catch (caught) {
      if (!request.signal.aborted) {
        const error = remoteError(caught, this.host);
        // Offline mode is shown from the gate as it is now, not remembered as the server's failure.
        if (this.blockedBecause() === null) this.#setError(error.toValue());
        throw error;
      }
    } finally {
      this.#generating--;
      if (this.#generating === 0) this.#onChange();
    }
    const maxTokens = request.options?.maxTokens;
    return {
      // A continuation is sent as the answer's start, which the server goes on from.
      text: (request.responsePrefix ?? '') + stream.text,
      reason: request.signal.aborted ? 'cancelled' : 'done',
      stats: {
        evaluatedTokens: stream.usage?.prompt_tokens ?? 0,
        generatedTokens: stream.usage?.completion_tokens ?? stream.pieces,
        durationMs: performance.now() - started,
        truncatedMessages: 0,
        ...(stream.usage ? { promptTokens: stream.usage.prompt_tokens } : {}),
      },
      finishReason: stream.length ? 'length' : 'stop',
      ...(maxTokens === undefined ? {} : { maxTokens }),
    };
  }

  async #stream(request: GenerateRequest, into: { text: string; pieces: number; finished: boolean; length: boolean; usage: OpenAI.CompletionUsage | null }): Promise<void> {
    const { options } = request;
    const messages: OpenAI.ChatCompletionMessageParam[] = [];
    if (options?.systemPrompt !== undefined && options.systemPrompt.length > 0) messages.push({ role: 'system', content: options.systemPrompt });
    for (const turn of request.history) messages.push({ role: turn.role, content: turn.text });
    messages.push({ role: 'user', content: request.prompt });
    // Servers that support it (llama-server, vLLM) go on from a final assistant message.
    if (request.responsePrefix !== undefined && request.responsePrefix.length > 0) messages.push({ role: 'assistant', content: request.responsePrefix });
    const chunks = await this.#client.chat.completions.create(
      {
        model: this.config.model,
        messages,
        stream: true,
        stream_options: { include_usage: true },
        ...(options?.maxTokens !== undefined ? { max_tokens: options.maxTokens } : {}),
        ...(options?.temperature !== undefined ? { temperature: options.temperature } : {}),
        ...(options?.topP !== undefined ? { top_p: options.topP } : {}),
      },
      { signal: request.signal },
    );
    for await (const chunk of chunks as AsyncIterable<unknown>) {
      const { content, finished, length, usage } = readChunk(chunk, this.host);
      if (content.length > 0) {
        into.text += content;
        into.pieces++;
        request.onText(content);
      }
      if (finished) into.finished = true;
      if (length) into.length = true;
      if (usage !== null) into.usage = usage;
    }
  }

  /**
   * A conversation's tokens against the server's context (the context meter, fitting document
   * passages): counted with the local model's tokenizer when one is loaded (`local`), else
   * estimated (estimateTokens). Either way an approximation of the server's own tokenizer.
   */
  measure(request: MeasureRequest, local: MeasureResult | null): MeasureResult {
    const turns = request.systemPrompt === undefined ? request.history : [{ role: 'user' as const, text: request.systemPrompt }, ...request.history];
    const tokens = local?.tokens ?? turns.reduce((sum, turn) => sum + estimateTokens(turn.text) + TEMPLATE_TOKENS_PER_TURN, 0);
    return { tokens, contextSize: this.config.contextSize };
  }

  /** Tokens in each text (document chunking): the local tokenizer's counts when a model is loaded, else estimates. */
  countTokens(texts: string[], local: number[] | null): number[] {
    return local ?? texts.map(estimateTokens);
  }

  #setError(error: ErrorValue | null): void {
    if (error === null && this.#error === null) return;
    this.#error = error;
    this.#onChange();
  }

  /** Whether the gate would refuse this server now (offline mode), without sending anything. */
  blockedBecause(): string | null {
    const verdict = this.#gate.check(new URL(this.config.url), { userHost: new URL(this.config.url).hostname.toLowerCase(), userHttp: true });
    return verdict.allowed ? null : verdict.because;
  }
}

/** One streamed piece, checked: a server's output is untrusted input. */
function readChunk(chunk: unknown, host: string): { content: string; finished: boolean; length: boolean; usage: OpenAI.CompletionUsage | null } {
  if (typeof chunk !== 'object' || chunk === null) throw garbage(host);
  const record = chunk as { choices?: unknown; usage?: unknown; error?: unknown };
  if (record.error !== undefined && record.error !== null) {
    const message = typeof record.error === 'object' && typeof (record.error as { message?: unknown }).message === 'string' ? (record.error as { message: string }).message : 'an error';
    throw new BurrowError('engine_error', `The server at ${host} stopped with an error: ${message.slice(0, 300)}`);
  }
  if (record.choices !== undefined && !Array.isArray(record.choices)) throw garbage(host);
  const choice = (record.choices as unknown[] | undefined)?.[0] as { delta?: { content?: unknown }; finish_reason?: unknown } | undefined;
  const content = typeof choice?.delta?.content === 'string' ? choice.delta.content : '';
  const finished = typeof choice?.finish_reason === 'string' && choice.finish_reason.length > 0;
  const usage = isUsage(record.usage) ? record.usage : null;
  return { content, finished, length: choice?.finish_reason === 'length', usage };
}

function isUsage(value: unknown): value is OpenAI.CompletionUsage {
  if (typeof value !== 'object' || value === null) return false;
  const usage = value as Record<string, unknown>;
  return Number.isInteger(usage.prompt_tokens) && Number.isInteger(usage.completion_tokens) && (usage.prompt_tokens as number) >= 0 && (usage.completion_tokens as number) >= 0;
}

function garbage(host: string): BurrowError {
  return new BurrowError('engine_error', `The server at ${host} sent something that is not an OpenAI-compatible answer.`);
}

/** A plain-language error for anything a request to the server can throw. */
export function remoteError(error: unknown, host: string): BurrowError {
  if (error instanceof OpenAI.APIConnectionError && error.cause instanceof BurrowError) error = error.cause;
  if (error instanceof BurrowError) {
    if (error.code === 'refused' && /offline mode/i.test(error.message)) {
      return new BurrowError('refused', `Offline mode is on, so nothing was sent to ${host}. Turn offline mode off, or stop using the server to answer with the model on this computer.`, { cause: error });
    }
    return error;
  }
  if (error instanceof OpenAI.APIError && error.status !== undefined) return statusError(error, host);
  if (error instanceof OpenAI.APIConnectionError) {
    return new BurrowError('engine_error', `Burrow could not reach the server at ${host}${causeText(error.cause)}. Check that it is running and the address is right.`, { cause: error });
  }
  if (error instanceof SyntaxError || (error instanceof OpenAI.OpenAIError && /JSON|parse/i.test(error.message))) {
    return garbage(host);
  }
  return new BurrowError('engine_error', `The connection to the server at ${host} broke off${causeText(error)}.`, { cause: error });
}

function statusError(error: InstanceType<typeof OpenAI.APIError>, host: string): BurrowError {
  const said = serverMessage(error);
  const status = error.status ?? 0;
  if (status === 401 || status === 403) {
    return new BurrowError('refused', `The server at ${host} refused the key (${status}). Check the key in Settings → Use a server.${said}`, { cause: error });
  }
  if (status === 404) {
    return new BurrowError('engine_error', `The server at ${host} answered 404: the model or the address is wrong (it should end in /v1).${said}`, { cause: error });
  }
  return new BurrowError('engine_error', `The server at ${host} answered with an error (${status}).${said}`, { cause: error });
}

function serverMessage(error: InstanceType<typeof OpenAI.APIError>): string {
  const body = error.error as { message?: unknown } | undefined;
  const message = typeof body?.message === 'string' ? body.message.trim().slice(0, 300) : '';
  return message.length > 0 ? ` It said: “${message}”` : '';
}

function causeText(error: unknown): string {
  const cause = error instanceof Error && error.cause instanceof Error ? error.cause : error;
  const message = cause instanceof Error ? cause.message : '';
  return message.length > 0 && message !== 'fetch failed' ? ` (${message.slice(0, 200)})` : '';
}

export function hostOf(url: string): string {
  try {
    return new URL(url).host;
  } catch {
    return url;
  }
}

/**
 * Tokens in a text when no tokenizer of the server's model is at hand: one per three
 * characters, which over-counts ordinary prose (about four per token) so that what is cut
 * to fit a context still fits. Marked as an estimate wherever it is shown.
 */
/** A chat template's markers around each message, estimated. */
const TEMPLATE_TOKENS_PER_TURN = 8;

export function estimateTokens(text: string): number {
  return Math.ceil(text.length / 3);
}
