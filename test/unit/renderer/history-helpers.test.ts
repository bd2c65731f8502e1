import { describe, expect, it } from 'vitest';
import type { SearchGroup } from '../../../src/shared/contract';
import { MAX_WIRE_BYTES } from '../../../src/shared/limits';
import {
  backupKindLabel,
  branchPosition,
  compactTokens,
  importSummary,
  importTooLarge,
  meterReading,
  moveSelection,
  paletteRows,
  tidySegments,
} from '../../../src/renderer/lib/history-helpers';
import { fromDraft, toDraft } from '../../../src/renderer/lib/sampling-fields';
import { formatTime, formatWhen } from '../../../src/renderer/lib/dates';

const group = (conversationId: string, messageIds: string[]): SearchGroup => ({
  conversationId,
  title: conversationId,
  titleSegments: [{ text: conversationId, match: false }],
  updatedAt: 1,
  pinned: false,
  hits: messageIds.map((messageId) => ({ kind: 'message', messageId, role: 'user', createdAt: 1, snippet: [{ text: 'x', match: true }] })),
});

describe('search palette rows', () => {
  it('lists each conversation, then its hits, in the order shown', () => {
    const rows = paletteRows([group('a', ['m1', 'm2']), group('b', [])]);
    expect(rows.map((row) => [row.key, row.conversationId, row.messageId, row.groupIndex])).toEqual([
      ['c:a', 'a', null, 0],
      ['m:m1', 'a', 'm1', 0],
      ['m:m2', 'a', 'm2', 0],
      ['c:b', 'b', null, 1],
    ]);
  });

  it('arrow keys wrap around at both ends and start from either end', () => {
    expect(moveSelection(-1, 1, 3)).toBe(0);
    expect(moveSelection(-1, -1, 3)).toBe(2);
    expect(moveSelection(2, 1, 3)).toBe(0);
    expect(moveSelection(0, -1, 3)).toBe(2);
    expect(moveSelection(1, 1, 3)).toBe(2);
    expect(moveSelection(0, 1, 0)).toBe(-1);
  });

  it('tidies snippets: whitespace collapsed and trimmed, neighbours of one kind merged, matches kept apart', () => {
    expect(
      tidySegments([
        { text: '\n  the ', match: false },
        { text: 'rabbit', match: true },
        { text: '', match: false },
        { text: ' dug\n\na ', match: false },
        { text: 'burrow', match: true },
        { text: 's', match: true },
        { text: '  ', match: false },
      ]),
    ).toEqual([
      { text: 'the ', match: false },
      { text: 'rabbit', match: true },
      { text: ' dug a ', match: false },
      { text: 'burrows', match: true },
    ]);
  });
});

describe('branch switcher', () => {
  it('is absent without alternatives and gives "2 / 3" with both neighbours', () => {
    expect(branchPosition({ id: 'a', siblingIds: ['a'] })).toBeNull();
    expect(branchPosition({ id: 'a', siblingIds: [] })).toBeNull();
    expect(branchPosition({ id: 'b', siblingIds: ['a', 'b', 'c'] })).toEqual({ index: 2, total: 3, previousId: 'a', nextId: 'c' });
    expect(branchPosition({ id: 'a', siblingIds: ['a', 'b'] })).toEqual({ index: 1, total: 2, previousId: null, nextId: 'b' });
  });
});

describe('context meter', () => {
  const usage = (usedTokens: number | null, contextSize: number | null, overflow = false) => ({
    usedTokens,
    contextSize,
    overflow,
    strategy: 'keep-system-and-newest' as const,
    reason: null,
  });

  it('reads nothing while no model is loaded', () => {
    expect(meterReading(null)).toBeNull();
    expect(meterReading(usage(null, null))).toBeNull();
  });

  it('levels: ok below 80 %, high from 80 %, full when it overflows; the bar is capped at 100 %', () => {
    expect(meterReading(usage(512, 2048))).toMatchObject({ percent: 25, level: 'ok', label: '512 / 2k' });
    expect(meterReading(usage(1700, 2048))).toMatchObject({ percent: 83, level: 'high' });
    expect(meterReading(usage(3000, 2048, true))).toMatchObject({ percent: 100, level: 'full', label: '3k / 2k' });
  });

  it('shortens counts', () => {
    expect(compactTokens(950)).toBe('950');
    expect(compactTokens(1234)).toBe('1.2k');
    expect(compactTokens(32_768)).toBe('33k');
  });
});

