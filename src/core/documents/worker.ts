/**
 * Entry point of the extraction process. Untrusted files are parsed here, never in the core:
 * this process runs with a capped heap, is killed by its supervisor when a file takes too
 * long, and only ever sends back plain text with locations.
 */
import { connectToParent } from '../process/parent-port';
import { ExtractionError } from './extract/errors';
import { extractDocument } from './extract/extract';
import { ExtractorRequest, MAX_PIECE_MESSAGE_CHARS, type ExtractorMessage } from './extraction-protocol';
import type { ExtractedUnit } from './types';

const port = connectToParent();
const post = (message: ExtractorMessage): void => port.send(message);

/** One file at a time: the supervisor never sends a second before the first is answered. */
async function handle(request: Extract<ExtractorRequest, { type: 'extract' }>): Promise<void> {
  try {
    const { units, ...extraction } = await extractDocument(request, (pagesDone, pagesTotal) => post({ type: 'progress', id: request.id, pagesDone, pagesTotal }));
    for (const unit of units) for (const piece of pieces(unit)) post({ type: 'unit', id: request.id, unit: piece });
    post({ type: 'extracted', id: request.id, extraction });
  } catch (error) {
    if (error instanceof ExtractionError) post({ type: 'failed', id: request.id, message: error.message, refused: true });
    else post({ type: 'failed', id: request.id, message: `This file could not be read: ${error instanceof Error ? error.message : String(error)}`, refused: true });
  }
}

/** A unit's text in pieces of at most MAX_PIECE_MESSAGE_CHARS, cut at sentence breaks (which are at most 800 characters apart). */
function pieces(unit: ExtractedUnit): Array<ExtractedUnit & { continues: boolean }> {
  const out: Array<ExtractedUnit & { continues: boolean }> = [];
  let start = 0;
  let breaks: number[] = [];
  const flush = (end: number, continues: boolean): void => {
    out.push({ page: unit.page, section: unit.section, text: unit.text.slice(start, end), breaks: breaks.map((offset) => offset - start), continues });
    start = end;
    breaks = [];
  };
  for (const end of unit.breaks) {
    if (end - start > MAX_PIECE_MESSAGE_CHARS && breaks.length > 0) flush(breaks.at(-1) ?? start, true);
    breaks.push(end);
  }
  flush(unit.text.length, false);
  return out;
}

port.onMessage((raw) => {
  const parsed = ExtractorRequest.safeParse(raw);
  if (!parsed.success) {
    post({ type: 'failed', id: null, message: `The document reader received a request it does not understand: ${parsed.error.message}`, refused: false });
    return;
  }
  if (parsed.data.type === 'dispose') {
    setImmediate(() => process.exit(0));
    return;
  }
  void handle(parsed.data);
});
port.onDisconnect(() => process.exit(0));

process.on('uncaughtException', (error) => post({ type: 'failed', id: null, message: error.message, refused: false }));
process.on('unhandledRejection', (reason) => post({ type: 'failed', id: null, message: String(reason), refused: false }));

post({ type: 'started', pid: process.pid });
