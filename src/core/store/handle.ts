import type { Database } from './database';

/** Statements prepared for the handle's current connection; `current` is replaced after a repoint. */
export interface Prepared<T> {
  readonly current: T;
}

/**
 * The one database connection the stores share, which a restore re-points at a new file. Stores
 * hold the handle, never the connection, and prepare their statements through it, so they keep
 * their identity across a restore and nobody has to re-attach them one by one.
 */
export class DatabaseHandle {
  #db: Database;
  readonly #onRepoint: Array<(db: Database) => void> = [];

  constructor(db: Database) {
    this.#db = db;
  }

  get db(): Database {
    return this.#db;
  }

  /** Prepares now, and again for every new connection, in the order they were asked for. */
  prepare<T>(prepare: (db: Database) => T): Prepared<T> {
    const slot = { current: prepare(this.#db) };
    this.onRepoint((db) => {
      slot.current = prepare(db);
    });
    return slot;
  }

  /** `listener` runs after each repoint, in registration order (with the statements prepared through `prepare`). */
  onRepoint(listener: (db: Database) => void): void {
    this.#onRepoint.push(listener);
  }

  /** Switches everything prepared on this handle to `db`, a connection to a database of the same schema. */
  repoint(db: Database): void {
    this.#db = db;
    for (const listener of this.#onRepoint) listener(db);
  }
}

/** A store's way in: the shared handle, or a bare connection (tests, one-off tools) wrapped in its own. */
export function handleOf(source: Database | DatabaseHandle): DatabaseHandle {
  return source instanceof DatabaseHandle ? source : new DatabaseHandle(source);
}

/** A store's statements, prepared on the shared handle and prepared again after each repoint. */
export abstract class SqlStore<Statements> {
  readonly #handle: DatabaseHandle;
  readonly #statements: Prepared<Statements>;

  protected constructor(source: Database | DatabaseHandle, prepare: (db: Database) => Statements) {
    this.#handle = handleOf(source);
    this.#statements = this.#handle.prepare(prepare);
  }

  /** The current connection (for transactions). */
  protected get db(): Database {
    return this.#handle.db;
  }

  protected get sql(): Statements {
    return this.#statements.current;
  }
}
