/**
 * Reads one document inside the extraction process: opens the file the core authorised
 * (refusing anything that is not that same regular file), picks the format, applies the caps,
 * and returns units with their locations plus notices of anything left out.
 */
import { closeSync, constants, fstatSync, openSync, readSync } from 'node:fs';
import { extname } from 'node:path';
import { formatBytes } from '../../../shared/format-bytes';
import type { DocumentFormat, Extraction, ExtractionCaps, FileIdentity } from '../types';
import { UnitCollector, grouped } from './collector';
import { extractDocx } from './docx';
import { extractEpub } from './epub';
import { ExtractionError } from './errors';
import { htmlToSections } from './html';
import { markdownToSections } from './markdown';
import { extractPdf } from './pdf';
import { decodeText } from './text';

export interface ExtractRequest {
  path: string;
  /** The name the user knows the file by (for the format); the path may be a temporary upload. */
  fileName: string;
  /** When given, the file must still be this one (same device, inode and size). */
  identity?: FileIdentity | undefined;
  caps: ExtractionCaps;
}

export type Progress = (pagesDone: number, pagesTotal: number) => void;

const EXTENSIONS: Record<string, DocumentFormat> = {
  '.pdf': 'pdf',
  '.docx': 'docx',
  '.epub': 'epub',
  '.html': 'html',
  '.htm': 'html',
  '.xhtml': 'html',
  '.md': 'markdown',
  '.markdown': 'markdown',
  '.mdown': 'markdown',
  '.txt': 'text',
  '.text': 'text',
  '.log': 'text',
  '.csv': 'text',
  '.tsv': 'text',
  '.json': 'text',
  '.xml': 'text',
  '.rst': 'text',
  '': 'text',
};

export const SUPPORTED_EXTENSIONS = Object.keys(EXTENSIONS).filter((extension) => extension !== '');

/** The format a file name announces, or null for one Burrow does not read. */
export function formatOf(fileName: string): DocumentFormat | null {
  return EXTENSIONS[extname(fileName).toLowerCase()] ?? null;
}

export async function extractDocument(request: ExtractRequest, onProgress?: Progress): Promise<Extraction> {
  const format = formatOf(request.fileName);
  if (format === null) {
    throw new ExtractionError(
      `Burrow cannot read ${extname(request.fileName) || 'this kind of'} files. It reads PDF, Word (.docx), EPUB, HTML, Markdown and plain text.`,
    );
  }
  const { caps } = request;
  const fd = openChecked(request.path, request.identity);
  try {
    const size = fstatSync(fd).size;
    if (format === 'pdf' || format === 'docx' || format === 'epub') {
      if (size > caps.maxFileBytes) {
        throw new ExtractionError(`This file is too large (${formatBytes(size)}). Burrow reads ${format.toUpperCase()} files up to ${formatBytes(caps.maxFileBytes)}.`);
      }
    }
    const collector = new UnitCollector(caps.maxChars);
    const notices: string[] = [];
    let title: string | null = null;
    let pageCount: number | null = null;
    let pagesRead: number | null = null;
    switch (format) {
      case 'pdf': {
        const pdf = await extractPdf(readAll(fd, size), caps, onProgress);
        pdf.collector.units.forEach((unit) => collector.add(unit.page, unit.section, unit.text));
        notices.push(...pdf.notices);
        ({ title, pageCount, pagesRead } = pdf);
        break;
      }
      case 'docx': {
        const html = await extractDocx(fd, caps);
        for (const section of html.sections) collector.add(null, section.title, section.text);
        title = html.title;
        break;
      }
      case 'epub': {
        const book = await extractEpub(fd, caps, () => collector.full);
        for (const chapter of book.chapters) collector.add(null, chapter.title, chapter.text);
        title = book.title;
        break;
      }
      case 'html':
      case 'markdown':
      case 'text': {
        const { text, bytesRead } = readText(fd, size, caps);
        if (bytesRead < size) {
          notices.push(`Only the first ${formatBytes(bytesRead)} of this ${formatBytes(size)} file were read.`);
        }
        if (format === 'html') {
          const html = htmlToSections(text);
          for (const section of html.sections) collector.add(null, section.title, section.text);
          title = html.title;
        } else if (format === 'markdown') {
          for (const section of markdownToSections(text)) collector.add(null, section.title, section.text);
        } else {
          collector.add(null, null, text);
        }
        break;
      }
    }
    if (collector.capped && !notices.some((notice) => notice.includes('characters'))) {
      notices.push(`Only the first ${grouped(caps.maxChars)} characters were read.`);
    }
    const units = collector.finish();
    if (units.length === 0 && !notices.some((notice) => notice.startsWith('No text'))) notices.push('No text was found in this file.');
    return {
      format,
      title,
      units,
      pageCount,
      pagesRead,
      charCount: collector.chars,
      notices,
      peakRssBytes: process.resourceUsage().maxRSS * 1024,
    };
  } finally {
    closeSync(fd);
  }
}

/**
 * Opens without following a symbolic link and without blocking on a FIFO, then checks what
 * was opened: a regular file, and the very one the core checked.
 */
function openChecked(path: string, identity: FileIdentity | undefined): number {
  let fd: number;
  try {
    fd = openSync(path, constants.O_RDONLY | (constants.O_NOFOLLOW ?? 0) | (constants.O_NONBLOCK ?? 0));
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') throw new ExtractionError('This file could not be read: it no longer exists.');
    if (code === 'ELOOP') throw new ExtractionError('This file could not be read: it is a link, not a file.');
    throw new ExtractionError(`This file could not be read: ${code ?? 'the system refused to open it'}.`);
  }
  const stat = fstatSync(fd);
  const sameFile = identity === undefined || (stat.dev === identity.dev && stat.ino === identity.ino);
  if (!stat.isFile() || !sameFile) {
    closeSync(fd);
    throw new ExtractionError(stat.isFile() ? 'This file could not be read: it was replaced after you handed it over. Drop it again.' : 'This file could not be read: it is not a regular file.');
  }
  return fd;
}

function readAll(fd: number, size: number): Uint8Array {
  return readPrefix(fd, size);
}

function readPrefix(fd: number, limit: number): Uint8Array {
  const buffer = Buffer.allocUnsafe(limit);
  let filled = 0;
  while (filled < limit) {
    const read = readSync(fd, buffer, filled, limit - filled, filled);
    if (read === 0) break;
    filled += read;
  }
  return new Uint8Array(buffer.buffer, buffer.byteOffset, filled);
}

/** Text formats are read only as far as the caps can use: four bytes per character at most. */
function readText(fd: number, size: number, caps: ExtractionCaps): { text: string; bytesRead: number } {
  const limit = Math.min(size, caps.maxFileBytes, caps.maxChars * 4 + 4);
  const bytes = readPrefix(fd, limit);
  return { text: decodeText(bytes, bytes.length < size), bytesRead: bytes.length };
}

