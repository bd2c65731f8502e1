/**
 * Model downloads in the window's taskbar button (Windows, Linux launchers) and dock icon
 * (macOS). Pure: the value is computed here and handed to BrowserWindow.setProgressBar by
 * src/main/index.ts, so it is tested without Electron.
 */
import type { DownloadState, DownloadStatus, EventName } from '../shared/contract';

/** What BrowserWindow.setProgressBar takes: a value in 0–1 (negative removes the bar) and a mode. */
export interface TaskbarProgress {
  value: number;
  mode: 'none' | 'normal' | 'indeterminate' | 'paused';
}

export const NO_PROGRESS: TaskbarProgress = { value: -1, mode: 'none' };

/** Downloads the bar reports: the ones still under way. Failed, cancelled and done ones leave it. */
const UNDER_WAY: ReadonlySet<DownloadState> = new Set(['queued', 'downloading', 'verifying', 'paused']);

/** All downloads under way as one bar: bytes done over bytes expected; 'paused' when none is moving. */
export function taskbarProgress(downloads: Iterable<DownloadStatus>): TaskbarProgress {
  const active = [...downloads].filter((download) => UNDER_WAY.has(download.state));
  if (active.length === 0) return NO_PROGRESS;
  if (active.some((download) => download.totalBytes === null)) return { value: 2, mode: 'indeterminate' };
  const total = active.reduce((sum, download) => sum + (download.totalBytes ?? 0), 0);
  const done = active.reduce((sum, download) => sum + Math.min(download.bytesDone, download.totalBytes ?? 0), 0);
  const value = total > 0 ? Math.min(1, done / total) : 0;
  const mode = active.every((download) => download.state === 'paused') ? 'paused' : 'normal';
  return { value, mode };
}

/**
 * Follows download.progress events and calls `apply` whenever the bar should change.
 * Returns the unsubscribe function.
 */
export function followDownloadProgress(
  subscribe: (listener: (name: EventName, payload: unknown) => void) => () => void,
  apply: (progress: TaskbarProgress) => void,
): () => void {
  const downloads = new Map<string, DownloadStatus>();
  let last: TaskbarProgress = NO_PROGRESS;
  return subscribe((name, payload) => {
    if (name !== 'download.progress') return;
    // From our own core, already shaped by the contract.
    const status = payload as DownloadStatus;
    if (UNDER_WAY.has(status.state)) downloads.set(status.downloadId, status);
    else downloads.delete(status.downloadId);
    const next = taskbarProgress(downloads.values());
    if (next.mode === last.mode && Math.abs(next.value - last.value) < 0.001) return;
    last = next;
    apply(next);
  });
}
