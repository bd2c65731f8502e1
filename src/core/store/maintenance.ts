/**
 * Keeps the database's housekeeping off the path of a save. Two kinds of work used to run
 * inside whichever commit happened to trigger them:
 *   - FTS5 automerge: every commit writes a new index segment, and every few commits one of
 *     them merged the last segments, inside that commit;
 *   - WAL auto-checkpoint: every 1 000 pages, the commit that crossed the line copied the log
 *     into the database file and fsynced it.
 * Measured on a 100 000-message history (docs/performance.md, "Store"): a question saved in
 * 0.9 ms at the median took 8–11 ms at the 95th percentile with both on; with both moved
 * here, 1.6–1.9 ms on the same loaded machine.
 *
 * So automerge is off, the auto-checkpoint only a far safety net, and both are done here in
 * small steps once nothing has been written for a while. Two more jobs left the commit later
 * (issue 19, on a 1 M-message history): indexing a saved message for search (migration 6
 * queues it; the first step here indexes the queue), and starting the WAL over after a
 * checkpoint (#restartLog). A step is bounded (a few hundred messages indexed, a few pages of
 * merging, or one passive checkpoint) so the thread it runs on is never held for long; a
 * write arriving meanwhile pauses the work until the next quiet moment.
 */
import { isBusy, withoutWaiting, type Database } from './database';
import { handleOf, type DatabaseHandle } from './handle';
import { INDEX_STEP_MESSAGES, SearchQueue } from './search-queue';

/** The search indexes (migrations 002–004). */
export const FTS_TABLES = ['messages_fts', 'conversations_fts', 'document_chunks_fts'] as const;

/**
 * Pages of WAL after which a commit checkpoints by itself all the same (SQLite's default is
 * 1 000): only a long run of writes with no quiet second in it ever reaches it.
 */
export const WAL_SAFETY_CHECKPOINT_PAGES = 16_000;

/**
 * Segments on one level of an index after which a commit merges them itself (FTS5's default is
 * 16): only a long burst of writes with no quiet second in it reaches it.
 */
export const CRISIS_MERGE_SEGMENTS = 64;

/** Pages one merge step may write (FTS5's 'merge' command). */
const MERGE_STEP_PAGES = 64;

export interface MaintenanceOptions {
  /** Quiet time before work starts. Default 1 500 ms. */
  idleMs?: number;
  /** How often quiet is checked. Default 500 ms. */
  intervalMs?: number;
  now?: () => number;
}

export interface MaintenanceReport {
  mergeSteps: number;
  checkpoints: number;
  /** The longest single step, in ms: how long the thread was held at once. */
  longestStepMs: number;
  /** Messages moved from the search queue into the index. */
  indexed: number;
  /** Times the WAL was started over after a checkpoint (see #restartLog). */
  logRestarts: number;
}

interface CheckpointResult {
  busy: number;
  log: number;
  checkpointed: number;
}

export class StoreMaintenance {
  readonly #idleMs: number;
  readonly #intervalMs: number;
  readonly #now: () => number;
  readonly #handle: DatabaseHandle;
  #timer: ReturnType<typeof setInterval> | null = null;
  #seenChanges = -1;
  #lastWriteAt = 0;
  readonly #queue: SearchQueue;
  /** Work left: messages waiting for the search index, indexes that may still merge, and whether the WAL has pages to fold back. */
  #pending = { index: true, merge: new Set<string>(), checkpoint: true };
  readonly report: MaintenanceReport = { mergeSteps: 0, checkpoints: 0, longestStepMs: 0, indexed: 0, logRestarts: 0 };

