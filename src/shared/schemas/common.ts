/**
 * The contract's building blocks, shared by every domain's schemas.
 * Pure TypeScript: no Node, Electron or DOM imports.
 */
import { z } from 'zod';
import { MAX_IMPORT_CHUNK_BYTES } from '../limits';

export const Id = z
  .string()
  .min(1)
  .max(64)
  .regex(/^[A-Za-z0-9_-]+$/, 'must be an id (letters, digits, - and _)');

/** Millisecond Unix timestamp. */
export const Timestamp = z.number().int().nonnegative();

export const ErrorValueSchema = z.strictObject({ code: z.string(), message: z.string() });

export const Empty = z.strictObject({});

/** Base64 of at most MAX_IMPORT_CHUNK_BYTES bytes: the largest chunk of a streamed file (models.importChunk, documents.uploadChunk). */
export const MAX_IMPORT_CHUNK_BASE64 = Math.ceil(MAX_IMPORT_CHUNK_BYTES / 3) * 4;

/** One chunk of a streamed file (models.importChunk, documents.uploadChunk), in base64. */
export const ChunkBase64 = z
  .string()
  .min(1)
  .max(MAX_IMPORT_CHUNK_BASE64)
  .regex(/^[A-Za-z0-9+/]*={0,2}$/, 'must be base64');

/** What a chunk's procedure answers: the bytes received so far. */
export const ChunkReceived = z.strictObject({ receivedBytes: z.number().int().nonnegative() });

/**
 * What a file handed over through the preload's grantFile is for: a document to read (the
 * default) or a LoRA adapter for models.addAdapter. Main checks it with this schema.
 */
export const GrantKind = z.enum(['document', 'adapter']);
export type GrantKind = z.infer<typeof GrantKind>;
