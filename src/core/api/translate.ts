/**
 * OpenAI's request fields → the contract's generate.* input, refusing by name what Burrow
 * cannot honour (n > 1, logprobs, audio, images, penalties, …) instead of ignoring it.
 */
import type { DirectMessage, DirectOptions, ProcedureInput, ToolChoice } from '../../shared/contract';
import { invalidRequest } from './api-errors';
import type { ChatMessage, ChatRequest, CompletionRequest } from './openai-schemas';

type Sampling = Pick<ChatRequest, 'n' | 'frequency_penalty' | 'presence_penalty' | 'logit_bias' | 'stop' | 'max_tokens' | 'temperature' | 'top_p' | 'seed'>;

export const unsupportedParam = (param: string, why: string): never => {
  throw invalidRequest(`${param} is not supported by Burrow: ${why}`, param, 'unsupported_parameter');
};
const unsupported = unsupportedParam;
const isSet = (value: unknown): boolean => value !== undefined && value !== null;

function checkSampling(body: Sampling): void {
  if (isSet(body.n) && body.n !== 1) unsupported('n', 'it gives one answer per request (n must be 1).');
  if (isSet(body.frequency_penalty) && body.frequency_penalty !== 0) unsupported('frequency_penalty', 'leave it out or send 0.');
  if (isSet(body.presence_penalty) && body.presence_penalty !== 0) unsupported('presence_penalty', 'leave it out or send 0.');
  if (body.logit_bias && Object.keys(body.logit_bias).length > 0) unsupported('logit_bias', 'leave it out or send {}.');
}

function checkChat(body: ChatRequest): void {
  checkSampling(body);
  if (body.logprobs === true) unsupported('logprobs', 'Burrow does not report token probabilities.');
  if (isSet(body.top_logprobs)) unsupported('top_logprobs', 'Burrow does not report token probabilities.');
  if (isSet(body.audio)) unsupported('audio', "Burrow's models answer in text only.");
  if (body.modalities?.some((modality) => modality !== 'text')) unsupported('modalities', "Burrow's models answer in text only (modalities: [\"text\"]).");
  if (body.store === true) unsupported('store', 'Burrow keeps no copies for a dashboard. API conversations are saved to the history only when Settings → Local API says so.');
  if (isSet(body.service_tier) && body.service_tier !== 'auto' && body.service_tier !== 'default') unsupported('service_tier', 'there is one tier here.');
  for (const param of ['prediction', 'reasoning_effort', 'verbosity', 'web_search_options'] as const) {
    if (isSet(body[param])) unsupported(param, 'this model cannot do that here.');
  }
  if (isSet(body.functions) || isSet(body.function_call)) unsupported(isSet(body.functions) ? 'functions' : 'function_call', 'use tools and tool_choice instead.');
}

function contentText(content: ChatMessage['content'], param: string): string {
  if (typeof content === 'string') return content;
  if (content === null || content === undefined) return '';
  if (!Array.isArray(content)) unsupported(param, 'content must be text.');
  const parts = content as Array<{ type: string; text?: unknown }>;
  return parts
    .map((part, index) => {
      if (part.type !== 'text') unsupported(`${param}[${index}].type`, `content parts of type "${part.type.slice(0, 50)}" cannot be read; Burrow's models read text only.`);
      if (typeof part.text !== 'string') throw invalidRequest(`${param}[${index}].text: must be a string.`, `${param}[${index}].text`);
      return part.text;
    })
    .join('\n');
}

function toDirectMessage(message: ChatMessage, index: number): DirectMessage {
  const param = `messages[${index}].content`;
  switch (message.role) {
    case 'system':
    case 'developer':
      return { role: 'system', text: contentText(message.content, param) };
    case 'user':
      return { role: 'user', text: contentText(message.content, param) };
    case 'tool':
      return { role: 'tool', toolCallId: message.tool_call_id, text: contentText(message.content, param) };
    case 'function':
      return unsupported(`messages[${index}].role`, 'the "function" role is retired; send tool messages instead.');
    case 'assistant': {
      if (isSet(message.audio)) unsupported(`messages[${index}].audio`, "Burrow's models answer in text only.");
      if (isSet(message.function_call)) unsupported(`messages[${index}].function_call`, 'use tool_calls instead.');
      const toolCalls = (message.tool_calls ?? []).map((call, callIndex) => {
        if (call.type !== 'function') unsupported(`messages[${index}].tool_calls[${callIndex}].type`, 'only function tools are supported.');
        return { id: call.id, name: call.function.name, arguments: call.function.arguments };
      });
      return { role: 'assistant', text: contentText(message.content, param), ...(toolCalls.length > 0 ? { toolCalls } : {}) };
    }
  }
}

