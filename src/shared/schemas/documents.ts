/**
 * The contract's schemas for documents: extraction, summaries with references, passages.
 * Pure TypeScript: no Node, Electron or DOM imports.
 */
import { z } from 'zod';
import { Id, Timestamp } from './common';

export const DocumentFormat = z.enum(['pdf', 'docx', 'epub', 'html', 'markdown', 'text']);
export type DocumentFormat = z.infer<typeof DocumentFormat>;

/** 'brief': one paragraph. 'key-points': a list. 'outline': headings with points under them. */
export const SummaryStyle = z.enum(['brief', 'key-points', 'outline']);
export type SummaryStyle = z.infer<typeof SummaryStyle>;

/** 'interrupted': Burrow stopped while it ran. 'interrupted', 'cancelled' and 'error' resume with documents.summarize. */
export const SummaryStatus = z.enum(['running', 'interrupted', 'cancelled', 'done', 'error']);
export type SummaryStatus = z.infer<typeof SummaryStatus>;

/** Largest file documents.uploadBegin accepts a size for (only `acceptBytes` of it are sent). */
export const MAX_DOCUMENT_DECLARED_BYTES = 2 ** 40;
/** Chunk ids are 0-based positions of a document's chunks. */
export const ChunkId = z.number().int().nonnegative().max(10_000_000);

/**
 * A place in a document, as written in summaries and answers between square brackets:
 * `p. 3–4` (PDF pages), `§ "Costs"` (a heading, chapter or section), `part 2` (text without
 * either). documents.passage shows its text.
 */
export const DocumentReference = z.strictObject({
  label: z.string(),
  pageStart: z.number().int().positive().nullable(),
  pageEnd: z.number().int().positive().nullable(),
  section: z.string().nullable(),
  chunkIds: z.array(ChunkId),
});
export type DocumentReference = z.infer<typeof DocumentReference>;

/** One page (PDF) or section in reading order: the document's table of contents. */
export const DocumentOutlineEntry = z.strictObject({
  /** As a reference label: `p. 3` or `§ "Costs"`; pass to documents.passage. */
  label: z.string(),
  page: z.number().int().positive().nullable(),
  section: z.string().nullable(),
  chars: z.number().int().nonnegative(),
});
export type DocumentOutlineEntry = z.infer<typeof DocumentOutlineEntry>;

export const DocumentInfo = z.strictObject({
  id: Id,
  /** The conversation it is attached to; deleting that conversation deletes the document. */
  conversationId: Id,
  fileName: z.string(),
  format: DocumentFormat,
  /** The title the file states (PDF info, EPUB metadata, HTML <title>), else null. */
  title: z.string().nullable(),
  sizeBytes: z.number().int().nonnegative(),
  /** Pages in the file (PDF), else null. */
  pageCount: z.number().int().nonnegative().nullable(),
  /** Pages read: fewer than pageCount when the page cap was reached (see notices). */
  pagesRead: z.number().int().nonnegative().nullable(),
  charCount: z.number().int().nonnegative(),
  /** What was left out and why ("Only the first 2 000 of 5 000 pages were read."): show them, always. */
  notices: z.array(z.string()),
  outline: z.array(DocumentOutlineEntry),
  createdAt: Timestamp,
});
export type DocumentInfo = z.infer<typeof DocumentInfo>;

/** How much of the document a summary covers, e.g. "all 117 pages", "pages 1–80 of 117 — cancelled". */
export const SummaryCoverage = z.strictObject({
  text: z.string(),
  chunksDone: z.number().int().nonnegative(),
  chunksTotal: z.number().int().nonnegative(),
  /** Every chunk of everything that was read is in the summary. */
  complete: z.boolean(),
});
export type SummaryCoverage = z.infer<typeof SummaryCoverage>;

export const SummaryPoint = z.strictObject({ text: z.string(), references: z.array(DocumentReference) });
export type SummaryPoint = z.infer<typeof SummaryPoint>;

export const DocumentSummary = z.strictObject({
  id: Id,
  documentId: Id,
  style: SummaryStyle,
  focus: z.string().nullable(),
  status: SummaryStatus,
  error: z.string().nullable(),
  coverage: SummaryCoverage,
  /** The summary, point by point, each with its references; empty until status is 'done'. */
  points: z.array(SummaryPoint),
  /** The assistant message in the conversation that shows it (Markdown, references as [p. 3]); null until done. */
  messageId: Id.nullable(),
  createdAt: Timestamp,
  updatedAt: Timestamp,
});
export type DocumentSummary = z.infer<typeof DocumentSummary>;

export const DocumentView = z.strictObject({
  document: DocumentInfo,
  /** Oldest first. */
  summaries: z.array(DocumentSummary),
});
export type DocumentView = z.infer<typeof DocumentView>;

export const DocumentPassage = z.strictObject({
  documentId: Id,
  reference: DocumentReference,
  /** The extracted text of those pages or that section (plain text, never HTML). */
  text: z.string(),
  /** The text was longer and was cut at MAX_PASSAGE_CHARS. */
  truncated: z.boolean(),
});
export type DocumentPassage = z.infer<typeof DocumentPassage>;

export const MAX_PASSAGE_CHARS = 100_000;

export const DocumentProgress = z.strictObject({
  summaryId: Id,
  documentId: Id,
  conversationId: Id,
  /** 'chunking': cutting the text for the model; 'map': summarising chunk by chunk; 'reduce': combining. */
  stage: z.enum(['chunking', 'map', 'reduce']),
  chunksDone: z.number().int().nonnegative(),
  chunksTotal: z.number().int().nonnegative(),
  /** Where the current step is, as a reference label (`p. 12`, `§ "Costs"`), or null. */
  section: z.string().nullable(),
  /** Never goes up; null until Burrow has timed one step. */
  secondsLeft: z.number().nonnegative().nullable(),
  /** 0–100, never goes down. */
  percent: z.number().min(0).max(100),
});
export type DocumentProgress = z.infer<typeof DocumentProgress>;

export const UploadId = Id;
