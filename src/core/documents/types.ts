/**
 * What the extraction process hands back, and the caps it works under. Shared by the worker
 * (which produces it) and the core (which parses it from `unknown` with extraction-protocol.ts).
 */
import type { DocumentFormat } from '../../shared/contract';
import type { SpawnProcess } from '../process/channel';
import type { ExtractedUnit } from '../store/document-store';

// The store keeps units as the extraction process hands them over; the format is the contract's.
export type { DocumentFormat } from '../../shared/contract';
export type { ExtractedUnit } from '../store/document-store';

/** Starts one extraction process; the supervisor (DocumentExtractor) calls it again after a kill. */
export type SpawnDocumentWorker = SpawnProcess;

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
