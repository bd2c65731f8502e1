import { describe, expect, it } from 'vitest';
import { followDownloadProgress, NO_PROGRESS, taskbarProgress, type TaskbarProgress } from '../../../src/main/taskbar-progress';
import type { DownloadStatus, EventName } from '../../../src/shared/contract';

function status(id: string, fields: Partial<DownloadStatus>): DownloadStatus {
  return {
    downloadId: id,
    catalogId: 'tiny',
    name: 'Tiny',
    file: `${id}.gguf`,
    state: 'downloading',
    bytesDone: 0,
    totalBytes: 1000,
    percent: 0,
    bytesPerSecond: null,
    secondsLeft: null,
    attempt: 1,
    sha256: null,
    sha256Source: 'pinned',
    canResume: true,
    path: null,
    error: null,
    ...fields,
  };
}

describe('taskbar progress', () => {
  it('shows nothing without a download under way', () => {
    expect(taskbarProgress([])).toEqual(NO_PROGRESS);
    expect(taskbarProgress([status('a', { state: 'done', bytesDone: 1000 }), status('b', { state: 'failed' }), status('c', { state: 'cancelled' })])).toEqual(NO_PROGRESS);
  });

  it('is the bytes done over the bytes expected, across every download under way', () => {
    expect(taskbarProgress([status('a', { bytesDone: 250 })])).toEqual({ value: 0.25, mode: 'normal' });
    expect(taskbarProgress([status('a', { bytesDone: 1000, state: 'verifying' }), status('b', { bytesDone: 0, state: 'queued' })])).toEqual({ value: 0.5, mode: 'normal' });
  });

  it('is paused when nothing moves, indeterminate when a size is unknown', () => {
    expect(taskbarProgress([status('a', { bytesDone: 500, state: 'paused' })])).toEqual({ value: 0.5, mode: 'paused' });
    expect(taskbarProgress([status('a', { totalBytes: null })]).mode).toBe('indeterminate');
  });

  it('follows download.progress events and applies only changes', () => {
    let listener: ((name: EventName, payload: unknown) => void) | undefined;
    const applied: TaskbarProgress[] = [];
    const stop = followDownloadProgress(
      (registered) => {
        listener = registered;
        return () => (listener = undefined);
      },
      (progress) => applied.push(progress),
    );
    listener?.('engine.state', {});
    listener?.('download.progress', status('a', { bytesDone: 100 }));
    listener?.('download.progress', status('a', { bytesDone: 100 }));
    listener?.('download.progress', status('a', { bytesDone: 600, state: 'paused' }));
    listener?.('download.progress', status('a', { bytesDone: 1000, state: 'done' }));
    expect(applied).toEqual([{ value: 0.1, mode: 'normal' }, { value: 0.6, mode: 'paused' }, NO_PROGRESS]);
    stop();
    expect(listener).toBeUndefined();
  });
});
