/**
 * Size limits the contract enforces, in a module without zod so the renderer can import them
 * without bundling a schema library (zod probes `new Function`, which our CSP forbids).
 */
export const MAX_MESSAGE_CHARS = 100_000;
export const MAX_TITLE_CHARS = 200;
export const MAX_PATH_CHARS = 4096;

/** Largest piece of a dropped model file sent in one models.importChunk, before base64 (fits the browser host's 1 MiB messages). */
export const MAX_IMPORT_CHUNK_BYTES = 512 * 1024;
/** Largest model file Burrow accepts through models.importBegin (256 GiB). */
export const MAX_IMPORT_FILE_BYTES = 256 * 1024 * 1024 * 1024;
/** Context sizes a per-model override may ask for, in tokens. */
export const MIN_CONTEXT_OVERRIDE = 256;
export const MAX_CONTEXT_OVERRIDE = 1_048_576;
/** Layers a per-model GPU override may ask for (no real model has more). */
export const MAX_GPU_LAYERS_OVERRIDE = 1024;
/** LoRA adapters applied at once (per conversation, or as a model's default). */
export const MAX_ADAPTERS = 8;
/** Adapter scales run from 0 (off) to this; 1 is the adapter as trained. */
export const MAX_ADAPTER_SCALE = 2;
export const DEFAULT_ADAPTER_SCALE = 1;
/** Adapters remembered for one base model. */
export const MAX_ADAPTERS_PER_MODEL = 100;
/** Longest "unload when idle" delay, in minutes (one day). */
export const MAX_IDLE_UNLOAD_MINUTES = 1440;
/** Largest WebSocket message the browser host accepts (a 100 000-character prompt fits easily). */
export const MAX_WIRE_BYTES = 1024 * 1024;
/**
 * Answers being written or waiting for the model at once, across every conversation and face.
 * The model writes one at a time: more would only queue up work nobody is waiting for.
 */
export const MAX_GENERATIONS = 4;
/** Longest search query, in characters. */
export const MAX_SEARCH_QUERY_CHARS = 500;
/** Longest per-conversation system prompt, in characters. */
export const MAX_SYSTEM_PROMPT_CHARS = 20_000;

/** Longest focus a summary may be asked for ("with attention to costs"). */
export const MAX_SUMMARY_FOCUS_CHARS = 500;
/** The local API server's port unless the user picks another (Settings → Local API, burrow serve --port). */
export const DEFAULT_API_PORT = 1337;