describe('import', () => {
  it('lets anything through in the app, and refuses what the browser host cannot carry with the limit and a way out', () => {
    const big = 'x'.repeat(MAX_WIRE_BYTES);
    expect(importTooLarge(big, false)).toBeNull();
    expect(importTooLarge('{"small":true}', true)).toBeNull();
    const message = importTooLarge(big, true);
    expect(message).toMatch(/1024 KB/);
    expect(message).toMatch(/burrow import/);
    // Escaping counts: quotes double in size on the wire.
    expect(importTooLarge('"'.repeat(MAX_WIRE_BYTES / 2 - 100), true)).not.toBeNull();
  });

  it('summarises the result in words', () => {
    expect(importSummary({ format: 'burrow-archive', conversations: 1, messages: 4, skipped: 0, duplicates: 0 })).toBe('1 conversation and 4 messages imported from a Burrow archive.');
    expect(importSummary({ format: 'chatgpt', conversations: 2, messages: 1, skipped: 1, duplicates: 0 })).toBe(
      '2 conversations and 1 message imported from a ChatGPT export. 1 conversation had nothing Burrow can show and was skipped.',
    );
    expect(importSummary({ format: 'burrow-archive', conversations: 0, messages: 0, skipped: 0, duplicates: 3 })).toBe(
      '0 conversations and 0 messages imported from a Burrow archive. 3 conversations were already in your history and were not added again.',
    );
  });

  it('names backup kinds', () => {
    expect(backupKindLabel('daily')).toBe('Daily copy');
    expect(backupKindLabel('before-restore')).toBe('Before a restore');
  });
});

describe('conversation settings form', () => {
  it('round-trips settings, empty fields meaning the default', () => {
    const settings = { systemPrompt: 'Be brief.', temperature: 0.3, topP: null, maxTokens: 200 };
    expect(toDraft(settings)).toEqual({ systemPrompt: 'Be brief.', temperature: '0.3', topP: '', maxTokens: '200' });
    expect(fromDraft(toDraft(settings))).toEqual({ ok: true, value: settings });
    expect(fromDraft(toDraft(null))).toEqual({ ok: true, value: { systemPrompt: null, temperature: null, topP: null, maxTokens: null } });
    expect(fromDraft({ ...toDraft(null), systemPrompt: '   ' })).toMatchObject({ ok: true, value: { systemPrompt: null } });
  });

  it('names the field that is out of range instead of clamping it', () => {
    expect(fromDraft({ ...toDraft(null), temperature: '3' })).toEqual({ ok: false, field: 'temperature', message: 'Temperature must be between 0 and 2.' });
    expect(fromDraft({ ...toDraft(null), topP: 'abc' })).toMatchObject({ ok: false, field: 'topP' });
    expect(fromDraft({ ...toDraft(null), maxTokens: '1.5' })).toMatchObject({ ok: false, field: 'maxTokens', message: 'Longest answer must be a whole number.' });
  });
});

describe('search result dates', () => {
  it('shows the time today, the day this year, and the year before that', () => {
    const now = new Date(2026, 10, 27, 15, 0).getTime();
    const today = new Date(2026, 10, 27, 9, 30).getTime();
    expect(formatWhen(today, now)).toBe(formatTime(today));
    expect(formatWhen(new Date(2026, 2, 3, 9).getTime(), now)).not.toMatch(/2026/);
    expect(formatWhen(new Date(2026, 2, 3, 9).getTime(), now)).toMatch(/3/);
    expect(formatWhen(new Date(2024, 2, 3, 9).getTime(), now)).toMatch(/2024/);
  });
});
