/**
 * A disk that fills up while an answer streams, for real: the data folder is a small tmpfs
 * (needs root and mount; the test is skipped elsewhere, and the read-only and full cases are
 * also covered at the SQLite level by test/unit/chat/chat-service.test.ts). The answer must
 * end with a storage_error the UI can show, stay retryable, and nothing may be corrupted.
 */
import { execFileSync } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, rmSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { Client } from '../../src/shared/client';
import { createAssistant, type Assistant } from '../../src/core/assistant';
import { spawnNodeEngine } from '../../src/core/process/node-spawn';
import type { EventName, EventPayload } from '../../src/shared/contract';
import { streamingModelPath } from '../support/tiny-model';
import { clientOf } from '../support/client';

/** A fresh 8 MB tmpfs, or null where mounting is not allowed. */
function mountTmpfs(): string | null {
  if (process.platform !== 'linux' || process.getuid?.() !== 0) return null;
  const mountPoint = mkdtempSync(join(tmpdir(), 'burrow-tmpfs-'));
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=8m', 'tmpfs', mountPoint], { stdio: 'ignore' });
    // Even if the test process ends abruptly, the mount goes with it where it can.
    process.once('exit', () => unmount(mountPoint));
    return mountPoint;
  } catch {
    rmSync(mountPoint, { recursive: true, force: true });
    return null;
  }
}

function unmount(mountPoint: string): void {
  try {
    // Lazy: detached now, freed once nothing has a file open there any more.
    execFileSync('umount', ['-l', mountPoint], { stdio: 'ignore' });
    rmSync(mountPoint, { recursive: true, force: true });
  } catch {
    // already gone
  }
}

/** Fills the file system until it refuses another byte. Returns the filler's path. */
function fillDisk(dir: string): string {
  const path = join(dir, 'filler');
  const fd = openSync(path, 'w');
  const block = Buffer.alloc(64 * 1024, 1);
  try {
    for (;;) writeSync(fd, block);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOSPC') throw error;
  } finally {
    closeSync(fd);
  }
  // Smaller writes until even one byte does not fit.
  const small = openSync(path, 'a');
  try {
    for (;;) writeSync(small, Buffer.alloc(512, 1));
  } catch {
    // full
  } finally {
    closeSync(small);
  }
  return path;
}

describe('a full disk during a reply', () => {
  it('ends the answer with storage_error, keeps it retryable, and corrupts nothing', async (context) => {
    const mountPoint = mountTmpfs();
    if (mountPoint === null) {
      context.skip();
      return;
    }
    const dataDir = join(mountPoint, 'data');
    const events: Array<{ name: EventName; payload: unknown }> = [];
    let assistant: Assistant = createAssistant({
      dataDir,
      spawnEngine: spawnNodeEngine(),
      engineSettings: { maxTokens: 400, seed: 4 },
      pickModelFile: () => Promise.resolve(streamingModelPath()),
    });
    const call: Client['call'] = (name, input) => clientOf(assistant).call(name, input);
    try {
      await call('models.openLocal', {});
      const { id } = await call('conversations.create', {});
      let filler = '';
      const ended = new Promise<EventPayload<'generation.end'>>((resolve) => {
        assistant.subscribe((name, payload) => {
          events.push({ name, payload });
          if (name === 'generation.delta' && filler === '') {
            // Mid-reply: the log is emptied first, so the next save must grow a file.
            assistant.storage.db.pragma('wal_checkpoint(TRUNCATE)');
            filler = fillDisk(mountPoint);
          }
          if (name === 'generation.end') resolve(payload as EventPayload<'generation.end'>);
        });
      });
      const sent = await call('chat.send', { conversationId: id, text: 'Talk about the burrow' });
      const end = await ended;
      expect(filler).not.toBe('');
      expect(end).toMatchObject({ reason: 'error', messageId: sent.assistantMessage.id, error: { code: 'storage_error' } });
      expect(end.error?.message).toBe('Burrow could not save this answer: the disk is full. It is still shown; retry saving.');
      const shown = events
        .filter((event) => event.name === 'generation.delta')
        .map((event) => (event.payload as EventPayload<'generation.delta'>).text)
        .join('');
      expect(shown.length).toBeGreaterThan(0);

      // Still full: the retry reports it again, and the app keeps running.
      expect(await assistant.router.call('chat.retrySave', { messageId: sent.assistantMessage.id })).toMatchObject({ ok: false, error: { code: 'storage_error' } });

      rmSync(filler);
      const saved = await call('chat.retrySave', { messageId: sent.assistantMessage.id });
      expect(saved).toMatchObject({ status: 'complete' });
      expect(saved.content.trim()).toBe(shown.trim());
      expect(assistant.storage.db.pragma('quick_check', { simple: true })).toBe('ok');

      // And it is all there after a restart.
      await assistant.dispose();
      assistant = createAssistant({ dataDir, spawnEngine: spawnNodeEngine(), autoLoadLastModel: false, pickModelFile: () => Promise.resolve(null) });
      expect(assistant.storage.status().quarantined).toBeNull();
      expect(assistant.storage.db.pragma('quick_check', { simple: true })).toBe('ok');
      expect((await call('conversations.get', { id })).messages.map((m) => [m.role, m.status])).toEqual([
        ['user', 'complete'],
        ['assistant', 'complete'],
      ]);
    } finally {
      await assistant.dispose();
      unmount(mountPoint);
    }
  });
});
