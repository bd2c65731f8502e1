import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { TextPacer } from '../../../src/core/engine/text-pacer';

describe('TextPacer', () => {
  let sent: { text: string; at: number }[];
  let pacer: TextPacer;

  beforeEach(() => {
    vi.useFakeTimers();
    sent = [];
    pacer = new TextPacer({ intervalMs: 50, now: () => Date.now(), send: (text) => sent.push({ text, at: Date.now() }) });
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it('sends the first chunk at once: the time to the first token is not paced', () => {
    const start = Date.now();
    pacer.push('Hello');
    expect(sent).toEqual([{ text: 'Hello', at: start }]);
  });

  it('joins the chunks of a fast answer and sends at most one message per interval, in order', () => {
    const start = Date.now();
    // A token every 20 ms for 400 ms.
    for (let i = 0; i < 20; i++) {
      pacer.push(`t${i} `);
      vi.advanceTimersByTime(20);
    }
    pacer.flush();
    expect(sent.map((message) => message.text).join('')).toBe(Array.from({ length: 20 }, (_, i) => `t${i} `).join(''));
    for (let i = 1; i < sent.length - 1; i++) expect(sent[i]!.at - sent[i - 1]!.at).toBeGreaterThanOrEqual(50);
    // 400 ms at one message per 50 ms, plus the first and the final flush.
    expect(sent.length).toBeLessThanOrEqual(10);
    expect(sent.length).toBeGreaterThan(5);
    expect(sent[0]!.at).toBe(start);
  });

  it('holds a chunk no longer than the rest of the interval', () => {
    pacer.push('a');
    vi.advanceTimersByTime(10);
    pacer.push('b');
    vi.advanceTimersByTime(39);
    expect(sent.map((message) => message.text)).toEqual(['a']);
    vi.advanceTimersByTime(1);
    expect(sent.map((message) => message.text)).toEqual(['a', 'b']);
  });

  it("sends a slow model's chunks as they come", () => {
    for (const word of ['one', 'two', 'three']) {
      pacer.push(word);
      expect(sent.at(-1)?.text).toBe(word);
      vi.advanceTimersByTime(200);
    }
    expect(sent).toHaveLength(3);
  });

  it('flush sends what is held back and cancels the timer; empty chunks and flushes send nothing', () => {
    pacer.push('a');
    pacer.push('b');
    pacer.push('');
    pacer.flush();
    pacer.flush();
    vi.advanceTimersByTime(1000);
    expect(sent.map((message) => message.text)).toEqual(['a', 'b']);
  });
});
