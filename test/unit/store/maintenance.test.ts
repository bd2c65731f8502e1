import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import Sqlite from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { CRISIS_MERGE_SEGMENTS, FTS_TABLES, StoreMaintenance, WAL_SAFETY_CHECKPOINT_PAGES } from '../../../src/core/store/maintenance';
import { migrations } from '../../../src/core/store/migrations';
import { Storage } from '../../../src/core/store/storage';
import { useTempDataDir } from './helpers';

const temp = useTempDataDir();
const opened: Storage[] = [];
afterEach(() => {
  for (const storage of opened.splice(0)) storage.close();
});

function open(): Storage {
  const storage = Storage.open(temp.dir);
  // The test drives its own maintenance with a fake clock.
  storage.maintenance.stop();
  opened.push(storage);
  return storage;
}

/**
 * Segments of an FTS5 index: each commit that wrote to it added one (until merged). Conversation
 * titles: their index is still written in the commit (messages queue for theirs, migration 6).
 */
function segments(storage: Storage, index = 'conversations_fts'): number {
  return Number(storage.db.prepare(`SELECT count(DISTINCT segid) FROM ${index}_idx`).pluck().get());
}

function queued(storage: Storage): number {
  return Number(storage.db.prepare('SELECT count(*) FROM messages_to_index').pluck().get());
}

function walFrames(storage: Storage): number {
  const [row] = storage.db.pragma('wal_checkpoint(NOOP)') as Array<{ log: number }>;
  return row?.log ?? 0;
}

/**
 * The WAL header's checkpoint sequence number: SQLite adds one each time a write starts the
 * WAL over from its beginning (and, with synchronous=FULL, flushes the new header first).
 */
function walRestarts(): number {
  return readFileSync(join(temp.dir, 'burrow.sqlite-wal')).readUInt32BE(12);
}

