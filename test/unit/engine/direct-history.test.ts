import { describe, expect, it } from 'vitest';
import { toDirectHistory } from '../../../src/core/engine/direct-history';
import { validateDirect } from '../../../src/core/engine/direct-validate';
import { unsupportedSchema } from '../../../src/core/engine/json-schema-support';
import { BurrowError } from '../../../src/shared/errors';
import type { DirectMessage } from '../../../src/shared/contract';

function invalidMessage(run: () => unknown): string {
  try {
    run();
  } catch (error) {
    expect(error).toBeInstanceOf(BurrowError);
    expect((error as BurrowError).code).toBe('invalid_input');
    return (error as BurrowError).message;
  }
  throw new Error('expected invalid_input');
}

describe('toDirectHistory', () => {
  it('joins system messages in order and opens the model turn after a user message', () => {
    const { chatHistory, hasToolCalls } = toDirectHistory([
      { role: 'system', text: 'A' },
      { role: 'user', text: 'Hi' },
      { role: 'system', text: 'B' },
      { role: 'assistant', text: 'Hello' },
      { role: 'user', text: 'Again' },
    ]);
    expect(hasToolCalls).toBe(false);
    expect(chatHistory).toEqual([
      { type: 'system', text: 'A\n\nB' },
      { type: 'user', text: 'Hi' },
      { type: 'model', response: ['Hello'] },
      { type: 'user', text: 'Again' },
      { type: 'model', response: [] },
    ]);
  });

  it('puts tool results into the calls they answer, and continues that model turn', () => {
    const { chatHistory, hasToolCalls } = toDirectHistory([
      { role: 'user', text: 'Weather?' },
      { role: 'assistant', text: '', toolCalls: [{ id: 'a', name: 'w', arguments: '{"city":"Oslo"}' }, { id: 'b', name: 'w', arguments: '' }] },
      { role: 'tool', toolCallId: 'b', text: 'sun' },
      { role: 'tool', toolCallId: 'a', text: 'rain' },
    ]);
    expect(hasToolCalls).toBe(true);
    expect(chatHistory).toEqual([
      { type: 'user', text: 'Weather?' },
      {
        type: 'model',
        response: [
          { type: 'functionCall', name: 'w', params: { city: 'Oslo' }, result: 'rain' },
          { type: 'functionCall', name: 'w', params: undefined, result: 'sun' },
        ],
      },
    ]);
  });

  it('refuses what it cannot turn into a history, saying why', () => {
    expect(invalidMessage(() => toDirectHistory([{ role: 'user', text: 'a' }, { role: 'assistant', text: 'b' }]))).toMatch(/last message must be the user/);
    expect(invalidMessage(() => toDirectHistory([{ role: 'system', text: 'a' }]))).toMatch(/last message/);
    expect(invalidMessage(() => toDirectHistory([{ role: 'user', text: 'a' }, { role: 'tool', toolCallId: 'x', text: 'r' }]))).toMatch(/"x"/);
    const unanswered: DirectMessage[] = [
      { role: 'user', text: 'a' },
      { role: 'assistant', text: '', toolCalls: [{ id: 'c1', name: 'f', arguments: '{}' }] },
      { role: 'user', text: 'b' },
    ];
    expect(invalidMessage(() => toDirectHistory(unanswered))).toMatch(/"c1" has no tool result/);
    expect(invalidMessage(() => toDirectHistory([{ role: 'user', text: 'a' }, { role: 'assistant', text: '', toolCalls: [{ id: 'c', name: 'f', arguments: '{' }] }, { role: 'tool', toolCallId: 'c', text: 'r' }]))).toMatch(/not valid JSON/);
  });
});

describe('validateDirect', () => {
  const tools = [{ name: 'f', parameters: { type: 'object', properties: { a: { type: 'string' } } } }];
  it('offers tools only for tool choice auto', () => {
    expect(validateDirect({ kind: 'text', prompt: '' }, { tools }).offersTools).toBe(true);
    expect(validateDirect({ kind: 'text', prompt: '' }, { tools, toolChoice: 'none' }).offersTools).toBe(false);
    expect(validateDirect({ kind: 'text', prompt: '' }, {}).offersTools).toBe(false);
    // An empty parameters schema means a function without parameters.
    expect(validateDirect({ kind: 'text', prompt: '' }, { tools: [{ name: 'now', parameters: {} }] }).offersTools).toBe(true);
  });
  it('refuses a forced call, tools with a JSON format, and a duplicate or unusable tool', () => {
    expect(invalidMessage(() => validateDirect({ kind: 'text', prompt: '' }, { tools, toolChoice: 'required' }))).toMatch(/cannot force/);
    expect(invalidMessage(() => validateDirect({ kind: 'text', prompt: '' }, { tools, toolChoice: { name: 'f' } }))).toMatch(/cannot force/);
    expect(invalidMessage(() => validateDirect({ kind: 'text', prompt: '' }, { toolChoice: 'required' }))).toMatch(/no tools were given/);
    expect(invalidMessage(() => validateDirect({ kind: 'text', prompt: '' }, { tools, responseFormat: { type: 'json_object' } }))).toMatch(/cannot be combined/);
    expect(invalidMessage(() => validateDirect({ kind: 'text', prompt: '' }, { tools: [...tools, ...tools] }))).toMatch(/Two tools/);
    expect(invalidMessage(() => validateDirect({ kind: 'text', prompt: '' }, { tools: [{ name: 'g', parameters: { type: 'object', properties: { u: { type: 'string', format: 'uri' } } } }] }))).toMatch(/"g".*format "uri"/);
  });
});

describe('unsupportedSchema', () => {
  it('accepts what the grammar enforces', () => {
    expect(unsupportedSchema({ type: 'object', title: 'T', properties: { ok: { type: 'boolean' }, tags: { type: 'array', items: { enum: ['a', 'b'] }, maxItems: 3 } }, required: ['ok'], additionalProperties: false })).toBeNull();
    expect(unsupportedSchema({ oneOf: [{ type: 'string', format: 'date' }, { type: ['number', 'null'] }, { const: 3 }] })).toBeNull();
    expect(unsupportedSchema({ $defs: { n: { type: 'integer' } }, type: 'array', items: { $ref: '#/$defs/n' } })).toBeNull();
  });
  it('names what it cannot enforce, and where', () => {
    expect(unsupportedSchema({ type: 'string', pattern: 'a+' })).toBe('the schema uses "pattern", which Burrow\'s grammar cannot enforce');
    expect(unsupportedSchema({ type: 'object', properties: { n: { type: 'number', minimum: 0 } } })).toMatch(/properties\.n uses "minimum"/);
    expect(unsupportedSchema({ type: 'nope' })).toMatch(/type "nope" is not supported/);
    expect(unsupportedSchema({ anyOf: [] })).toMatch(/anyOf/);
    expect(unsupportedSchema({ type: 'array', minItems: 'x' })).toMatch(/minItems/);
    expect(unsupportedSchema({})).toMatch(/no type/);
    expect(unsupportedSchema('x')).toMatch(/not an object/);
  });
});
