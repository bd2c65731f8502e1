/**
 * Cuts a document into chunks of at most `budget` tokens of the loaded model, along its
 * structure: a chunk ends at a sentence end (a sentence is cut only when it alone is longer
 * than a chunk), prefers to end where a section ends, and knows the pages and section it
 * covers. Token counts come from the model's own tokenizer, in batches, so cutting a long
 * document never blocks the event loop.
 */
import type { NewChunk } from '../store/document-store';
import type { ExtractedUnit } from './types';

/** Counts tokens of each text with the loaded model's tokenizer. */
export type CountTokens = (texts: string[]) => Promise<number[]>;

interface Piece {
  unit: number;
  start: number;
  end: number;
  tokens: number;
}

/** Texts per tokenizer request, and characters: small enough that the engine answers a chat meanwhile. */
const BATCH_PIECES = 2000;
const BATCH_CHARS = 400_000;

export async function chunkUnits(units: readonly ExtractedUnit[], budget: number, countTokens: CountTokens, signal?: AbortSignal): Promise<NewChunk[]> {
  if (budget < 16) throw new Error(`A chunk budget of ${budget} tokens is too small.`);
  let pieces = units.flatMap((unit, index) => {
    const list: Piece[] = [];
    let start = 0;
    for (const end of unit.breaks) {
      if (end > start) list.push({ unit: index, start, end, tokens: 0 });
      start = end;
    }
    return list;
  });
  await countPieces(pieces, units, countTokens, signal);
  pieces = await splitOversized(pieces, units, budget, countTokens, signal);
  const groups = group(pieces, units, budget);
  // Pieces were counted one by one; the joined text is counted once more, and a chunk that
  // came out over budget (tokens merging differently at the seams) is split in two.
  const chunks: Piece[][] = [];
  let pending = groups;
  while (pending.length > 0) {
    signal?.throwIfAborted();
    const counts = await countInBatches(pending.map((piecesOf) => joinText(piecesOf, units)), countTokens);
    const next: Piece[][] = [];
    pending.forEach((piecesOf, i) => {
      const tokens = counts[i] ?? Number.POSITIVE_INFINITY;
      if (tokens <= budget || piecesOf.length === 1) {
        chunks.push(piecesOf);
        exactTokens.set(piecesOf, tokens);
      } else {
        const middle = Math.ceil(piecesOf.length / 2);
        next.push(piecesOf.slice(0, middle), piecesOf.slice(middle));
      }
    });
    pending = next;
  }
  chunks.sort((a, b) => order(a[0]) - order(b[0]));
  return chunks.map((piecesOf, seq) => toChunk(piecesOf, seq, units));
}

/** Exact token counts of the final chunks (a WeakMap so nothing outlives the call). */
const exactTokens = new WeakMap<Piece[], number>();

function order(piece: Piece | undefined): number {
  return piece === undefined ? 0 : piece.unit * 1e9 + piece.start;
}

async function countPieces(pieces: Piece[], units: readonly ExtractedUnit[], countTokens: CountTokens, signal?: AbortSignal): Promise<void> {
  const texts = pieces.map((piece) => textOf(piece, units));
  const counts = await countInBatches(texts, countTokens, signal);
  pieces.forEach((piece, i) => (piece.tokens = counts[i] ?? 0));
}

async function countInBatches(texts: string[], countTokens: CountTokens, signal?: AbortSignal): Promise<number[]> {
  const counts: number[] = [];
  let batch: string[] = [];
  let chars = 0;
  const flush = async (): Promise<void> => {
    if (batch.length === 0) return;
    signal?.throwIfAborted();
    counts.push(...(await countTokens(batch)));
    batch = [];
    chars = 0;
  };
  for (const text of texts) {
    if (batch.length >= BATCH_PIECES || (chars + text.length > BATCH_CHARS && batch.length > 0)) await flush();
    batch.push(text);
    chars += text.length;
  }
  await flush();
  return counts;
}

/** A piece longer than a whole chunk (a run-on sentence, a table) is halved at a space until it fits. */
async function splitOversized(pieces: Piece[], units: readonly ExtractedUnit[], budget: number, countTokens: CountTokens, signal?: AbortSignal): Promise<Piece[]> {
  let result = pieces;
  for (;;) {
    const oversized = result.filter((piece) => piece.tokens > budget && piece.end - piece.start > 1);
    if (oversized.length === 0) return result;
    const halves = new Map<Piece, Piece[]>();
    for (const piece of oversized) {
      const text = units[piece.unit]?.text ?? '';
      const middle = halfway(text, piece.start, piece.end);
      halves.set(piece, [
        { unit: piece.unit, start: piece.start, end: middle, tokens: 0 },
        { unit: piece.unit, start: middle, end: piece.end, tokens: 0 },
      ]);
    }
    const fresh = [...halves.values()].flat();
    await countPieces(fresh, units, countTokens, signal);
    result = result.flatMap((piece) => halves.get(piece) ?? [piece]);
  }
}

function halfway(text: string, start: number, end: number): number {
  const middle = start + Math.floor((end - start) / 2);
  const space = text.lastIndexOf(' ', middle);
  if (space > start + (end - start) / 4) return space + 1;
  const code = text.charCodeAt(middle - 1);
  return code >= 0xd800 && code <= 0xdbff ? middle + 1 : middle;
}

function group(pieces: readonly Piece[], units: readonly ExtractedUnit[], budget: number): Piece[][] {
  const groups: Piece[][] = [];
  let current: Piece[] = [];
  let tokens = 0;
  for (const piece of pieces) {
    const first = current[0];
    const newSection = first !== undefined && units[piece.unit]?.section !== units[first.unit]?.section && units[piece.unit]?.section != null;
    // +1: the paragraph break that joins two units.
    const cost = piece.tokens + (first !== undefined && current.at(-1)?.unit !== piece.unit ? 1 : 0);
    if (current.length > 0 && (tokens + cost > budget || (newSection && tokens >= budget / 2))) {
      groups.push(current);
      current = [];
      tokens = 0;
    }
    current.push(piece);
    tokens += current.length === 1 ? piece.tokens : cost;
  }
  if (current.length > 0) groups.push(current);
  return groups;
}

function textOf(piece: Piece, units: readonly ExtractedUnit[]): string {
  return (units[piece.unit]?.text ?? '').slice(piece.start, piece.end);
}

function joinText(pieces: readonly Piece[], units: readonly ExtractedUnit[]): string {
  let text = '';
  let previous: Piece | undefined;
  for (const piece of pieces) {
    if (previous !== undefined && previous.unit !== piece.unit) text = `${text.trimEnd()}\n\n`;
    text += textOf(piece, units);
    previous = piece;
  }
  return text.trim();
}

function toChunk(pieces: Piece[], seq: number, units: readonly ExtractedUnit[]): NewChunk {
  const pages = pieces.map((piece) => units[piece.unit]?.page).filter((page): page is number => typeof page === 'number');
  const section = pieces.map((piece) => units[piece.unit]?.section).find((title): title is string => typeof title === 'string') ?? null;
  return {
    seq,
    text: joinText(pieces, units),
    pageStart: pages.length > 0 ? Math.min(...pages) : null,
    pageEnd: pages.length > 0 ? Math.max(...pages) : null,
    section,
    tokenCount: exactTokens.get(pieces) ?? pieces.reduce((sum, piece) => sum + piece.tokens, 0),
  };
}
