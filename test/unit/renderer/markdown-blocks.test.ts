/**
 * SECURITY.md item 28: whatever a model writes, the Markdown pipeline (split, bound, marked)
 * never throws and never spends long on one block.
 */
import { describe, expect, it } from 'vitest';
import { createMarked } from '../../../src/renderer/lib/markdown';
import { blockHtml, MAX_BLOCK_CHARS, pieces, planAnswer, planBlock, splitBlocks } from '../../../src/renderer/lib/markdown-blocks';

const marked = createMarked();
const parse = (markdown: string): string => marked.parse(markdown, { async: false });

/** Renders like the page does, block by block; returns the HTML and the slowest block's time. */
function renderAll(source: string): { html: string; slowestMs: number } {
  let slowestMs = 0;
  let html = '';
  for (const plan of planAnswer(source)) {
    expect(plan.text.length).toBeLessThanOrEqual(MAX_BLOCK_CHARS);
    const started = performance.now();
    html += blockHtml(plan, parse);
    slowestMs = Math.max(slowestMs, performance.now() - started);
  }
  return { html, slowestMs };
}

/** A small seeded generator, so a failure can be replayed. */
function random(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const PIECES = ['*', '**', '_', '__', '~~', '`', '```', '>', '> ', '- ', '1. ', '  ', '    ', '\t', '\n', '\n\n', '[', ']', '(', ')', '](', '![', '<', '>', '|', '|-|', '#', '\\', 'a', 'word ', 'http://x.io', '&', '<b>', '$', '<!--', '-->'];

function pathological(next: () => number): string {
  const size = Math.floor(next() * 30_000);
  let text = '';
  while (text.length < size) {
    const piece = PIECES[Math.floor(next() * PIECES.length)]!;
    // Runs of one piece are what hurt parsers most.
    text += next() < 0.3 ? piece.repeat(1 + Math.floor(next() * 400)) : piece;
  }
  return text;
}

const NAMED: Record<string, string> = {
  'deep quotes': '>'.repeat(2000),
  'deep quotes with spaces': '> '.repeat(3000) + 'a',
  'quote per line': Array.from({ length: 3000 }, (_, i) => '>'.repeat(i % 400) + ' a').join('\n'),
  'emphasis run': '*a'.repeat(30_000),
  'mixed emphasis run': '*_a'.repeat(10_000),
  'underscore run': '_a'.repeat(30_000),
  'list markers on one line': '- '.repeat(5000) + 'a',
  'ordered markers on one line': '1. '.repeat(3000) + 'a',
  'staircase list': Array.from({ length: 1000 }, (_, i) => `${' '.repeat(i * 2)}- item`).join('\n'),
  'brackets': '['.repeat(50_000),
  'link openers': '[a]('.repeat(20_000),
  'backticks': '`a'.repeat(30_000),
  'angle brackets': '<a'.repeat(30_000),
  'long table': '| a | b |\n|---|---|\n' + '| **x** | _y_ |\n'.repeat(12_000),
  'huge code block': '```js\n' + 'const x = "<script>";\n'.repeat(9000) + '```',
  'unclosed code block': '```\n' + 'line\n'.repeat(40_000),
  '10 000 links': Array.from({ length: 10_000 }, (_, i) => `[l${i}](https://x.io/${i})`).join(' '),
};

describe('Markdown pipeline under pathological input', () => {
  it.each(Object.entries(NAMED))('%s: never throws, no block takes long, nothing raw leaks', (_name, source) => {
    const { html, slowestMs } = renderAll(source);
    expect(html.length).toBeGreaterThan(0);
    // ~10 ms on an idle machine; generous for a shared, noisy one.
    expect(slowestMs).toBeLessThan(150);
    expect(html).not.toContain('<script');
  });

  it('random Markdown-heavy text: never throws, bounded time, split is lossless', () => {
    const next = random(13);
    for (let round = 0; round < 120; round++) {
      const source = pathological(next);
      const blocks = splitBlocks(source);
      expect(blocks.join('\n'), `round ${round}`).toBe(source);
      const { slowestMs } = renderAll(source);
      expect(slowestMs, `round ${round}`).toBeLessThan(150);
    }
  });

  it('keeps ordinary Markdown as Markdown, and code blocks with blank lines in one piece', () => {
    const source = '# Title\n\nSome **bold** text.\n\n```\ncode\n\nmore code\n```\n\n- one\n\n  still one\n- two\n\n| a | b |\n|---|---|\n| 1 | 2 |';
    const blocks = splitBlocks(source);
    expect(blocks).toEqual(['# Title', '\nSome **bold** text.', '\n```\ncode\n\nmore code\n```', '\n- one\n\n  still one\n- two', '\n| a | b |\n|---|---|\n| 1 | 2 |']);
    const html = renderAll(source).html;
    expect(html).toContain('<h1>Title</h1>');
    expect(html).toContain('<strong>bold</strong>');
    expect(html).toContain('<pre><code>code\n\nmore code\n</code></pre>');
    expect(html).toContain('<table>');
    expect(html).toMatch(/<li>\s*<p>one<\/p>\s*<p>still one<\/p>/);
  });

  it('shows a block too long, too nested or too dense as escaped text, and a huge code block as code', () => {
    expect(planBlock('x'.repeat(MAX_BLOCK_CHARS + 1))).toMatchObject({ kind: 'text', reason: 'long' });
    expect(planBlock('>'.repeat(40) + ' a')).toMatchObject({ kind: 'text', reason: 'nested' });
    expect(planBlock('*_a'.repeat(300))).toMatchObject({ kind: 'text', reason: 'delimiters' });
    expect(planBlock('> > quoted **twice**')).toMatchObject({ kind: 'markdown' });
    const code = '\n\n```\n' + '<b>\n'.repeat(MAX_BLOCK_CHARS) + '```';
    expect(planBlock(code)).toMatchObject({ kind: 'code' });
    expect(blockHtml(planBlock(code), parse)).toMatch(/^<pre><code>&lt;b&gt;\n/);
    expect(blockHtml(planBlock('<img src=x onerror=alert(1)> ' + 'x'.repeat(MAX_BLOCK_CHARS)), parse)).toMatch(/^<p class="plain">&lt;img src=x/);
  });

  it('cuts long text into pieces at line ends, losing nothing', () => {
    const next = random(7);
    for (let round = 0; round < 50; round++) {
      const text = pathological(next) + '\u{1F600}'.repeat(Math.floor(next() * 9000));
      const parts = pieces(text, 1000);
      for (const part of parts) expect(part.length).toBeLessThanOrEqual(1000);
      const rejoined = parts.reduce((all, part, index) => (index === 0 ? part : all + (text[all.length] === '\n' ? '\n' : '') + part), '');
      expect(rejoined).toBe(text);
    }
  });

  it('a parser failure shows the block as escaped text', () => {
    const html = blockHtml({ kind: 'markdown', text: '<i>boom</i>' }, () => {
      throw new RangeError('Maximum call stack size exceeded');
    });
    expect(html).toBe('<p class="plain">&lt;i&gt;boom&lt;/i&gt;</p>');
  });
});