function stopList(stop: Sampling['stop']): string[] | undefined {
  if (stop === null || stop === undefined) return undefined;
  const list = (typeof stop === 'string' ? [stop] : stop).filter((entry) => entry !== '');
  if (list.some((entry) => entry.length > 500)) throw invalidRequest('stop: each stop sequence must be at most 500 characters.', 'stop');
  return list.length > 0 ? list : undefined;
}

function samplingOptions(body: Sampling, maxTokens: number | null | undefined): DirectOptions {
  const options: DirectOptions = {};
  if (isSet(maxTokens)) options.maxTokens = maxTokens ?? undefined;
  if (isSet(body.temperature)) options.temperature = body.temperature ?? undefined;
  if (isSet(body.top_p)) options.topP = body.top_p ?? undefined;
  if (isSet(body.seed)) options.seed = body.seed ?? undefined;
  const stop = stopList(body.stop);
  if (stop !== undefined) options.stop = stop;
  return options;
}

function responseFormat(format: ChatRequest['response_format']): DirectOptions['responseFormat'] {
  if (format === null || format === undefined || format.type === 'text') return undefined;
  if (format.type === 'json_object') return { type: 'json_object' };
  const schema = format.json_schema.schema;
  return schema === undefined ? { type: 'json_object' } : { type: 'json_schema', schema };
}

function toolOptions(body: ChatRequest): Pick<DirectOptions, 'tools' | 'toolChoice'> {
  if (!body.tools || body.tools.length === 0) {
    if (isSet(body.tool_choice) && body.tool_choice !== 'none' && body.tool_choice !== 'auto') throw invalidRequest('tool_choice: there are no tools to choose from.', 'tool_choice');
    return {};
  }
  const tools = body.tools.map((tool, index) => {
    if (tool.type !== 'function' || tool.function === undefined) return unsupported(`tools[${index}].type`, 'only function tools are supported.');
    const { name, description, parameters } = tool.function;
    if (!/^[A-Za-z0-9_-]{1,64}$/.test(name)) throw invalidRequest(`tools[${index}].function.name: must be 1–64 letters, digits, _ or -.`, `tools[${index}].function.name`);
    return { name, ...(description !== undefined ? { description } : {}), ...(parameters !== undefined ? { parameters } : {}) };
  });
  const choice = body.tool_choice;
  let toolChoice: ToolChoice | undefined;
  if (typeof choice === 'string') toolChoice = choice;
  else if (choice) {
    if (!tools.some((tool) => tool.name === choice.function.name)) throw invalidRequest(`tool_choice: there is no tool named "${choice.function.name.slice(0, 64)}".`, 'tool_choice');
    toolChoice = { name: choice.function.name };
  }
  return { tools, ...(toolChoice !== undefined ? { toolChoice } : {}) };
}

/** A chat completion request as generate.chat's input (saved under `title` when the user keeps API conversations). */
export function chatInput(body: ChatRequest, saveHistory: boolean): ProcedureInput<'generate.chat'> {
  checkChat(body);
  const messages = body.messages.map(toDirectMessage);
  const options: DirectOptions = { ...samplingOptions(body, body.max_completion_tokens ?? body.max_tokens), ...toolOptions(body) };
  const format = responseFormat(body.response_format);
  if (format !== undefined) options.responseFormat = format;
  const firstQuestion = messages.find((message) => message.role === 'user')?.text.trim() ?? '';
  const title = `API: ${firstQuestion.slice(0, 80) || 'chat'}`;
  return { messages, options, ...(saveHistory ? { saveAs: { title } } : {}) };
}

/** A (legacy) completion request as generate.text's input. */
export function textInput(body: CompletionRequest): ProcedureInput<'generate.text'> {
  checkSampling(body);
  if (isSet(body.best_of) && body.best_of !== 1) unsupported('best_of', 'it gives one answer per request (best_of must be 1).');
  if (body.echo === true) unsupported('echo', 'the answer never repeats the prompt.');
  if (isSet(body.logprobs)) unsupported('logprobs', 'Burrow does not report token probabilities.');
  if (isSet(body.suffix)) unsupported('suffix', 'Burrow continues a prompt, it does not fill in the middle.');
  let prompt = body.prompt;
  if (Array.isArray(prompt)) {
    if (prompt.length !== 1 || typeof prompt[0] !== 'string') unsupported('prompt', 'send one prompt as a string (not several, and not token ids).');
    prompt = prompt[0] as string;
  }
  return { prompt, options: samplingOptions(body, body.max_tokens) };
}
