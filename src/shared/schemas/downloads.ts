/**
 * The contract's schemas for the model catalog, downloads and the network log.
 * Pure TypeScript: no Node, Electron or DOM imports.
 */
import { z } from 'zod';
import { ErrorValueSchema, Id, Timestamp } from './common';

/** A catalog entry's id, e.g. "tinyllama-1.1b-chat-q4_k_m". */
export const CatalogId = z
  .string()
  .min(1)
  .max(64)
  .regex(/^[a-z0-9][a-z0-9._-]*$/, 'must be a catalog id (lower-case letters, digits, ., _ and -)');

export const Sha256Hex = z.string().regex(/^[0-9a-f]{64}$/, 'must be a SHA-256 (64 lower-case hex digits)');

/** One model Burrow offers to download (data/model-catalog.json). */
export const CatalogEntry = z.strictObject({
  id: CatalogId,
  name: z.string().min(1).max(200),
  description: z.string().max(1000),
  /** Hugging Face repository, "owner/name". */
  repo: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._-]*\/[A-Za-z0-9][A-Za-z0-9._-]*$/, 'must be owner/name'),
  /** The pinned commit (40 hex digits); "main" only while a commit is unverified. */
  revision: z.string().regex(/^([0-9a-f]{40}|main)$/, 'must be a commit hash'),
  file: z.string().max(200).regex(/^[A-Za-z0-9][A-Za-z0-9._-]*\.gguf$/, 'must be a .gguf file name'),
  sizeBytes: z.number().int().positive(),
  /** null when unknown: the SHA-256 the host reports for the pinned revision is used instead. */
  sha256: Sha256Hex.nullable(),
  licence: z.string().min(1).max(200),
  licenceUrl: z.url(),
  /** e.g. "1.1B". */
  parameters: z.string().max(20),
  /** e.g. "Q4_K_M". */
  quantisation: z.string().max(20),
  /** Approximate memory needed to run it with its default context. */
  ramBytes: z.number().int().positive(),
  contextLength: z.number().int().positive(),
  /** The one offered first to a new user. */
  recommended: z.boolean(),
});
export type CatalogEntry = z.infer<typeof CatalogEntry>;

export const DownloadState = z.enum(['queued', 'downloading', 'paused', 'verifying', 'done', 'failed', 'cancelled']);
export type DownloadState = z.infer<typeof DownloadState>;

/** Where the SHA-256 a download is checked against came from. 'none': a URL pulled without --sha256. */
export const Sha256Source = z.enum(['pinned', 'host', 'user', 'none']);
export type Sha256Source = z.infer<typeof Sha256Source>;

export const DownloadStatus = z.strictObject({
  downloadId: Id,
  /** null for a URL pulled from the command line. */
  catalogId: CatalogId.nullable(),
  name: z.string(),
  file: z.string(),
  state: DownloadState,
  bytesDone: z.number().int().nonnegative(),
  totalBytes: z.number().int().positive().nullable(),
  /** 0–100, null while the size is unknown. */
  percent: z.number().min(0).max(100).nullable(),
  /** Smoothed; null when not downloading. */
  bytesPerSecond: z.number().nonnegative().nullable(),
  secondsLeft: z.number().nonnegative().nullable(),
  /** Attempts made in the current run (retries after network errors and stalls). */
  attempt: z.number().int().nonnegative(),
  /** The expected SHA-256 (or, with source 'none', the one computed once done). */
  sha256: Sha256Hex.nullable(),
  sha256Source: Sha256Source,
  /** True when resume continues from the bytes already downloaded. */
  canResume: z.boolean(),
  /** The model file, once done. */
  path: z.string().nullable(),
  /** Why it failed; while retrying, what went wrong with the last attempt. */
  error: ErrorValueSchema.nullable(),
});
export type DownloadStatus = z.infer<typeof DownloadStatus>;

/** One outbound request Burrow tried, allowed or blocked (the in-app network log). */
export const NetworkAttempt = z.strictObject({
  at: Timestamp,
  /** Scheme, host and path only: never the query, which may carry signed tokens. */
  url: z.string(),
  reason: z.string(),
  allowed: z.boolean(),
  blockedBecause: z.string().optional(),
});
export type NetworkAttempt = z.infer<typeof NetworkAttempt>;

export const DownloadRef = z.strictObject({ downloadId: Id });
