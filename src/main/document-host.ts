/**
 * What the desktop app adds to the documents core, as pure functions over narrow interfaces
 * (tested with fakes; index.ts passes Electron's utilityProcess, dialog and ipcMain):
 * - the extraction process as a utilityProcess (utility-process.ts) with a capped heap, so a
 *   hostile file costs a worker and never the app;
 * - the Attach button's open dialog;
 * - grants for files dropped on a window: the preload turns a dropped File into its path with
 *   webUtils.getPathForFile (only files the user handed over have one) and asks main to grant it.
 */
import { isAbsolute } from 'node:path';
import type { SpawnDocumentWorker } from '../core/documents/types';
import { heapLimitArgs } from '../core/process/process-env';
import { MAX_PATH_CHARS } from '../shared/limits';
import { GrantKind } from '../shared/schemas/common';
import { spawnUtility, type ForkUtility } from './utility-process';

/** Starts the extraction process (out/main/document-worker.js) as a utilityProcess with the worker's heap cap. */
export function spawnUtilityDocumentWorker(fork: ForkUtility, entry: string): SpawnDocumentWorker {
  return spawnUtility(fork, entry, { serviceName: 'Burrow documents', execArgv: heapLimitArgs(), stdio: 'ignore' });
}

/** The open dialog's options for the Attach button. */
export const DOCUMENT_DIALOG = {
  title: 'Attach a document',
  properties: ['openFile' as const],
  filters: [
    { name: 'Documents', extensions: ['pdf', 'docx', 'epub', 'html', 'htm', 'xhtml', 'md', 'markdown', 'txt', 'text'] },
    { name: 'All files', extensions: ['*'] },
  ],
};

export type ShowOpenDialog = (options: typeof DOCUMENT_DIALOG) => Promise<{ canceled: boolean; filePaths: string[] }>;

/** Asks for a document; null when the user cancels. The core grants the path it returns. */
export async function pickDocument(show: ShowOpenDialog): Promise<string | null> {
  const result = await show(DOCUMENT_DIALOG);
  return result.canceled ? null : (result.filePaths[0] ?? null);
}

/**
 * Main's side of the preload's grantFile: a path from our own window's preload, which got it from
 * a File the user dropped or chose. Anything odd is answered null (the renderer then streams the
 * bytes instead, which needs no grant); the core's checks (regular file, no links to elsewhere)
 * still apply when it is granted and again when it is read.
 */
export function grantDroppedPath(trusted: boolean, path: unknown, grant: (path: string) => string): string | null {
  if (!trusted || typeof path !== 'string' || path.length === 0 || path.length > MAX_PATH_CHARS || !isAbsolute(path)) return null;
  try {
    return grant(path);
  } catch {
    return null;
  }
}

/** grantDroppedPath for a file of the given kind (the preload's second argument, untrusted): a document by default, or an adapter. */
export function grantDroppedFile(trusted: boolean, path: unknown, kind: unknown, grants: Record<GrantKind, (path: string) => string>): string | null {
  const parsed = GrantKind.safeParse(kind ?? 'document');
  if (!parsed.success) return null;
  return grantDroppedPath(trusted, path, grants[parsed.data]);
}
