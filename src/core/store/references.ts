/**
 * References back into a document, written in the text the way a reader expects them —
 * `[p. 3–4]`, `[§ "Costs"]`, `[part 2]` (text without pages or headings) — and resolved back to
 * the chunks and extracted text they point at, so the UI can show the passage.
 */
import type { ChunkRecord, UnitRecord } from './document-store';

export interface Reference {
  /** As written between the brackets, e.g. `p. 3–4`. */
  label: string;
  pageStart: number | null;
  pageEnd: number | null;
  section: string | null;
  /** Chunk seqs it covers. */
  chunkIds: number[];
}

type ChunkPlace = Pick<ChunkRecord, 'seq' | 'pageStart' | 'pageEnd' | 'section'>;

const DASH = '–';
/** A reference between square brackets, as the summary and answers write them. */
export const REFERENCE_PATTERN = /\[(p(?:p)?\.\s?\d+(?:\s?[–-]\s?\d+)?|§\s?"[^"\]\n]{1,200}"|part\s\d+(?:\s?[–-]\s?\d+)?)\]/g;

/** The reference for a run of consecutive chunks. */
export function referenceFor(chunks: readonly ChunkPlace[]): Reference {
  const chunkIds = chunks.map((chunk) => chunk.seq);
  const pages = chunks.flatMap((chunk) => [chunk.pageStart, chunk.pageEnd]).filter((page): page is number => page !== null);
  if (pages.length > 0) {
    const pageStart = Math.min(...pages);
    const pageEnd = Math.max(...pages);
    return { label: pageStart === pageEnd ? `p. ${pageStart}` : `p. ${pageStart}${DASH}${pageEnd}`, pageStart, pageEnd, section: null, chunkIds };
  }
  const section = chunks.find((chunk) => chunk.section !== null)?.section ?? null;
  if (section !== null) return { label: `§ "${section.replace(/["\]\n]/g, "'")}"`, pageStart: null, pageEnd: null, section, chunkIds };
  const first = Math.min(...chunkIds) + 1;
  const last = Math.max(...chunkIds) + 1;
  return { label: first === last ? `part ${first}` : `part ${first}${DASH}${last}`, pageStart: null, pageEnd: null, section: null, chunkIds };
}

/**
 * The references for a run of chunks: one per section when it spans several (each clickable
 * to its own passage), else one.
 */
export function referencesFor(chunks: readonly ChunkPlace[]): Reference[] {
  if (chunks.some((chunk) => chunk.pageStart !== null)) return [referenceFor(chunks)];
  const bySection: ChunkPlace[][] = [];
  for (const chunk of chunks) {
    const last = bySection.at(-1);
    if (last !== undefined && last[0]?.section === chunk.section) last.push(chunk);
    else bySection.push([chunk]);
  }
  return bySection.slice(0, 4).map(referenceFor);
}

/** Resolves `label` (with or without brackets) against a document's chunks; null when it names nothing there. */
export function resolveReference(label: string, chunks: readonly ChunkPlace[]): Reference | null {
  const inner = label.trim().replace(/^\[|\]$/g, '').trim();
  const pages = /^pp?\.\s?(\d+)(?:\s?[–-]\s?(\d+))?$/.exec(inner);
  if (pages !== null) {
    const from = Number(pages[1]);
    const to = Number(pages[2] ?? pages[1]);
    if (to < from) return null;
    const covered = chunks.filter((chunk) => chunk.pageStart !== null && chunk.pageEnd !== null && chunk.pageStart <= to && chunk.pageEnd >= from);
    if (covered.length === 0) return null;
    return { label: from === to ? `p. ${from}` : `p. ${from}${DASH}${to}`, pageStart: from, pageEnd: to, section: null, chunkIds: covered.map((chunk) => chunk.seq) };
  }
  const section = /^§\s?"(.+)"$/.exec(inner);
  if (section !== null) {
    const title = section[1] ?? '';
    const covered = chunks.filter((chunk) => chunk.section !== null && sameTitle(chunk.section, title));
    if (covered.length === 0) return null;
    return { label: `§ "${title}"`, pageStart: null, pageEnd: null, section: covered[0]?.section ?? title, chunkIds: covered.map((chunk) => chunk.seq) };
  }
  const part = /^part\s(\d+)(?:\s?[–-]\s?(\d+))?$/.exec(inner);
  if (part !== null) {
    const from = Number(part[1]) - 1;
    const to = Number(part[2] ?? part[1]) - 1;
    const covered = chunks.filter((chunk) => chunk.seq >= from && chunk.seq <= to);
    if (covered.length === 0) return null;
    return referenceFor(covered);
  }
  return null;
}

/** Every resolvable reference written in `text`, in order, without repeats. */
export function referencesIn(text: string, chunks: readonly ChunkPlace[]): Reference[] {
  const found = new Map<string, Reference>();
  for (const match of text.matchAll(REFERENCE_PATTERN)) {
    const reference = resolveReference(match[1] ?? '', chunks);
    if (reference !== null && !found.has(reference.label)) found.set(reference.label, reference);
  }
  return [...found.values()];
}

/** The extracted text a reference points at: the pages or sections themselves, else its chunks. */
export function passageText(reference: Reference, units: readonly UnitRecord[], chunks: readonly Pick<ChunkRecord, 'seq' | 'text'>[]): string {
  if (reference.pageStart !== null && reference.pageEnd !== null) {
    const { pageStart, pageEnd } = reference;
    const pages = units.filter((unit) => unit.page !== null && unit.page >= pageStart && unit.page <= pageEnd);
    if (pages.length > 0) return pages.map((unit) => `— ${unit.page} —\n${unit.text}`).join('\n\n');
  }
  if (reference.section !== null) {
    const section = reference.section;
    const sections = units.filter((unit) => unit.section !== null && sameTitle(unit.section, section));
    if (sections.length > 0) return sections.map((unit) => unit.text).join('\n\n');
  }
  const ids = new Set(reference.chunkIds);
  return chunks.filter((chunk) => ids.has(chunk.seq)).map((chunk) => chunk.text).join('\n\n');
}

function sameTitle(a: string, b: string): boolean {
  const norm = (s: string): string => s.replace(/["\]\n']/g, '').replace(/\s+/g, ' ').trim().toLowerCase();
  return norm(a) === norm(b);
}
