/**
 * Answers that belong to no conversation (the local API): a whole message list answered
 * through LlamaChat, or raw text continued through LlamaCompletion, with OpenAI's options
 * (stop texts, seed, JSON grammars, function calling whose calls are returned, never run).
 * They run on one sequence of their own (DirectSlot) that is never saved to disk: a request
 * that repeats the previous one's messages plus more reuses its KV cache, because
 * node-llama-cpp evaluates only the tokens after the prefix the sequence already holds.
 */
import { randomUUID } from 'node:crypto';
import {
  LlamaChat,
  LlamaCompletion,
  type ChatModelFunctions,
  type ChatWrapper,
  type GbnfJsonSchema,
  type Llama,
  type LlamaContext,
  type LlamaContextSequence,
  type LlamaGrammar,
  type LlamaModel,
} from 'node-llama-cpp';
import type { DirectMessage, DirectOptions, FinishReason, ToolCall } from '../../shared/schemas/generate';
import type { DirectInput, DirectResult } from './types';
import { BurrowError } from '../../shared/errors';
import { toDirectHistory } from './direct-history';
import { toolParameters, validateDirect } from './direct-validate';

export type { DirectInput, DirectResult };

/** What a direct answer runs on: the loaded model's objects and Burrow's answer defaults. */
export interface DirectDeps {
  llama: Llama;
  model: LlamaModel;
  chatWrapper: ChatWrapper;
  slot: DirectSlot;
  defaults: { temperature?: number | undefined; topP?: number | undefined; maxTokens: number; seed?: number | undefined };
}

const invalid = (message: string): BurrowError => new BurrowError('invalid_input', message);

/** The one context sequence direct answers use, kept between requests (in memory only). */
export class DirectSlot {
  readonly #context: LlamaContext;
  readonly #chatWrapper: ChatWrapper;
  /** Frees a conversation's sequence when the context has none left. */
  readonly #reclaim: () => Promise<void>;
  #sequence: LlamaContextSequence | null = null;
  #chat: LlamaChat | null = null;
  #completion: LlamaCompletion | null = null;

  constructor(context: LlamaContext, chatWrapper: ChatWrapper, reclaim: () => Promise<void>) {
    this.#context = context;
    this.#chatWrapper = chatWrapper;
    this.#reclaim = reclaim;
  }

  get sequence(): LlamaContextSequence | null {
    return this.#sequence;
  }

  async chat(): Promise<LlamaChat> {
    const sequence = await this.#ensureSequence();
    this.#completion?.dispose({ disposeSequence: false });
    this.#completion = null;
    this.#chat ??= new LlamaChat({ contextSequence: sequence, chatWrapper: this.#chatWrapper });
    return this.#chat;
  }

  async completion(): Promise<LlamaCompletion> {
    const sequence = await this.#ensureSequence();
    this.#chat?.dispose({ disposeSequence: false });
    this.#chat = null;
    this.#completion ??= new LlamaCompletion({ contextSequence: sequence });
    return this.#completion;
  }

  /** Hands the sequence back to the context (a conversation needs it); the next request starts afresh. */
  async release(): Promise<void> {
    this.#chat?.dispose({ disposeSequence: false });
    this.#completion?.dispose({ disposeSequence: false });
    this.#chat = null;
    this.#completion = null;
    const sequence = this.#sequence;
    this.#sequence = null;
    await sequence?.dispose();
  }

