/**
 * What the desktop app adds to the documents core, as pure functions over narrow interfaces
 * (tested with fakes; index.ts passes Electron's utilityProcess, dialog and ipcMain):
 * - the extraction process as a utilityProcess with a capped heap, so a hostile file costs a
 *   worker and never the app;
 * - the Attach button's open dialog;
 * - grants for files dropped on a window: the preload turns a dropped File into its path with
 *   webUtils.getPathForFile (only files the user handed over have one) and asks main to grant it.
 */
import { isAbsolute } from 'node:path';
import type { SpawnDocumentWorker } from '../core/process/document-spawn';
import { heapLimitArgs } from '../core/process/document-spawn';
import type { EngineChannel } from '../core/engine/types';
import { MAX_PATH_CHARS } from '../shared/limits';

/** The part of Electron's UtilityProcess the channel uses. */
export interface UtilityChild {
  readonly pid: number | undefined;
  postMessage(message: unknown): void;
  on(event: 'message', listener: (message: unknown) => void): unknown;
  once(event: 'exit', listener: (code: number) => void): unknown;
  kill(): boolean;
}

export interface UtilityForkOptions {
  serviceName: string;
  execArgv: string[];
  stdio: 'ignore' | 'inherit';
}

export type ForkUtility = (modulePath: string, args: string[], options: UtilityForkOptions) => UtilityChild;

/** Starts the extraction process (out/main/document-worker.js) as a utilityProcess with the worker's heap cap. */
export function spawnUtilityDocumentWorker(fork: ForkUtility, entry: string): SpawnDocumentWorker {
  return () => utilityChannel(fork(entry, [], { serviceName: 'Burrow documents', execArgv: heapLimitArgs(), stdio: 'ignore' }));
}

/** A utilityProcess as the channel the supervisor (DocumentExtractor) speaks over. */
export function utilityChannel(child: UtilityChild): EngineChannel {
  let exited: { code: number | null; signal: string | null } | null = null;
  const listeners: Array<(info: { code: number | null; signal: string | null }) => void> = [];
  child.once('exit', (code) => {
    if (exited !== null) return;
    exited = { code, signal: null };
    for (const listener of listeners.splice(0)) listener(exited);
  });
  return {
    get pid() {
      return child.pid;
    },
    send: (message) => {
      if (exited === null) child.postMessage(message);
    },
    onMessage: (listener) => {
      child.on('message', listener);
    },
    onExit: (listener) => {
      if (exited !== null) listener(exited);
      else listeners.push(listener);
    },
    kill: () => {
      if (exited === null) child.kill();
    },
  };
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
