/**
 * The request bodies Burrow's API accepts, as OpenAI defines them, parsed from `unknown`. A
 * field Burrow does not know is refused by name (OpenAI does the same), and one it knows but
 * cannot honour is refused by unsupported() — never silently ignored. `user` and `metadata`
 * are accepted: they label a request and change nothing in the answer.
 */
import { z } from 'zod';
import { invalidRequest, type ApiError } from './api-errors';

const Stop = z.union([z.string(), z.array(z.string()).max(8)]).nullish();
const Sampling = {
  model: z.string().min(1).max(500),
  max_tokens: z.number().int().positive().nullish(),
  temperature: z.number().min(0).max(2).nullish(),
  top_p: z.number().min(0).max(1).nullish(),
  stop: Stop,
  seed: z.number().int().nullish(),
  stream: z.boolean().nullish(),
  stream_options: z.strictObject({ include_usage: z.boolean().optional(), include_obfuscation: z.boolean().optional() }).nullish(),
  n: z.number().int().nullish(),
  frequency_penalty: z.number().min(-2).max(2).nullish(),
  presence_penalty: z.number().min(-2).max(2).nullish(),
  logit_bias: z.record(z.string(), z.number()).nullish(),
  user: z.string().max(1000).nullish(),
  metadata: z.record(z.string(), z.string()).nullish(),
};

const ContentPart = z.looseObject({ type: z.string() });
const Content = z.union([z.string(), z.array(ContentPart).max(1000)]);
const ToolCallIn = z.looseObject({
  id: z.string().min(1).max(200),
  type: z.string(),
  function: z.strictObject({ name: z.string().min(1).max(200), arguments: z.string() }),
});

export const ChatMessage = z.discriminatedUnion('role', [
  z.strictObject({ role: z.enum(['system', 'developer']), content: Content, name: z.string().optional() }),
  z.strictObject({ role: z.literal('user'), content: Content, name: z.string().optional() }),
  z.strictObject({
    role: z.literal('assistant'),
    content: Content.nullish(),
    name: z.string().optional(),
    tool_calls: z.array(ToolCallIn).max(64).nullish(),
    refusal: z.string().nullish(),
    audio: z.unknown().optional(),
    function_call: z.unknown().optional(),
  }),
  z.strictObject({ role: z.literal('tool'), content: Content, tool_call_id: z.string().min(1).max(200) }),
  z.strictObject({ role: z.literal('function'), content: z.unknown(), name: z.string() }),
]);
export type ChatMessage = z.infer<typeof ChatMessage>;

export const ChatTool = z.looseObject({
  type: z.string(),
  function: z
    .strictObject({
      name: z.string(),
      description: z.string().optional(),
      parameters: z.record(z.string(), z.unknown()).optional(),
      strict: z.boolean().nullish(),
    })
    .optional(),
});

export const ResponseFormatIn = z.discriminatedUnion('type', [
  z.strictObject({ type: z.literal('text') }),
  z.strictObject({ type: z.literal('json_object') }),
  z.strictObject({
    type: z.literal('json_schema'),
    json_schema: z.strictObject({
      name: z.string().max(64),
      description: z.string().optional(),
      schema: z.record(z.string(), z.unknown()).optional(),
      strict: z.boolean().nullish(),
    }),
  }),
]);

export const ChatRequest = z.strictObject({
  ...Sampling,
  messages: z.array(ChatMessage).min(1).max(1000),
  max_completion_tokens: z.number().int().positive().nullish(),
  response_format: ResponseFormatIn.nullish(),
  tools: z.array(ChatTool).max(128).nullish(),
  tool_choice: z
    .union([z.enum(['none', 'auto', 'required']), z.strictObject({ type: z.literal('function'), function: z.strictObject({ name: z.string() }) })])
    .nullish(),
  parallel_tool_calls: z.boolean().nullish(),
  logprobs: z.boolean().nullish(),
  top_logprobs: z.number().int().nullish(),
  store: z.boolean().nullish(),
  audio: z.unknown().optional(),
  modalities: z.array(z.string()).nullish(),
  service_tier: z.string().nullish(),
  prediction: z.unknown().optional(),
  reasoning_effort: z.unknown().optional(),
  verbosity: z.unknown().optional(),
  web_search_options: z.unknown().optional(),
  functions: z.unknown().optional(),
  function_call: z.unknown().optional(),
  prompt_cache_key: z.string().nullish(),
  safety_identifier: z.string().nullish(),
});
export type ChatRequest = z.infer<typeof ChatRequest>;

export const CompletionRequest = z.strictObject({
  ...Sampling,
  prompt: z.union([z.string(), z.array(z.unknown())]),
  best_of: z.number().int().nullish(),
  echo: z.boolean().nullish(),
  logprobs: z.number().int().nullish(),
  suffix: z.string().nullish(),
});
export type CompletionRequest = z.infer<typeof CompletionRequest>;

export const EmbeddingRequest = z.strictObject({
  model: z.string().min(1).max(500),
  input: z.union([z.string(), z.array(z.unknown()).min(1).max(256)]),
  encoding_format: z.enum(['float', 'base64']).nullish(),
  dimensions: z.number().int().nullish(),
  user: z.string().max(1000).nullish(),
});
export type EmbeddingRequest = z.infer<typeof EmbeddingRequest>;

/** OpenAI names a field like `messages[0].content`. */
export function paramName(path: readonly PropertyKey[]): string | null {
  let name = '';
  for (const key of path) name += typeof key === 'number' ? `[${key}]` : `${name === '' ? '' : '.'}${String(key)}`;
  return name === '' ? null : name;
}

/** The body, parsed by `schema`, or a 400 that says which field is wrong and why. */
export function parseBody<T>(schema: z.ZodType<T>, body: unknown): T {
  const parsed = schema.safeParse(body);
  if (parsed.success) return parsed.data;
  throw describeIssue(parsed.error.issues[0]);
}

function describeIssue(issue: z.core.$ZodIssue | undefined): ApiError {
  if (issue === undefined) return invalidRequest('The request body is not valid.');
  if (issue.code === 'unrecognized_keys') {
    const name = paramName([...issue.path, issue.keys[0] ?? '']);
    return invalidRequest(`Unrecognized request argument supplied: ${issue.keys.join(', ')}. Burrow does not support it.`, name, 'unsupported_parameter');
  }
  const name = paramName(issue.path);
  if (issue.code === 'invalid_union' && issue.path.at(-2) === 'messages') {
    return invalidRequest(`${name ?? 'body'}: must be a message with role system, developer, user, assistant or tool.`, name);
  }
  return invalidRequest(`${name ?? 'The body'}: ${issue.message}`, name, issue.code === 'invalid_type' && issue.input === undefined ? 'missing_required_parameter' : null);
}
