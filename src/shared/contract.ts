/**
 * The one description of everything the UI can ask (`procedures`) and everything it can
 * be told (`events`). The schemas live per domain in schemas/, the tables in procedure-table.ts and
 * event-table.ts; this module gathers them so importers need only one path. Types are derived from
 * the schemas and never written twice. Pure TypeScript: no Node, Electron or DOM imports.
 */
import type { Result } from './errors';
import type { EventName, EventPayload } from './event-table';
import type { ProcedureInput, ProcedureName, ProcedureOutput } from './procedure-table';

export { MAX_MESSAGE_CHARS, MAX_PATH_CHARS, MAX_SEARCH_QUERY_CHARS, MAX_SUMMARY_FOCUS_CHARS, MAX_SYSTEM_PROMPT_CHARS, MAX_TITLE_CHARS } from './limits';
export * from './schemas/api';
export * from './schemas/common';
export * from './schemas/conversations';
export * from './schemas/documents';
export * from './schemas/downloads';
export * from './schemas/engine';
export * from './schemas/generate';
export * from './schemas/history';
export * from './schemas/models';
export * from './schemas/settings';
export * from './procedure-table';
export * from './event-table';

/** What `window.burrow` is: the only thing preload exposes. */
export interface BurrowBridge {
  invoke<K extends ProcedureName>(name: K, input: ProcedureInput<K>): Promise<Result<ProcedureOutput<K>>>;
  on<K extends EventName>(name: K, listener: (payload: EventPayload<K>) => void): () => void;
}

/** The keys of the preload's window.burrow (the browser host's bridge has no grantFile: it streams dropped files). */
export const BRIDGE_KEYS = Object.freeze(['grantFile', 'invoke', 'on'] as const);
