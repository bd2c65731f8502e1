/** POST /v1/chat/completions and POST /v1/completions: OpenAI's answer shapes around runGeneration. */
import type { FinishReason, ToolCall } from '../../shared/contract';
import type { Exchange } from './exchange';
import { runGeneration, type AnswerShape, type Usage } from './generation';
import { ChatRequest, CompletionRequest, parseBody } from './openai-schemas';
import type { RouteContext } from './server';
import { resolveModel } from './served-model';
import { chatInput, textInput } from './translate';

const seconds = (): number => Math.floor(Date.now() / 1000);

function toolCallsOut(calls: ToolCall[], withIndex: boolean): unknown[] {
  return calls.map((call, index) => ({ ...(withIndex ? { index } : {}), id: call.id, type: 'function', function: { name: call.name, arguments: call.arguments } }));
}

function chatShape(id: string, model: string): AnswerShape {
  const created = seconds();
  const chunk = (delta: object, finishReason: FinishReason | null = null) => ({
    id,
    object: 'chat.completion.chunk',
    created,
    model,
    choices: [{ index: 0, delta, logprobs: null, finish_reason: finishReason }],
  });
  return {
    opening: () => chunk({ role: 'assistant', content: '' }),
    piece: (text) => chunk({ content: text }),
    toolCalls: (calls) => chunk({ tool_calls: toolCallsOut(calls, true) }),
    finish: (reason) => chunk({}, reason),
    usage: (usage: Usage) => ({ id, object: 'chat.completion.chunk', created, model, choices: [], usage }),
    whole: ({ text, toolCalls, finishReason, usage }) => ({
      id,
      object: 'chat.completion',
      created,
      model,
      choices: [
        {
          index: 0,
          message: { role: 'assistant', content: toolCalls.length > 0 && text === '' ? null : text, refusal: null, ...(toolCalls.length > 0 ? { tool_calls: toolCallsOut(toolCalls, false) } : {}) },
          logprobs: null,
          finish_reason: finishReason,
        },
      ],
      usage,
    }),
  };
}

function textShape(id: string, model: string): AnswerShape {
  const created = seconds();
  const chunk = (text: string, finishReason: FinishReason | null = null) => ({
    id,
    object: 'text_completion',
    created,
    model,
    choices: [{ text, index: 0, logprobs: null, finish_reason: finishReason }],
  });
  return {
    piece: (text) => chunk(text),
    finish: (reason) => chunk('', reason),
    usage: (usage) => ({ id, object: 'text_completion', created, model, choices: [], usage }),
    whole: ({ text, finishReason, usage }) => ({ ...chunk(text, finishReason), usage }),
  };
}

export async function chatCompletions(exchange: Exchange, context: RouteContext): Promise<void> {
  const body = parseBody(ChatRequest, await exchange.readJson());
  const input = chatInput(body, context.saveHistory());
  const model = await resolveModel(context.client, body.model);
  await runGeneration(exchange, context, {
    start: () => context.client.call('generate.chat', input),
    shape: (generationId) => chatShape(`chatcmpl-${generationId}`, model.id),
    stream: body.stream === true,
    includeUsage: body.stream_options?.include_usage === true,
  });
}

export async function completions(exchange: Exchange, context: RouteContext): Promise<void> {
  const body = parseBody(CompletionRequest, await exchange.readJson());
  const input = textInput(body);
  const model = await resolveModel(context.client, body.model);
  await runGeneration(exchange, context, {
    start: () => context.client.call('generate.text', input),
    shape: (generationId) => textShape(`cmpl-${generationId}`, model.id),
    stream: body.stream === true,
    includeUsage: body.stream_options?.include_usage === true,
  });
}