  constructor(db: Database | DatabaseHandle, options: MaintenanceOptions = {}) {
    this.#handle = handleOf(db);
    this.#idleMs = options.idleMs ?? 1500;
    this.#intervalMs = options.intervalMs ?? 500;
    this.#now = options.now ?? Date.now;
    this.#queue = new SearchQueue(this.#handle);
    this.#configure();
    // After a restore: the new connection gets the same settings.
    this.#handle.onRepoint(() => {
      this.#seenChanges = -1;
      this.#configure();
    });
  }

  get #db(): Database {
    return this.#handle.db;
  }

  start(): void {
    if (this.#timer !== null) return;
    this.#timer = setInterval(() => {
      try {
        this.tick();
      } catch (error) {
        // Housekeeping must never take the app down (a full disk, a closed handle): the next
        // quiet moment tries again, and SQLite's own safety nets still bound the WAL and segments.
        console.error('[burrow] database housekeeping failed:', error instanceof Error ? error.message : error);
      }
    }, this.#intervalMs);
    this.#timer.unref();
  }

  stop(): void {
    if (this.#timer !== null) clearInterval(this.#timer);
    this.#timer = null;
  }

  /**
   * Notices writes since the last call; once it has been quiet for `idleMs`, does work steps
   * until there is none left or the time slice (one interval's worth) is used.
   */
  tick(): void {
    if (!this.#db.open || this.#db.readonly || this.#db.inTransaction) return;
    if (this.#noticeWrites()) return;
    if (this.#now() - this.#lastWriteAt < this.#idleMs) return;
    const sliceEnds = performance.now() + this.#intervalMs / 5;
    // Housekeeping never waits for a lock: it tries again at the next quiet moment.
    try {
      withoutWaiting(this.#db, () => {
        while (this.hasWork && performance.now() < sliceEnds) this.step();
      });
    } catch (error) {
      if (!isBusy(error)) throw error;
    }
    // Our own merges count as changes: they must not read as the user's writes next time.
    this.#seenChanges = this.#totalChanges();
  }

  /**
   * All the work a quiet moment would do, done now and to the end, without waiting for quiet:
   * for a caller that knows nothing else is writing (the benches, which model the app's rhythm).
   */
  settle(): void {
    if (!this.#db.open || this.#db.readonly || this.#db.inTransaction) return;
    this.#noticeWrites();
    while (this.hasWork) this.step();
    this.#seenChanges = this.#totalChanges();
  }

  /** Writes since last seen: notes when, and that every index and the WAL have work again. */
  #noticeWrites(): boolean {
    const changes = this.#totalChanges();
    if (changes === this.#seenChanges) return false;
    this.#seenChanges = changes;
    this.#lastWriteAt = this.#now();
    this.#pending.index = true;
    for (const table of this.#existingTables()) this.#pending.merge.add(table);
    this.#pending.checkpoint = true;
    return true;
  }

  get hasWork(): boolean {
    return this.#pending.index || this.#pending.merge.size > 0 || this.#pending.checkpoint;
  }

  /**
   * One bounded piece of work: indexing queued messages for search (search-queue.ts), else a
   * merge step of one index, else a passive checkpoint.
   */
  step(): void {
    const started = performance.now();
    const table = this.#pending.merge.values().next();
    if (this.#pending.index) {
      const indexed = this.#queue.indexQueued(INDEX_STEP_MESSAGES);
      if (indexed < INDEX_STEP_MESSAGES) this.#pending.index = false;
      if (indexed > 0) {
        this.#pending.merge.add('messages_fts');
        this.#pending.checkpoint = true;
      }
      this.report.indexed += indexed;
    } else if (table.done !== true) {
      const before = this.#totalChanges();
      this.#db.prepare(`INSERT INTO ${table.value} (${table.value}, rank) VALUES ('merge', ${MERGE_STEP_PAGES})`).run();
      // FTS5: fewer than 2 changes means the merge found nothing left to do.
      if (this.#totalChanges() - before < 2) this.#pending.merge.delete(table.value);
      else this.#pending.checkpoint = true;
      this.report.mergeSteps++;
    } else {
      const [result] = this.#db.pragma('wal_checkpoint(PASSIVE)') as CheckpointResult[];
      this.#pending.checkpoint = false;
      this.report.checkpoints++;
      if (result !== undefined && result.busy === 0 && result.log > 0 && result.checkpointed === result.log) this.#restartLog();
    }
    this.report.longestStepMs = Math.max(this.report.longestStepMs, performance.now() - started);
  }

  /**
   * After a checkpoint that copied the whole WAL back, the next write starts the WAL over from
   * its beginning, and with synchronous=FULL that means writing a new WAL header and flushing it
   * before the write's own pages: a second fsync in that commit. Left alone, the commit that
   * pays for it is the next question the user sends (docs/performance.md, "Store"). So the
   * quiet moment starts the WAL over itself, with a write that changes nothing: the schema
   * version, set to the value it has.
   */
  #restartLog(): void {
    this.#db.transaction(() => {
      const version = Number(this.#db.pragma('user_version', { simple: true }));
      this.#db.pragma(`user_version = ${version}`);
    })();
    this.report.logRestarts++;
  }

  #configure(): void {
    this.#pending = { index: !this.#db.readonly, merge: new Set(this.#db.readonly ? [] : this.#existingTables()), checkpoint: !this.#db.readonly };
    if (this.#db.readonly) return;
    this.#db.pragma(`wal_autocheckpoint = ${WAL_SAFETY_CHECKPOINT_PAGES}`);
    // Stored in the index's own config table. crisismerge still merges inside a commit if quiet
    // never comes, which bounds how far segments can pile up; at SQLite's 16 that was one commit
    // in sixteen of a burst (6 %, inside the p95), at 64 it is under 2 %.
    for (const table of this.#existingTables()) {
      this.#db.prepare(`INSERT INTO ${table} (${table}, rank) VALUES ('automerge', 0)`).run();
      this.#db.prepare(`INSERT INTO ${table} (${table}, rank) VALUES ('crisismerge', ${CRISIS_MERGE_SEGMENTS})`).run();
    }
  }

  #existingTables(): string[] {
    const present = new Set(this.#db.prepare("SELECT name FROM sqlite_schema WHERE type = 'table'").pluck().all() as string[]);
    return FTS_TABLES.filter((table) => present.has(table));
  }

  #totalChanges(): number {
    return Number(this.#db.prepare('SELECT total_changes()').pluck().get());
  }
}
