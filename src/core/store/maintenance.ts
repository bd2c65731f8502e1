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
 * small steps once nothing has been written for a while. A step is bounded (a few pages of
 * merging, or one passive checkpoint) so the thread it runs on is never held for long; a
 * write arriving meanwhile pauses the work until the next quiet moment.
 */
import type { Database } from './database';
import { handleOf, type DatabaseHandle } from './handle';

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
}

export class StoreMaintenance {
  readonly #idleMs: number;
  readonly #intervalMs: number;
  readonly #now: () => number;
  readonly #handle: DatabaseHandle;
  #timer: ReturnType<typeof setInterval> | null = null;
  #seenChanges = -1;
  #lastWriteAt = 0;
  /** Work left: indexes that may still merge, and whether the WAL has pages to fold back. */
  #pending = { merge: new Set<string>(), checkpoint: true };
  readonly report: MaintenanceReport = { mergeSteps: 0, checkpoints: 0, longestStepMs: 0 };

  constructor(db: Database | DatabaseHandle, options: MaintenanceOptions = {}) {
    this.#handle = handleOf(db);
    this.#idleMs = options.idleMs ?? 1500;
    this.#intervalMs = options.intervalMs ?? 500;
    this.#now = options.now ?? Date.now;
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
    const changes = this.#totalChanges();
    if (changes !== this.#seenChanges) {
      this.#seenChanges = changes;
      this.#lastWriteAt = this.#now();
      for (const table of this.#existingTables()) this.#pending.merge.add(table);
      this.#pending.checkpoint = true;
      return;
    }
    if (this.#now() - this.#lastWriteAt < this.#idleMs) return;
    const sliceEnds = performance.now() + this.#intervalMs / 5;
    // Housekeeping never waits for a lock: with another connection writing (a second Burrow,
    // a backup tool), the thread would block for the whole busy timeout. It tries again later.
    const timeout = Number(this.#db.pragma('busy_timeout', { simple: true }));
    this.#db.pragma('busy_timeout = 0');
    try {
      while (this.hasWork && performance.now() < sliceEnds) this.step();
    } catch (error) {
      if (!isBusy(error)) throw error;
    } finally {
      this.#db.pragma(`busy_timeout = ${timeout}`);
    }
    // Our own merges count as changes: they must not read as the user's writes next time.
    this.#seenChanges = this.#totalChanges();
  }

  get hasWork(): boolean {
    return this.#pending.merge.size > 0 || this.#pending.checkpoint;
  }

  /** One bounded piece of work: a merge step of one index, else a passive checkpoint. */
  step(): void {
    const started = performance.now();
    const table = this.#pending.merge.values().next();
    if (table.done !== true) {
      const before = this.#totalChanges();
      this.#db.prepare(`INSERT INTO ${table.value} (${table.value}, rank) VALUES ('merge', ${MERGE_STEP_PAGES})`).run();
      // FTS5: fewer than 2 changes means the merge found nothing left to do.
      if (this.#totalChanges() - before < 2) this.#pending.merge.delete(table.value);
      else this.#pending.checkpoint = true;
      this.report.mergeSteps++;
    } else {
      this.#db.pragma('wal_checkpoint(PASSIVE)');
      this.#pending.checkpoint = false;
      this.report.checkpoints++;
    }
    this.report.longestStepMs = Math.max(this.report.longestStepMs, performance.now() - started);
  }

  #configure(): void {
    this.#pending = { merge: new Set(this.#db.readonly ? [] : this.#existingTables()), checkpoint: !this.#db.readonly };
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

function isBusy(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return code === 'SQLITE_BUSY' || code === 'SQLITE_LOCKED' || (typeof code === 'string' && code.startsWith('SQLITE_BUSY'));
}
