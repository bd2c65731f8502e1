/**
 * Runs one generate.chat / generate.text answer for an HTTP request: whole, or streamed as
 * server-sent events ending with `data: [DONE]`. A client that goes away cancels its answer at
 * once; an answer that fails before any text gets a proper status, after some text an error event.
 */
import type { GenerationEnd } from '../../shared/client';
import type { DirectStarted, FinishReason, ToolCall } from '../../shared/contract';
import { ApiError, fromCoreError, tooManyRequests } from './api-errors';
import type { Exchange } from './exchange';
import type { RouteContext } from './server';

export interface Usage {
  prompt_tokens: number;
  completion_tokens: number;
  total_tokens: number;
}

/** How one endpoint shapes its answer (chat completions, completions). */
export interface AnswerShape {
  /** The stream's first event (the assistant role), if the endpoint has one. */
  opening?: () => unknown;
  piece: (text: string) => unknown;
  toolCalls?: (calls: ToolCall[]) => unknown;
  finish: (reason: FinishReason) => unknown;
  usage: (usage: Usage) => unknown;
  whole: (answer: { text: string; toolCalls: ToolCall[]; finishReason: FinishReason; usage: Usage | null }) => unknown;
}

export interface GenerationRequest {
  start: () => Promise<DirectStarted>;
  /** The answer's shape, once its generation id is known. */
  shape: (generationId: string) => AnswerShape;
  stream: boolean;
  includeUsage: boolean;
}

export function usageOf(end: GenerationEnd): Usage | null {
  if (end.stats === undefined) return null;
  const prompt = end.stats.promptTokens ?? end.stats.evaluatedTokens;
  return { prompt_tokens: prompt, completion_tokens: end.stats.generatedTokens, total_tokens: prompt + end.stats.generatedTokens };
}

/** Counts this request against the in-flight bound, or answers 429. */
export function admitOrRefuse(exchange: Exchange, context: RouteContext): void {
  if (!context.admit(exchange)) {
    throw tooManyRequests(`Burrow is already answering ${context.maxInFlight} API requests. Try again in a moment.`);
  }
}

function endError(end: GenerationEnd): ApiError {
  if (end.reason === 'cancelled') return new ApiError(503, 'server_error', 'The answer was stopped inside Burrow before it finished (the app stopped it or is closing).', { code: 'cancelled' });
  return fromCoreError(end.error ?? { code: 'engine_error', message: 'The model stopped with an error.' });
}

export async function runGeneration(exchange: Exchange, context: RouteContext, request: GenerationRequest): Promise<void> {
  const { client } = context;
  admitOrRefuse(exchange, context);
  // Gone while its body was read or its model looked up: nothing to start.
  if (exchange.signal.aborted) return;
  const { generationId } = await request.start();
  const shape = request.shape(generationId);
  const cancel = (): void => {
    void client.invoke('generate.cancel', { generationId });
  };
  if (exchange.signal.aborted) cancel();
  else exchange.signal.addEventListener('abort', cancel, { once: true });

  let streaming = false;
  let sent = 0;
  // Headers wait for the first text, so an answer that fails at once still gets its real status.
  const send = (text: string): void => {
    if (!streaming) {
      streaming = true;
      exchange.startStream();
      if (shape.opening) exchange.sendEvent(shape.opening());
    }
    if (text.length > sent) exchange.sendEvent(shape.piece(text.slice(sent)));
    sent = text.length;
  };
  let text = '';
  const end = await client.followGeneration(generationId, {
    onDelta: (_delta, whole) => {
      text = whole;
      if (request.stream && !exchange.signal.aborted) send(text);
    },
  });
  exchange.signal.removeEventListener('abort', cancel);
  const usage = usageOf(end);
  exchange.tokens = usage?.total_tokens ?? null;
  if (exchange.signal.aborted) return;
  if (end.reason !== 'done') throw endError(end);

  const finishReason = end.finishReason ?? 'stop';
  const toolCalls = end.toolCalls ?? [];
  if (!request.stream) {
    exchange.sendJson(200, shape.whole({ text, toolCalls, finishReason, usage }));
    return;
  }
  send(text);
  if (toolCalls.length > 0 && shape.toolCalls) exchange.sendEvent(shape.toolCalls(toolCalls));
  exchange.sendEvent(shape.finish(finishReason));
  if (request.includeUsage && usage !== null) exchange.sendEvent(shape.usage(usage));
  exchange.endStream();
}