  async #ensureSequence(): Promise<LlamaContextSequence> {
    if (this.#sequence !== null) return this.#sequence;
    if (this.#context.sequencesLeft === 0) await this.#reclaim();
    if (this.#context.sequencesLeft === 0) throw new BurrowError('busy', 'The model has no room for another answer right now. Try again in a moment.');
    this.#sequence = this.#context.getSequence();
    return this.#sequence;
  }
}

export async function runDirect(deps: DirectDeps, input: DirectInput, options: DirectOptions, signal: AbortSignal, onText: (text: string) => void): Promise<DirectResult> {
  const started = performance.now();
  const grammar = await grammarFor(deps.llama, options);
  const sampling = {
    maxTokens: options.maxTokens ?? deps.defaults.maxTokens,
    ...definedOnly({ temperature: options.temperature ?? deps.defaults.temperature, topP: options.topP ?? deps.defaults.topP, seed: options.seed ?? deps.defaults.seed }),
    ...(options.stop === undefined ? {} : { customStopTriggers: options.stop }),
    signal,
    stopOnAbortSignal: true,
  };
  let generatedTokens = 0;
  let streamed = '';
  const onToken = (tokens: readonly unknown[]): void => {
    generatedTokens += tokens.length;
  };
  const onTextChunk = (chunk: string): void => {
    streamed += chunk;
    onText(chunk);
  };
  const run = input.kind === 'chat' ? () => answerChat(deps, input.messages, options, grammar, { ...sampling, onToken, onTextChunk }) : () => continueText(deps, input.prompt, grammar, { ...sampling, onToken, onTextChunk });
  const sequence = deps.slot.sequence;
  const meterBefore = sequence?.tokenMeter.getState();
  let outcome: Outcome;
  try {
    outcome = await run();
  } catch (error) {
    if (error instanceof BurrowError && error.code === 'invalid_input') throw error;
    // An abort before the first token throws even with stopOnAbortSignal: it is still a cancel.
    if (!signal.aborted) throw new BurrowError('engine_error', `The model failed while answering: ${error instanceof Error ? error.message : String(error)}`, { cause: error });
    outcome = { text: streamed, finishReason: 'stop', promptTokens: 0 };
  }
  const meter = deps.slot.sequence;
  const used = meter === null ? null : meterBefore === undefined ? meter.tokenMeter.getState() : meter.tokenMeter.diff(meterBefore);
  return {
    text: outcome.text,
    reason: signal.aborted ? 'cancelled' : 'done',
    finishReason: outcome.finishReason,
    ...(outcome.toolCalls === undefined ? {} : { toolCalls: outcome.toolCalls }),
    stats: {
      evaluatedTokens: used === null ? 0 : used.usedInputTokens + Math.min(used.usedOutputTokens, 1),
      generatedTokens,
      durationMs: performance.now() - started,
      truncatedMessages: 0,
      promptTokens: outcome.promptTokens,
    },
  };
}

/** What an answer produced, before the stats are added. */
interface Outcome {
  text: string;
  finishReason: FinishReason;
  toolCalls?: ToolCall[];
  promptTokens: number;
}

interface Sampling {
  maxTokens: number;
  temperature?: number;
  topP?: number;
  seed?: number;
  customStopTriggers?: string[];
  signal: AbortSignal;
  stopOnAbortSignal: boolean;
  onToken: (tokens: readonly unknown[]) => void;
  onTextChunk: (chunk: string) => void;
}

async function answerChat(deps: DirectDeps, messages: DirectMessage[], options: DirectOptions, grammar: LlamaGrammar | undefined, sampling: Sampling): Promise<Outcome> {
  const { chatHistory, hasToolCalls } = toDirectHistory(messages);
  const functions = await functionsFor(deps, options);
  if ((functions !== undefined || hasToolCalls) && !supportsFunctions(deps.chatWrapper)) throw invalid("This model's chat template does not support tools.");
  const promptTokens = deps.chatWrapper
    .generateContextState({ chatHistory, ...(functions === undefined ? {} : { availableFunctions: functions, documentFunctionParams: true }) })
    .contextText.tokenize(deps.model.tokenizer).length;
  const chat = await deps.slot.chat();
  const result = await chat.generateResponse(chatHistory, {
    ...sampling,
    ...(functions === undefined ? (grammar === undefined ? {} : { grammar }) : { functions, documentFunctionParams: true }),
  });
  const calls = result.functionCalls ?? [];
  if (calls.length > 0) {
    const toolCalls = calls.map((call) => ({ id: `call_${randomUUID().replaceAll('-', '').slice(0, 24)}`, name: call.functionName, arguments: JSON.stringify(call.params ?? {}) }));
    return { text: result.response, finishReason: 'tool_calls', toolCalls, promptTokens };
  }
  return { text: result.response, finishReason: result.metadata.stopReason === 'maxTokens' ? 'length' : 'stop', promptTokens };
}

async function continueText(deps: DirectDeps, prompt: string, grammar: LlamaGrammar | undefined, sampling: Sampling): Promise<Outcome> {
  const { model } = deps;
  const beginning = model.tokens.shouldPrependBosToken ? model.tokens.bos : null;
  const tokens = [...(beginning === null ? [] : [beginning]), ...model.tokenize(prompt, false, beginning === null ? undefined : 'trimLeadingSpace')];
  const completion = await deps.slot.completion();
  const result = await completion.generateCompletionWithMeta(tokens, { ...sampling, ...(grammar === undefined ? {} : { grammar }) });
  return { text: result.response, finishReason: result.metadata.stopReason === 'maxTokens' ? 'length' : 'stop', promptTokens: tokens.length };
}

/** The grammar a response format asks for; a schema the grammar cannot take is the caller's error. */
async function grammarFor(llama: Llama, options: DirectOptions): Promise<LlamaGrammar | undefined> {
  const format = options.responseFormat;
  if (format === undefined || format.type === 'text') return undefined;
  if (format.type === 'json_object') return llama.getGrammarFor('json');
  try {
    return await llama.createGrammarForJsonSchema(format.schema as never);
  } catch (error) {
    throw invalid(`Burrow cannot enforce this JSON schema: ${error instanceof Error ? error.message : String(error)}`);
  }
}

/** The tools offered to the model, or undefined for none (no tools, or tool choice 'none'). */
async function functionsFor(deps: DirectDeps, options: DirectOptions): Promise<ChatModelFunctions | undefined> {
  if (!validateDirect({ kind: 'text', prompt: '' }, options).offersTools) return undefined;
  const functions: Record<string, { description?: string; params?: GbnfJsonSchema }> = {};
  for (const tool of options.tools ?? []) {
    const params = toolParameters(tool.parameters) as GbnfJsonSchema | undefined;
    if (params !== undefined) {
      try {
        await deps.llama.createGrammarForJsonSchema(params as never);
      } catch (error) {
        throw invalid(`Burrow cannot use the parameters schema of the tool "${tool.name}": ${error instanceof Error ? error.message : String(error)}`);
      }
    }
    functions[tool.name] = { ...(tool.description === undefined ? {} : { description: tool.description }), ...(params === undefined ? {} : { params }) };
  }
  return functions;
}

/** node-llama-cpp calls functions through the wrapper's function-call syntax; a wrapper without one cannot. */
function supportsFunctions(chatWrapper: ChatWrapper): boolean {
  const call = (chatWrapper.settings as { functions?: { call?: { prefix?: unknown } } }).functions?.call;
  return call?.prefix !== undefined && call.prefix !== '';
}

function definedOnly<T extends Record<string, number | undefined>>(values: T): { [K in keyof T]?: number } {
  return Object.fromEntries(Object.entries(values).filter(([, value]) => value !== undefined)) as { [K in keyof T]?: number };
}
