/**
 * SECURITY.md item 7 against the real core: every procedure, hostile payloads, and afterwards
 * the data is exactly as it was and nothing threw.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { procedures, type ProcedureName } from '../../src/shared/contract';
import { createAssistant, type Assistant } from '../../src/core/assistant';
import { spawnNodeEngine } from '../../src/core/process/node-spawn';

let dataDir: string;
let assistant: Assistant;
let conversationId: string;

const huge = 'x'.repeat(10 * 1024 * 1024);
const badValues: unknown[] = [undefined, null, true, 0, -1, Number.NaN, Number.POSITIVE_INFINITY, 2 ** 53, '', huge, [], {}, '../../etc/passwd', '/dev/zero', { $gt: '' }];
const names = Object.keys(procedures) as ProcedureName[];

/** Keys a procedure's input object knows about (for per-field fuzzing). */
function fieldsOf(name: ProcedureName): string[] {
  const shape = (procedures[name].input as unknown as { shape?: Record<string, unknown> }).shape;
  return shape ? Object.keys(shape) : [];
}

function isEmptyObject(value: unknown): boolean {
  return typeof value === 'object' && value !== null && !Array.isArray(value) && Object.keys(value).length === 0;
}

function snapshot(): unknown {
  return assistant.conversations.list().map((conversation) => assistant.conversations.get(conversation.id));
}

beforeAll(() => {
  dataDir = mkdtempSync(join(tmpdir(), 'burrow-fuzz-'));
  assistant = createAssistant({ dataDir, spawnEngine: spawnNodeEngine(), pickModelFile: () => Promise.resolve(null) });
  const conversation = assistant.conversations.create('Keep me');
  conversationId = conversation.id;
  assistant.conversations.addMessage({ conversationId, role: 'user', content: 'hello', status: 'complete' });
});

afterAll(async () => {
  await assistant.dispose();
  rmSync(dataDir, { recursive: true, force: true });
});

describe('IPC fuzz against the real core', () => {
  it('every procedure answers a validation error to hostile input and changes nothing', async () => {
    const before = snapshot();
    let calls = 0;
    for (const name of names) {
      // `{}` is a valid input for some procedures (list, create): it is fuzzed as a field value only.
      const payloads: unknown[] = [...badValues.filter((value) => !isEmptyObject(value)), JSON.parse('{"__proto__":{"polluted":1}}'), JSON.parse('{"constructor":{"prototype":{"polluted":1}}}'), { extra: 1 }];
      for (const field of fieldsOf(name)) {
        // (undefined is left out here: an optional field may be absent.)
        for (const value of badValues) if (value !== undefined) payloads.push({ [field]: value });
        payloads.push({ [field]: 'ok-id', unexpected: 'key' });
      }
      for (const input of payloads) {
        // A hostile-looking value can still be valid (a title may read "../../etc/passwd"): only invalid ones are fuzz cases here.
        if (procedures[name].input.safeParse(input).success) continue;
        const result = await assistant.router.call(name, input);
        calls++;
        if (result.ok) throw new Error(`${name} accepted ${JSON.stringify(input)?.slice(0, 80)}`);
        expect(result.error.code).toBe('invalid_input');
        expect(result.error.message.length).toBeLessThan(2000);
      }
    }
    expect(calls).toBeGreaterThan(names.length * badValues.length);
    expect(snapshot()).toEqual(before);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect(assistant.engine.status().state).toBe('idle');
  });
});