describe('store maintenance', () => {
  it('takes merges and checkpoints out of commits', () => {
    const storage = open();
    expect(storage.db.pragma('wal_autocheckpoint', { simple: true })).toBe(WAL_SAFETY_CHECKPOINT_PAGES);
    for (const table of FTS_TABLES) {
      expect(storage.db.prepare(`SELECT v FROM ${table}_config WHERE k = 'automerge'`).pluck().get()).toBe(0);
      expect(storage.db.prepare(`SELECT v FROM ${table}_config WHERE k = 'crisismerge'`).pluck().get()).toBe(CRISIS_MERGE_SEGMENTS);
    }
    for (let i = 0; i < 40; i++) storage.conversations.create(`burrows ${i}`);
    const unmerged = segments(storage);
    // SQLite's default (automerge 4) merges inside the commits: the same writes leave fewer segments.
    storage.db.prepare("INSERT INTO conversations_fts (conversations_fts, rank) VALUES ('automerge', 4)").run();
    for (let i = 0; i < 40; i++) storage.conversations.create(`warrens ${i}`);
    const mergedInCommits = segments(storage);
    // And a message's save does not write its index at all: the message waits in the queue.
    const conversation = storage.conversations.create();
    for (let i = 0; i < 10; i++) storage.conversations.addExchange({ conversationId: conversation.id, text: `question ${i} about burrows` });
    expect(segments(storage, 'messages_fts')).toBe(0);
    expect(queued(storage)).toBe(10);
    // Without automerge, segments pile up until crisismerge (64 on one level) or a quiet moment.
    expect(unmerged).toBeGreaterThanOrEqual(8);
    expect(mergedInCommits).toBeLessThan(unmerged);
  });

  it('merges and checkpoints once nothing has been written for a while, in bounded steps', () => {
    const storage = open();
    let now = 0;
    const maintenance = new StoreMaintenance(storage.db, { idleMs: 1000, now: () => now });
    for (let i = 0; i < 40; i++) {
      const conversation = storage.conversations.create(`rabbits ${i}`);
      storage.conversations.addExchange({ conversationId: conversation.id, text: `question ${i} about rabbits` });
    }
    const before = segments(storage);
    expect(queued(storage)).toBe(40);
    expect(walFrames(storage)).toBeGreaterThan(0);

    maintenance.tick(); // sees the writes
    now += 500;
    maintenance.tick(); // still too soon after them
    expect(maintenance.report.mergeSteps).toBe(0);

    now += 1000;
    while (maintenance.hasWork) maintenance.tick();
    expect(maintenance.report.indexed).toBe(40);
    expect(queued(storage)).toBe(0);
    expect(maintenance.report.mergeSteps).toBeGreaterThan(0);
    expect(maintenance.report.checkpoints).toBeGreaterThan(0);
    expect(segments(storage)).toBeLessThan(before);
    // Everything the WAL held is in the database file now, and the WAL was started over: it
    // holds only the one page the restart wrote (the header page, unchanged).
    expect(maintenance.report.logRestarts).toBeGreaterThan(0);
    expect(walFrames(storage)).toBe(1);
    // The indexes are sound, and the messages' finds every question.
    for (const index of FTS_TABLES) storage.db.prepare(`INSERT INTO ${index} (${index}) VALUES ('integrity-check')`).run();
    expect(storage.db.prepare("SELECT count(*) FROM messages_fts WHERE messages_fts MATCH 'rabbits'").pluck().get()).toBe(40);
  });

  it('starts the WAL over in the quiet moment, not in the next save', () => {
    const storage = open();
    const conversation = storage.conversations.create();
    storage.conversations.addExchange({ conversationId: conversation.id, text: 'first question' });
    // Without it: a checkpoint leaves the restart, and its extra flush, to the next write.
    storage.db.pragma('wal_checkpoint(PASSIVE)');
    let restarts = walRestarts();
    storage.conversations.addExchange({ conversationId: conversation.id, text: 'second question' });
    expect(walRestarts()).toBe(restarts + 1);

    // With it: the quiet moment's checkpoint is followed by the restart ...
    const maintenance = new StoreMaintenance(storage.db);
    storage.conversations.addExchange({ conversationId: conversation.id, text: 'third question' });
    restarts = walRestarts();
    maintenance.settle();
    expect(maintenance.report.checkpoints).toBe(1);
    expect(maintenance.report.logRestarts).toBe(1);
    expect(walRestarts()).toBe(restarts + 1);
    // ... so the next question only appends to the WAL.
    restarts = walRestarts();
    storage.conversations.addExchange({ conversationId: conversation.id, text: 'fourth question' });
    expect(walRestarts()).toBe(restarts);
    expect(storage.conversations.get(conversation.id).messages.map((message) => message.content)).toContain('fourth question');
    // The write that restarted it changed nothing: the schema version is still the newest.
    expect(storage.db.pragma('user_version', { simple: true })).toBe(Math.max(...migrations.map((migration) => migration.version)));
  });

  it('stops working when a write arrives, and waits for quiet again', () => {
    const storage = open();
    let now = 0;
    const maintenance = new StoreMaintenance(storage.db, { idleMs: 1000, now: () => now });
    const conversation = storage.conversations.create();
    for (let i = 0; i < 20; i++) storage.conversations.addExchange({ conversationId: conversation.id, text: `note ${i}` });
    maintenance.tick();
    storage.conversations.addExchange({ conversationId: conversation.id, text: 'one more' });
    now += 1500;
    maintenance.tick(); // the new write resets the quiet time
    expect(maintenance.report.mergeSteps + maintenance.report.checkpoints).toBe(0);
    now += 1500;
    maintenance.tick();
    expect(maintenance.report.mergeSteps + maintenance.report.checkpoints).toBeGreaterThan(0);
  });

  it('never waits for, nor fails on, another connection holding the write lock', () => {
    const storage = open();
    let now = 0;
    const maintenance = new StoreMaintenance(storage.db, { idleMs: 1000, now: () => now });
    const conversation = storage.conversations.create();
    for (let i = 0; i < 20; i++) storage.conversations.addExchange({ conversationId: conversation.id, text: `note ${i}` });
    maintenance.tick();
    const blocker = new Sqlite(join(temp.dir, 'burrow.sqlite'));
    try {
      blocker.exec('BEGIN EXCLUSIVE');
      now += 1500;
      const started = performance.now();
      expect(() => maintenance.tick()).not.toThrow();
      // Not the 5 s busy timeout of a save: housekeeping gives up at once and tries later.
      expect(performance.now() - started).toBeLessThan(1000);
      expect(maintenance.hasWork).toBe(true);
      blocker.exec('ROLLBACK');
    } finally {
      blocker.close();
    }
    expect(storage.db.pragma('busy_timeout', { simple: true })).toBeGreaterThan(0);
    maintenance.tick();
    expect(maintenance.report.mergeSteps).toBeGreaterThan(0);
  });
});
