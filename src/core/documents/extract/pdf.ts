/** PDF → one unit per page, through unpdf (a serverless pdf.js that runs on Node 20). */
import { getDocumentProxy } from 'unpdf';
import type { ExtractionCaps } from '../types';
import { UnitCollector, grouped } from './collector';
import { ExtractionError, PASSWORD_PDF } from './errors';

export interface PdfText {
  title: string | null;
  pageCount: number;
  pagesRead: number;
  collector: UnitCollector;
  notices: string[];
}

interface TextItem {
  str?: unknown;
  hasEOL?: unknown;
}

export async function extractPdf(bytes: Uint8Array, caps: Pick<ExtractionCaps, 'maxPages' | 'maxChars'>, onPage?: (done: number, total: number) => void): Promise<PdfText> {
  let pdf: Awaited<ReturnType<typeof getDocumentProxy>>;
  try {
    pdf = await getDocumentProxy(bytes, { isEvalSupported: false, stopAtErrors: false });
  } catch (error) {
    throw pdfError(error);
  }
  try {
    const pageCount = pdf.numPages;
    const notices: string[] = [];
    const collector = new UnitCollector(caps.maxChars);
    const readable = Math.min(pageCount, caps.maxPages);
    let pagesRead = 0;
    for (let number = 1; number <= readable && !collector.full; number++) {
      let text = '';
      try {
        const page = await pdf.getPage(number);
        const content = await page.getTextContent();
        for (const item of content.items as TextItem[]) {
          if (typeof item.str === 'string') text += item.str;
          if (item.hasEOL === true) text += '\n';
        }
        page.cleanup();
      } catch (error) {
        if (isPassword(error)) throw new ExtractionError(PASSWORD_PDF);
        notices.push(`Page ${number} could not be read and was skipped (${reasonOf(error)}).`);
      }
      collector.add(number, null, text);
      pagesRead = number;
      onPage?.(number, readable);
    }
    if (pagesRead < pageCount) {
      const why = collector.full ? `the text reached Burrow’s limit of ${grouped(caps.maxChars)} characters` : `Burrow reads at most ${grouped(caps.maxPages)} pages`;
      notices.unshift(`Only the first ${grouped(pagesRead)} of ${grouped(pageCount)} pages were read (${why}).`);
    } else if (collector.capped) {
      notices.unshift(`Only the first ${grouped(caps.maxChars)} characters were read.`);
    }
    if (collector.chars === 0 && pagesRead > 0) {
      notices.push('No text was found in this PDF. It may be scanned images of pages, which Burrow cannot read yet.');
    }
    return { title: await pdfTitle(pdf), pageCount, pagesRead, collector, notices };
  } finally {
    await pdf.destroy().catch(() => undefined);
  }
}

async function pdfTitle(pdf: Awaited<ReturnType<typeof getDocumentProxy>>): Promise<string | null> {
  try {
    const { info } = await pdf.getMetadata();
    const title = (info as { Title?: unknown } | undefined)?.Title;
    return typeof title === 'string' && title.trim().length > 0 ? title.trim().slice(0, 200) : null;
  } catch {
    return null;
  }
}

function isPassword(error: unknown): boolean {
  return (error as { name?: unknown } | null)?.name === 'PasswordException';
}

function pdfError(error: unknown): ExtractionError {
  if (isPassword(error)) return new ExtractionError(PASSWORD_PDF);
  return new ExtractionError(`This PDF could not be read: ${reasonOf(error)}`);
}

function reasonOf(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  const plain = message.replace(/\s+/g, ' ').trim().slice(0, 200);
  return plain.length > 0 ? plain.replace(/\.$/, '').replace(/^./, (c) => c.toLowerCase()) + '.' : 'it is damaged.';
}
