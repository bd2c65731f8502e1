/**
 * Size limits the contract enforces, in a module without zod so the renderer can import them
 * without bundling a schema library (zod probes `new Function`, which our CSP forbids).
 */
export const MAX_MESSAGE_CHARS = 100_000;
export const MAX_TITLE_CHARS = 200;
export const MAX_PATH_CHARS = 4096;
