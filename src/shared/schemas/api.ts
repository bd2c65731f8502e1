/**
 * The contract's schemas for the local OpenAI-compatible API server (src/core/api) and for
 * the remote engine (an OpenAI-compatible server answering instead of the local model).
 * Pure TypeScript: no Node, Electron or DOM imports.
 */
import { z } from 'zod';
import { ErrorValueSchema, Timestamp } from './common';

export { DEFAULT_API_PORT } from '../limits';
export const Port = z.number().int().min(1).max(65_535);
/** An IPv4/IPv6 literal or "localhost"; the server listens on 127.0.0.1 unless the user picks another. */
export const ListenHost = z.string().min(1).max(64).regex(/^[0-9A-Fa-f:.]+$|^localhost$/, 'must be an IP address');
/** An origin a browser page may call the API from (CORS), e.g. "http://localhost:5173". */
export const CorsOrigin = z.string().max(300).regex(/^https?:\/\/[^/\s]+$/, 'must be an origin such as http://localhost:5173');

export const ApiStatus = z.strictObject({
  /** The user's switch (Settings → Local API, or `burrow serve`). Off by default. */
  enabled: z.boolean(),
  state: z.enum(['off', 'starting', 'on', 'error']),
  host: ListenHost,
  port: Port,
  /** The base URL clients use (…/v1) while on, else null. */
  url: z.string().nullable(),
  /** The bearer key clients must send. */
  key: z.string(),
  /** Origins allowed to call from a browser; empty: no CORS at all. */
  origins: z.array(CorsOrigin).max(32),
  /** Save API conversations to the history. Off by default. */
  saveHistory: z.boolean(),
  /** Why the server is not on (a taken port, an address that is not this machine's). */
  error: ErrorValueSchema.nullable(),
  /** With a taken port: a free one to offer instead. */
  freePort: Port.nullable(),
});
export type ApiStatus = z.infer<typeof ApiStatus>;

/** Each field: left out keeps it. */
export const ApiConfigPatch = z.strictObject({
  enabled: z.boolean().optional(),
  host: ListenHost.optional(),
  port: Port.optional(),
  origins: z.array(CorsOrigin).max(32).optional(),
  saveHistory: z.boolean().optional(),
});

/** One request in the request log. */
export const ApiRequestEntry = z.strictObject({
  at: Timestamp,
  /** The client's address and, when sent, its User-Agent (first 100 characters). */
  client: z.string(),
  method: z.string(),
  endpoint: z.string(),
  status: z.number().int(),
  /** Prompt + generated tokens, when the request ran the model. */
  tokens: z.number().int().nonnegative().nullable(),
  durationMs: z.number().nonnegative(),
});
export type ApiRequestEntry = z.infer<typeof ApiRequestEntry>;

/** Settings → Engine → "Use a server". The key is never sent back to a window, only whether one is set. */
export const RemoteEngineStatus = z.strictObject({
  enabled: z.boolean(),
  /** Base URL of the server's OpenAI API, e.g. http://gpu-box:8080/v1. */
  url: z.string().nullable(),
  hasKey: z.boolean(),
  /** The server's model answers come from (one of remote.test's list). */
  model: z.string().nullable(),
  /** Why the last request failed (offline mode, refused, unreachable), else null. */
  error: ErrorValueSchema.nullable(),
});
export type RemoteEngineStatus = z.infer<typeof RemoteEngineStatus>;

export const RemoteUrl = z.string().min(1).max(2048).regex(/^https?:\/\//, 'must start with http:// or https://');
export const RemoteKey = z.string().max(4096);

export const RemoteEnginePatch = z.strictObject({
  enabled: z.boolean().optional(),
  url: RemoteUrl.optional(),
  /** null removes the key. */
  apiKey: RemoteKey.nullable().optional(),
  model: z.string().min(1).max(500).optional(),
});
