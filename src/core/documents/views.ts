/** Builds the contract's document shapes (DocumentInfo, DocumentSummary, coverage) from stored records. */
import type { DocumentInfo, DocumentSummary, SummaryCoverage, SummaryPoint } from '../../shared/contract';
import { grouped } from './extract/collector';
import type { ChunkRecord, DocumentRecord, PartRecord, SummaryRecord, UnitRecord } from '../store/document-store';
import { z } from 'zod';

type ChunkPlace = Pick<ChunkRecord, 'seq' | 'pageStart' | 'pageEnd' | 'section'>;

export function documentInfo(record: DocumentRecord, units: readonly UnitRecord[]): DocumentInfo {
  const outline: DocumentInfo['outline'] = [];
  for (const unit of units) {
    if (unit.page === null && unit.section === null) continue;
    outline.push({
      label: unit.page !== null ? `p. ${unit.page}` : `§ "${(unit.section ?? '').replace(/["\]\n]/g, "'")}"`,
      page: unit.page,
      section: unit.section,
      chars: unit.text.length,
    });
  }
  return {
    id: record.id,
    conversationId: record.conversationId,
    fileName: record.fileName,
    format: record.format,
    title: record.title,
    sizeBytes: record.sizeBytes,
    pageCount: record.pageCount,
    pagesRead: record.pagesRead,
    charCount: record.charCount,
    notices: record.notices,
    outline,
    createdAt: record.createdAt,
  };
}

/** How much of the document `mapped` summarised chunks (from the start) cover, in words. */
export function coverageOf(document: DocumentRecord, chunks: readonly ChunkPlace[], mapped: number, status: SummaryRecord['status']): SummaryCoverage {
  const total = chunks.length;
  const done = Math.min(mapped, total);
  const complete = status === 'done' && done === total && total > 0;
  const suffix = complete
    ? ''
    : status === 'cancelled'
      ? ' — cancelled'
      : status === 'interrupted'
        ? ' — interrupted'
        : status === 'error'
          ? ' — stopped by an error'
          : status === 'running'
            ? ' so far'
            : '';
  return { text: `${coverageText(document, chunks, done)}${suffix}`, chunksDone: done, chunksTotal: total, complete };
}

function coverageText(document: DocumentRecord, chunks: readonly ChunkPlace[], done: number): string {
  const total = chunks.length;
  if (total === 0) return 'nothing yet';
  if (document.pageCount !== null && document.pageCount > 0) {
    const pages = document.pageCount;
    const read = document.pagesRead ?? pages;
    if (done === total) {
      if (read >= pages) return pages === 1 ? 'the whole page' : `all ${grouped(pages)} pages`;
      return `pages 1–${grouped(read)} of ${grouped(pages)} (Burrow read only the first ${grouped(read)})`;
    }
    if (done === 0) return `none of the ${grouped(pages)} pages`;
    const last = chunks[done - 1]?.pageEnd ?? 1;
    return `pages 1–${grouped(last)} of ${grouped(pages)}`;
  }
  const sections = distinct(chunks.map((chunk) => chunk.section));
  const noun = document.format === 'epub' ? 'chapters' : 'sections';
  if (sections.length > 1) {
    if (done === total) return `all ${grouped(sections.length)} ${noun}`;
    if (done === 0) return `none of the ${grouped(sections.length)} ${noun}`;
    const covered = distinct(chunks.slice(0, done).map((chunk) => chunk.section)).length;
    return `${noun} 1–${covered} of ${grouped(sections.length)}`;
  }
  if (done === total) return 'all of the text';
  return `the first ${Math.floor((done / total) * 100)} % of the text`;
}

function distinct(values: ReadonlyArray<string | null>): string[] {
  const seen: string[] = [];
  for (const value of values) if (value !== null && seen.at(-1) !== value && !seen.includes(value)) seen.push(value);
  return seen;
}

/** Level-0 parts from the first chunk on, without a gap: the chunks a summary has covered. */
export function mappedFromStart(parts: readonly PartRecord[]): number {
  const seqs = new Set(parts.filter((part) => part.level === 0).map((part) => part.seq));
  let count = 0;
  while (seqs.has(count)) count++;
  return count;
}

export const StoredResult = z.object({
  points: z.array(z.object({ text: z.string(), references: z.array(z.any()) })),
  levels: z.number().int().nonnegative(),
});

export function summaryView(record: SummaryRecord, document: DocumentRecord, chunks: readonly ChunkPlace[], parts: readonly PartRecord[]): DocumentSummary {
  let points: SummaryPoint[] = [];
  if (record.result !== null) {
    const parsed = StoredResult.safeParse(JSON.parse(record.result));
    if (parsed.success) points = parsed.data.points as SummaryPoint[];
  }
  // A summary cut for other chunks (the document was re-cut for another model) covers nothing of these.
  const sameChunks = record.chunkCount === chunks.length;
  return {
    id: record.id,
    documentId: record.documentId,
    style: record.style,
    focus: record.focus,
    status: record.status,
    error: record.error,
    coverage: coverageOf(document, chunks, sameChunks ? (record.status === 'done' ? chunks.length : mappedFromStart(parts)) : 0, record.status),
    points,
    messageId: record.messageId,
    createdAt: record.createdAt,
    updatedAt: record.updatedAt,
  };
}

/** The summary as the conversation shows it: Markdown, each point followed by its references. */
export function summaryMarkdown(style: SummaryRecord['style'], points: readonly SummaryPoint[], coverage: SummaryCoverage, notices: readonly string[]): string {
  const cite = (point: SummaryPoint): string => `${point.text}${point.references.map((reference) => ` [${reference.label}]`).join('')}`;
  let body: string;
  if (style === 'brief') body = points.map(cite).join(' ');
  else if (style === 'key-points') body = points.map((point) => `- ${cite(point)}`).join('\n');
  else body = points.map((point) => (/^#{1,6}\s/.test(point.text) || /^[-*]\s/.test(point.text) ? cite(point) : `- ${cite(point)}`)).join('\n');
  const notes = notices.map((notice) => `\n_${notice}_`).join('');
  return `${body}\n\n_Covers ${coverage.text}._${notes}`;
}
