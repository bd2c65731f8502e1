/**
 * SECURITY.md item 30: after a conversation is deleted, its text is found in no file of the
 * data folder — not in the database, its journal, the daily backups, the copies kept before an
 * upgrade or a restore, nor a quarantined file — and its own settings are gone. Every other
 * conversation stays in the backups.
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Sqlite from 'better-sqlite3';
import { z } from 'zod';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createAssistant, type Assistant } from '../../src/core/assistant';
import { spawnNodeEngine } from '../../src/core/process/node-spawn';
import { backupsDir } from '../../src/core/store/backups';
import { conversationAdaptersKey, conversationModelKey } from '../../src/core/store/conversation-sql';
import { databasePath, snapshotPath } from '../../src/core/store/database';

const SECRET = 'zzqxsecretword';
const SECRET_TITLE = 'zzvwprivatetitle';

let dataDir: string;
let assistant: Assistant;

beforeEach(() => {
  dataDir = mkdtempSync(join(tmpdir(), 'burrow-delete-'));
  assistant = createAssistant({ dataDir, spawnEngine: spawnNodeEngine(), pickModelFile: () => Promise.resolve(null) });
});

afterEach(async () => {
  await assistant.dispose();
  rmSync(dataDir, { recursive: true, force: true });
});

function everyFile(dir: string): string[] {
  return (readdirSync(dir, { recursive: true }) as string[]).map((entry) => join(dir, entry)).filter((path) => statSync(path).isFile());
}

function filesHolding(text: string): string[] {
  const needle = Buffer.from(text, 'utf8');
  return everyFile(dataDir).filter((path) => readFileSync(path).includes(needle));
}

function titlesIn(file: string): string[] {
  const db = new Sqlite(file, { readonly: true, fileMustExist: true });
  try {
    return db.prepare('SELECT title FROM conversations ORDER BY title').pluck().all() as string[];
  } finally {
    db.close();
  }
}

describe('deleting a conversation', () => {
  it('removes it from the database, every backup and copy, and its settings', async () => {
    const { conversations, storage } = assistant;
    const kept = conversations.create('Kept conversation');
    conversations.addExchange({ conversationId: kept.id, text: 'An ordinary message about rabbits' });
    const secret = conversations.create(`Notes ${SECRET_TITLE}`);
    const turn = conversations.addExchange({ conversationId: secret.id, text: `my password hint is ${SECRET}` });
    conversations.updateMessage(turn.assistantMessage.id, { content: `I will remember ${SECRET}.`, status: 'complete' });
    storage.settings.set(conversationModelKey(secret.id), '/models/private-model.gguf');
    storage.settings.set(conversationAdaptersKey(secret.id), [{ path: '/adapters/private-adapter.gguf', scale: 1 }]);

    // Every kind of copy Burrow keeps, each holding the conversation.
    const file = databasePath(dataDir);
    expect(await storage.makeDailyBackup()).not.toBeNull();
    storage.db.prepare('VACUUM INTO ?').run(join(backupsDir(dataDir), 'burrow-2026-01-01.sqlite'));
    storage.db.prepare('VACUUM INTO ?').run(snapshotPath(file, 4));
    storage.restore(storage.backups.list()[0]!.name);
    storage.db.pragma('wal_checkpoint(TRUNCATE)');
    const damaged = `${file}.damaged-2026-01-02T00-00-00`;
    const bytes = readFileSync(file);
    bytes.write('not a database anymore', 0);
    writeFileSync(damaged, bytes);
    expect(readdirSync(dataDir).some((name) => name.includes('before-restore'))).toBe(true);
    // The check can see it while it is there.
    expect(filesHolding(SECRET).length).toBeGreaterThanOrEqual(6);

    expect(await assistant.router.call('conversations.delete', { id: secret.id })).toMatchObject({ ok: true });

    for (const text of [SECRET, SECRET_TITLE, secret.id]) expect(filesHolding(text), text).toEqual([]);
    expect(storage.settings.get(conversationModelKey(secret.id), z.string().nullable(), null)).toBeNull();
    expect(storage.settings.get(conversationAdaptersKey(secret.id), z.unknown(), 'absent')).toBe('absent');
    expect(filesHolding('private-adapter.gguf')).toEqual([]);
    // The damaged copy could not be edited and held it: it is gone. The others keep the rest.
    expect(existsSync(damaged)).toBe(false);
    const copies = [...readdirSync(backupsDir(dataDir)).map((name) => join(backupsDir(dataDir), name)), snapshotPath(file, 4), ...readdirSync(dataDir).filter((name) => name.includes('before-restore')).map((name) => join(dataDir, name))];
    expect(copies.length).toBeGreaterThanOrEqual(4);
    for (const copy of copies) expect(titlesIn(copy), copy).toEqual(['Kept conversation']);
  });
});
