/**
 * Messages between the core and the extraction process, parsed from `unknown` on both sides:
 * the process reads untrusted files, so what it says is checked like any other input.
 */
import { z } from 'zod';

const RequestId = z.number().int().nonnegative();

export const CapsSchema = z.strictObject({
  maxFileBytes: z.number().int().positive(),
  maxPages: z.number().int().positive(),
  maxChars: z.number().int().positive(),
  maxMillis: z.number().int().positive(),
  maxZipEntries: z.number().int().positive(),
  maxZipTotalBytes: z.number().int().positive(),
  maxZipRatio: z.number().positive(),
  ratioCheckAboveBytes: z.number().int().nonnegative(),
});

export const ExtractorRequest = z.discriminatedUnion('type', [
  z.strictObject({
    type: z.literal('extract'),
    id: RequestId,
    path: z.string().min(1),
    fileName: z.string().min(1),
    identity: z.strictObject({ dev: z.number(), ino: z.number(), size: z.number() }).optional(),
    caps: CapsSchema,
  }),
  z.strictObject({ type: z.literal('dispose') }),
]);
export type ExtractorRequest = z.infer<typeof ExtractorRequest>;

const UnitSchema = z.strictObject({
  page: z.number().int().positive().nullable(),
  section: z.string().nullable(),
  text: z.string(),
  breaks: z.array(z.number().int().nonnegative()),
});

/** Largest piece of text in one message: a long document arrives as many small messages, so no single one blocks the core's event loop. */
export const MAX_PIECE_MESSAGE_CHARS = 128 * 1024;

/** A piece of one unit's text; `continues`: the next piece belongs to the same unit. */
const UnitPieceSchema = UnitSchema.extend({ text: z.string().max(MAX_PIECE_MESSAGE_CHARS), continues: z.boolean() });

/** Everything but the text, which arrives before it as 'unit' messages. */
export const ExtractionSummarySchema = z.strictObject({
  format: z.enum(['pdf', 'docx', 'epub', 'html', 'markdown', 'text']),
  title: z.string().nullable(),
  pageCount: z.number().int().nonnegative().nullable(),
  pagesRead: z.number().int().nonnegative().nullable(),
  charCount: z.number().int().nonnegative(),
  notices: z.array(z.string()),
  peakRssBytes: z.number().nonnegative(),
});

export const ExtractorMessage = z.discriminatedUnion('type', [
  z.strictObject({ type: z.literal('started'), pid: z.number().int() }),
  z.strictObject({ type: z.literal('progress'), id: RequestId, pagesDone: z.number().int().nonnegative(), pagesTotal: z.number().int().nonnegative() }),
  z.strictObject({ type: z.literal('unit'), id: RequestId, unit: UnitPieceSchema }),
  z.strictObject({ type: z.literal('extracted'), id: RequestId, extraction: ExtractionSummarySchema }),
  /** `refused`: the file was read and refused with a message for the user; otherwise the process failed. */
  z.strictObject({ type: z.literal('failed'), id: RequestId.nullable(), message: z.string(), refused: z.boolean() }),
]);
export type ExtractorMessage = z.infer<typeof ExtractorMessage>;
