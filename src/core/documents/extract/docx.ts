/**
 * DOCX → sections at headings, tables as "a | b" rows: mammoth turns the document into
 * semantic HTML (Heading 1 → <h1>, tables → <table>), which html.ts reads. Every part mammoth
 * needs is inflated by us first, under the zip caps; images are never read.
 */
import mammoth from 'mammoth';
import type { ExtractionCaps } from '../types';
import { ExtractionError, NOT_DOCX } from './errors';
import { htmlToSections, type HtmlText } from './html';
import { storedZip } from './stored-zip';
import { openZip } from './zip';

/** Pictures, fonts and embedded files carry no text. */
const UNNEEDED = /^(word\/media\/|word\/embeddings\/|word\/fonts\/|customXml\/|docProps\/thumbnail)/i;

export async function extractDocx(fd: number, caps: ExtractionCaps): Promise<HtmlText> {
  const zip = await openZip(fd, caps, NOT_DOCX);
  try {
    if (!zip.entries.has('word/document.xml')) throw new ExtractionError(NOT_DOCX);
    const parts = new Map<string, Buffer>();
    for (const name of zip.entries.keys()) {
      if (!UNNEEDED.test(name)) parts.set(name, await zip.read(name));
    }
    let html: string;
    try {
      const result = await mammoth.convertToHtml(
        { buffer: storedZip(parts) },
        { convertImage: mammoth.images.imgElement(() => Promise.resolve({ src: '' })) },
      );
      html = result.value;
    } catch (error) {
      throw new ExtractionError(`This file could not be read: ${error instanceof Error ? error.message : String(error)}`);
    }
    return htmlToSections(html);
  } finally {
    zip.close();
  }
}
