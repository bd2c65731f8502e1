/**
 * Chunking by tokens along the document's structure, with a stand-in tokenizer (one token per
 * word) so budgets can be checked exactly. The real tokenizer is used in documents.test.ts.
 */
import { describe, expect, it } from 'vitest';
import { chunkUnits, type CountTokens } from '../../../src/core/documents/chunker';
import { sentenceBreaks } from '../../../src/core/documents/extract/sentences';
import type { ExtractedUnit } from '../../../src/core/documents/types';
import { sentences } from '../../support/sample-documents';

const words: CountTokens = (texts) => Promise.resolve(texts.map((text) => text.split(/\s+/).filter(Boolean).length));

function unit(page: number | null, section: string | null, text: string): ExtractedUnit {
  return { page, section, text, breaks: sentenceBreaks(text) };
}

describe('chunking', () => {
  it('fills chunks up to the budget, ends them at sentence ends, and keeps every sentence once, in order', async () => {
    const pages = Array.from({ length: 6 }, (_, i) => unit(i + 1, null, sentences(`p${i + 1}`, 7).join(' ')));
    const chunks = await chunkUnits(pages, 40, words);
    expect(chunks.length).toBeGreaterThan(4);
    for (const chunk of chunks) {
      expect(chunk.tokenCount).toBeLessThanOrEqual(40);
      expect(chunk.text).toMatch(/\.$/);
      expect(chunk.text).toMatch(/^The /);
    }
    const all = chunks.map((chunk) => chunk.text).join(' ').replace(/\s+/g, ' ');
    expect(all).toBe(pages.map((page) => page.text).join(' ').replace(/\s+/g, ' '));
    expect(chunks.map((chunk) => chunk.seq)).toEqual(chunks.map((_, i) => i));
  });

  it('knows the pages each chunk covers', async () => {
    const pages = Array.from({ length: 4 }, (_, i) => unit(i + 1, null, sentences(`p${i + 1}`, 3).join(' ')));
    // Three sentences of ten words a page; 61 tokens with the page break between them.
    const chunks = await chunkUnits(pages, 61, words);
    expect(chunks.map((chunk) => [chunk.pageStart, chunk.pageEnd])).toEqual([
      [1, 2],
      [3, 4],
    ]);
    expect(chunks[0]?.text).toContain('The p2 note 3');
  });

  it('prefers to start a chunk where a section starts, and names the section', async () => {
    const units = [unit(null, 'Costs', sentences('cost', 4).join(' ')), unit(null, 'Benefits', sentences('benefit', 4).join(' '))];
    const chunks = await chunkUnits(units, 60, words);
    expect(chunks.map((chunk) => chunk.section)).toEqual(['Costs', 'Benefits']);
    expect(chunks[1]?.text.startsWith('The benefit note 1')).toBe(true);
  });

  it('cuts a sentence only when it alone is longer than a chunk', async () => {
    const runOn = unit(null, null, `${'moss '.repeat(150)}end.`);
    const chunks = await chunkUnits([runOn], 50, words);
    expect(chunks.length).toBeGreaterThanOrEqual(4);
    for (const chunk of chunks) expect(chunk.tokenCount).toBeLessThanOrEqual(50);
    expect(chunks.map((chunk) => chunk.text).join(' ').split(/\s+/)).toHaveLength(151);
  });

  it('re-checks the joined text and splits a chunk that the tokenizer counts over budget', async () => {
    // A tokenizer that charges 5 extra tokens for every paragraph break inside a text.
    const seams: CountTokens = async (texts) => (await words(texts)).map((count, i) => count + 5 * ((texts[i] ?? '').match(/\n\n/g)?.length ?? 0));
    const pages = Array.from({ length: 4 }, (_, i) => unit(i + 1, null, `Page ${i + 1} has five words.`));
    const chunks = await chunkUnits(pages, 20, seams);
    for (const chunk of chunks) expect(chunk.tokenCount).toBeLessThanOrEqual(20);
    expect(chunks.map((chunk) => chunk.pageStart)).toEqual([...new Set(chunks.map((chunk) => chunk.pageStart))]);
  });

  it('asks the tokenizer in batches', async () => {
    const calls: number[] = [];
    const counting: CountTokens = (texts) => {
      calls.push(texts.length);
      return words(texts);
    };
    const big = unit(null, null, sentences('many', 5000).join(' '));
    await chunkUnits([big], 500, counting);
    expect(Math.max(...calls)).toBeLessThanOrEqual(2000);
  });
});
