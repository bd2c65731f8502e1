import { describe, expect, it } from 'vitest';
import { procedures, type ProcedureName } from '../../../src/shared/contract';
import { BurrowError } from '../../../src/shared/errors';
import { createRouter, type Handlers } from '../../../src/shared/router';

const names = Object.keys(procedures) as ProcedureName[];

/** Handlers that record what reached them: the router under test must stop bad input before this. */
function recordingHandlers(calls: string[]): Handlers {
  return Object.fromEntries(
    names.map((name) => [
      name,
      (input: unknown) => {
        calls.push(name);
        return input;
      },
    ]),
  ) as unknown as Handlers;
}

const hostile: Array<[string, unknown]> = [
  ['undefined', undefined],
  ['null', null],
  ['a number', 42],
  ['a string', 'hello'],
  ['an array', []],
  ['extra keys', { unexpected: true }],
  ['__proto__ payload', JSON.parse('{"__proto__": {"polluted": true}, "id": "x"}')],
  ['NaN id', { id: Number.NaN, conversationId: Number.NaN, generationId: Number.NaN }],
  ['negative id', { id: -1, conversationId: -1, generationId: -1 }],
  ['10 MB strings', { id: 'x'.repeat(10_000_000), conversationId: 'x'.repeat(10_000_000), text: 'x'.repeat(10_000_000), path: 'x'.repeat(10_000_000), title: 'x'.repeat(10_000_000), generationId: 'x'.repeat(10_000_000) }],
  ['path-like ids', { id: '../../etc/passwd', conversationId: '../..', generationId: '/dev/zero' }],
];

describe('router', () => {
  for (const name of names) {
    it(`${name} answers invalid_input to malformed input and never runs the handler`, async () => {
      const calls: string[] = [];
      const router = createRouter(recordingHandlers(calls));
      for (const [label, input] of hostile) {
        // Empty-input procedures accept `{}` only; `extra keys` etc. must still fail for them.
        const result = await router.call(name, input);
        expect(result.ok, `${name} with ${label}`).toBe(false);
        if (!result.ok) {
          expect(result.error.code).toBe('invalid_input');
          expect(result.error.message.length).toBeLessThan(2000);
        }
      }
      expect(calls).toEqual([]);
      expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    });
  }

  it('names the field that is wrong', async () => {
    const router = createRouter(recordingHandlers([]));
    const result = await router.call('chat.send', { conversationId: 'abc', text: 7 });
    expect(result).toMatchObject({ ok: false, error: { code: 'invalid_input' } });
    expect(!result.ok && result.error.message).toContain('text');
  });

  it('refuses unknown procedures, including inherited property names', async () => {
    const router = createRouter(recordingHandlers([]));
    for (const name of ['nope.verb', 'toString', '__proto__', 'constructor', 42, null]) {
      const result = await router.call(name, {});
      expect(result).toMatchObject({ ok: false, error: { code: 'unknown_procedure' } });
    }
  });

  it('passes parsed input to the handler and returns its value', async () => {
    const calls: string[] = [];
    const router = createRouter(recordingHandlers(calls));
    const result = await router.call('conversations.rename', { id: 'abc-1', title: '  Trip plans  ' });
    expect(result).toEqual({ ok: true, value: { id: 'abc-1', title: 'Trip plans' } });
    expect(calls).toEqual(['conversations.rename']);
  });

  it('turns thrown errors into values: BurrowError keeps its code, anything else is internal', async () => {
    const failing = {
      ...recordingHandlers([]),
      'conversations.get': () => {
        throw new BurrowError('not_found', 'This conversation no longer exists.');
      },
      'conversations.list': () => {
        throw new TypeError('boom');
      },
    } as Handlers;
    const seen: unknown[] = [];
    const router = createRouter(failing, { onInternalError: (error) => seen.push(error) });
    expect(await router.call('conversations.get', { id: 'abc' })).toEqual({ ok: false, error: { code: 'not_found', message: 'This conversation no longer exists.' } });
    const internal = await router.call('conversations.list', {});
    expect(internal).toMatchObject({ ok: false, error: { code: 'internal' } });
    expect(seen).toHaveLength(1);
  });
});
