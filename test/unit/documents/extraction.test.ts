/**
 * Extraction of every format from documents the suite builds itself: the text, where it sits
 * (pages, sections, chapters), decoding, and what is dropped. Runs the extraction code in this
 * process; the process boundary and hostile files are in test/integration/document-worker.test.ts.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { extractDocument } from '../../../src/core/documents/extract/extract';
import { decodeText } from '../../../src/core/documents/extract/text';
import { MAX_PIECE_CHARS, sentenceBreaks } from '../../../src/core/documents/extract/sentences';
import { DEFAULT_CAPS, type ExtractionCaps } from '../../../src/core/documents/types';
import { docx, epub, pdf, sentences } from '../../support/sample-documents';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'burrow-extract-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

function write(name: string, data: Buffer | string): string {
  const path = join(dir, name);
  writeFileSync(path, data);
  return path;
}

function extract(name: string, data: Buffer | string, caps: Partial<ExtractionCaps> = {}) {
  return extractDocument({ path: write(name, data), fileName: name, caps: { ...DEFAULT_CAPS, ...caps } });
}

describe('document extraction', () => {
  it('reads a PDF page by page, keeping page numbers and the title', async () => {
    const pages = [sentences('alpha', 4), sentences('beta', 4), sentences('gamma', 4)];
    const result = await extract('report.pdf', pdf(pages, { title: 'Quarterly report' }));
    expect(result).toMatchObject({ format: 'pdf', title: 'Quarterly report', pageCount: 3, pagesRead: 3, notices: [] });
    expect(result.units.map((unit) => unit.page)).toEqual([1, 2, 3]);
    expect(result.units[1]?.text).toContain('The beta note 3 says');
    expect(result.units[1]?.text).not.toContain('alpha');
    expect(result.units[0]?.breaks).toHaveLength(4);
  });

  it('stops at the page cap and says so', async () => {
    const result = await extract('long.pdf', pdf(Array.from({ length: 5 }, (_, i) => [`Page ${i + 1} text.`])), { maxPages: 2 });
    expect(result.pagesRead).toBe(2);
    expect(result.units.map((unit) => unit.page)).toEqual([1, 2]);
    expect(result.notices[0]).toMatch(/^Only the first 2 of 5 pages were read/);
  });

  it('reads a DOCX into sections at its headings, with tables as rows of cells', async () => {
    const result = await extract(
      'plan.docx',
      docx([
        { paragraph: 'Before any heading.' },
        { heading: 'Costs' },
        { paragraph: 'Moss costs three seeds.' },
        { table: [['Item', 'Price'], ['Moss', '3 seeds']] },
        { heading: 'Benefits', level: 2 },
        { paragraph: 'A warm burrow.' },
      ]),
    );
    expect(result.format).toBe('docx');
    expect(result.units.map((unit) => [unit.section, unit.text])).toEqual([
      [null, 'Before any heading.'],
      ['Costs', 'Moss costs three seeds.\n\nItem | Price\n\nMoss | 3 seeds'],
      ['Benefits', 'A warm burrow.'],
    ]);
  });

  it('reads an EPUB chapter by chapter in spine order, titled, without scripts or styles', async () => {
    const result = await extract(
      'book.epub',
      epub('The Burrow Book', [
        { id: 'c1', title: 'Down the Tunnel', paragraphs: ['It was dark.', 'Then light.'] },
        { id: 'c2', title: 'The Meadow', paragraphs: ['Grass everywhere.'] },
        { id: 'c3', title: 'Home', paragraphs: ['Warm again.'] },
      ]),
    );
    expect(result.title).toBe('The Burrow Book');
    expect(result.units.map((unit) => unit.section)).toEqual(['Down the Tunnel', 'The Meadow', 'Home']);
    expect(result.units[0]?.text).toBe('It was dark.\n\nThen light.');
    const all = result.units.map((unit) => unit.text).join(' ');
    expect(all).not.toMatch(/alert|color/);
  });

  it('reads HTML into sections, dropping scripts, styles and the head', async () => {
    const html = `<!doctype html><html><head><title>Burrow news</title><style>p{color:red}</style><script>var secret = 1;</script></head>
      <body><p>Intro   text
      over two lines.</p><h2>Weather</h2><p>Rain &amp; sun.</p><noscript>enable js</noscript><h2>Food</h2><ul><li>Moss</li><li>Seeds</li></ul></body></html>`;
    const result = await extract('page.html', html);
    expect(result.title).toBe('Burrow news');
    expect(result.units.map((unit) => [unit.section, unit.text])).toEqual([
      [null, 'Intro text over two lines.'],
      ['Weather', 'Rain & sun.'],
      ['Food', '- Moss\n- Seeds'],
    ]);
  });

  it('reads Markdown into sections at its headings', async () => {
    const result = await extract('notes.md', '# Burrow\n\nA home.\n\n## Costs\n\nThree seeds.\n\n| a | b |\n|---|---|\n| 1 | 2 |\n\n## Empty\n');
    expect(result.units.map((unit) => unit.section)).toEqual(['Burrow', 'Costs']);
    expect(result.units[1]?.text).toContain('| 1 | 2 |');
  });

  it('decodes UTF-16 LE and BE text with a BOM', async () => {
    const text = 'Grüße aus dem Bau — 🐇 rabbits.';
    const le = Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(text, 'utf16le')]);
    const be = Buffer.from(le.subarray(2)).swap16();
    expect((await extract('le.txt', le)).units[0]?.text).toBe(text);
    expect((await extract('be.txt', Buffer.concat([Buffer.from([0xfe, 0xff]), be]))).units[0]?.text).toBe(text);
    expect((await extract('bom8.txt', Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(text)]))).units[0]?.text).toBe(text);
  });

  it('turns invalid UTF-8 into replacement characters and drops NUL bytes', async () => {
    const bytes = Buffer.concat([Buffer.from('good '), Buffer.from([0xc3, 0x28, 0xff, 0x00, 0x00]), Buffer.from(' end')]);
    const result = await extract('bad.txt', bytes);
    expect(result.units[0]?.text).toBe('good \uFFFD(\uFFFD end');
    expect(decodeText(Buffer.from([0x61, 0xe2, 0x82]), true)).toBe('a');
  });

  it('refuses files it cannot read, by name, before reading them', async () => {
    await expect(extract('model.gguf', 'GGUF')).rejects.toThrow(/cannot read \.gguf files/);
  });
});

describe('sentence breaks', () => {
  it('end sentences at their marks and cut a run-on text at spaces', () => {
    const text = 'One. Two! Three? “Four.” Five';
    expect(sentenceBreaks(text).map((end, i, all) => text.slice(all[i - 1] ?? 0, end).trim())).toEqual(['One.', 'Two!', 'Three?', '“Four.”', 'Five']);
    const runOn = 'word '.repeat(1000);
    const breaks = sentenceBreaks(runOn);
    expect(breaks.at(-1)).toBe(runOn.length);
    breaks.forEach((end, i) => expect(end - (breaks[i - 1] ?? 0)).toBeLessThanOrEqual(MAX_PIECE_CHARS));
    expect(breaks.slice(0, -1).every((end) => runOn[end - 1] === ' ')).toBe(true);
  });
});
