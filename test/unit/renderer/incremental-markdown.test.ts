import { describe, expect, it } from 'vitest';
import { IncrementalMarkdown } from '../../../src/renderer/lib/markdown';
import type { BlockPlan } from '../../../src/renderer/lib/markdown-blocks';

function counting(): { rendered: string[]; render: (plan: BlockPlan) => string } {
  const rendered: string[] = [];
  return { rendered, render: (plan) => (rendered.push(plan.text), `<x>${plan.text}</x>`) };
}

const unlimited = (): { deadline: number; maxChars: number } => ({ deadline: Infinity, maxChars: Infinity });

describe('IncrementalMarkdown', () => {
  it('while an answer streams, renders again only the piece that changed', () => {
    const { rendered, render } = counting();
    const markdown = new IncrementalMarkdown(render);
    // Paragraphs over 2 KB each, so each is its own piece.
    const paragraphs = Array.from({ length: 20 }, (_, i) => `Paragraph ${i} ${'word '.repeat(500)}`);
    let source = '';
    for (const paragraph of paragraphs) {
      for (const cut of [10, 200, paragraph.length]) {
        const text = source + paragraph.slice(0, cut);
        expect(markdown.render(text, unlimited()).complete).toBe(true);
      }
      source += `${paragraph}\n\n`;
    }
    // 20 paragraphs × 3 updates: each update renders just the growing last piece.
    expect(rendered.length).toBe(60);
  });

  it('spreads a long answer over several calls within the budget, always making progress', () => {
    const { rendered, render } = counting();
    let clock = 0;
    const markdown = new IncrementalMarkdown((plan) => ((clock += 5), render(plan)), () => clock);
    const source = Array.from({ length: 40 }, (_, i) => `Block ${i} ${'x'.repeat(3000)}`).join('\n\n');
    const seen: number[] = [];
    let result = markdown.render(source, { deadline: clock + 12, maxChars: Infinity });
    seen.push(result.html.length);
    while (!result.complete) {
      result = markdown.render(source, { deadline: clock + 12, maxChars: Infinity });
      seen.push(result.html.length);
    }
    expect(seen[0]).toBe(3);
    expect(seen.at(-1)).toBe(40);
    for (let i = 1; i < seen.length; i++) expect(seen[i]).toBeGreaterThan(seen[i - 1]!);
    expect(rendered.length).toBe(40);
    // With no time at all, one piece per call still goes ahead.
    const slow = new IncrementalMarkdown(render, () => Infinity);
    expect(slow.render(source, { deadline: 0, maxChars: 0 }).html.length).toBe(1);
  });
});
