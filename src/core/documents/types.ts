/**
 * What the extraction process hands back, and the caps it works under. Shared by the worker
 * (which produces it) and the core (which parses it from `unknown` with extraction-protocol.ts).
 */

import type { SpawnProcess } from '../process/channel';

/** Starts one extraction process; the supervisor (DocumentExtractor) calls it again after a kill. */
export type SpawnDocumentWorker = SpawnProcess;

export type DocumentFormat = 'pdf' | 'docx' | 'epub' | 'html' | 'markdown' | 'text';

/**
 * One stretch of the document with one location: a PDF page, or a section (DOCX/HTML/Markdown
 * heading, EPUB chapter). `breaks` are the offsets in `text` where a sentence ends (the last one
 * is `text.length`), so chunking never has to split a sentence, and can do so in the core
 * without re-reading megabytes of text on its event loop.
 */
export interface ExtractedUnit {
  /** 1-based page number (PDF), else null. */
  page: number | null;
  /** The heading or chapter title this text sits under, else null. */
  section: string | null;
  text: string;
  breaks: number[];
}

export interface Extraction {
  format: DocumentFormat;
  /** The document's own title when it states one (PDF info, EPUB metadata, HTML <title>). */
  title: string | null;
  units: ExtractedUnit[];
  /** Pages in the file (PDF), else null. */
  pageCount: number | null;
  /** Pages read (fewer than pageCount past the page cap). */
  pagesRead: number | null;
  charCount: number;
  /** What was left out and why, in plain words ("Only the first 2 000 of 5 000 pages were read."). */
  notices: string[];
  /** The extraction process's peak resident memory so far, in bytes. */
  peakRssBytes: number;
}

export interface ExtractionCaps {
  /** Files of a format that must be read whole (PDF, DOCX, EPUB) above this are refused; text formats are read up to it. */
  maxFileBytes: number;
  maxPages: number;
  maxChars: number;
  /** The supervisor kills the process when one file takes longer. */
  maxMillis: number;
  /** Zip pre-flight (DOCX, EPUB). */
  maxZipEntries: number;
  maxZipTotalBytes: number;
  /** Largest compression ratio accepted for an entry bigger than `ratioCheckAboveBytes`. */
  maxZipRatio: number;
  ratioCheckAboveBytes: number;
}

export const DEFAULT_CAPS: ExtractionCaps = {
  maxFileBytes: 200 * 1024 * 1024,
  maxPages: 2000,
  maxChars: 5_000_000,
  maxMillis: 60_000,
  maxZipEntries: 10_000,
  maxZipTotalBytes: 200 * 1024 * 1024,
  maxZipRatio: 100,
  ratioCheckAboveBytes: 2 * 1024 * 1024,
};

/** Identity of the file the core checked, so the worker can refuse a file swapped in since. */
export interface FileIdentity {
  dev: number;
  ino: number;
  size: number;
}
