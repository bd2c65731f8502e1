import { BurrowError } from '../../shared/errors';

/**
 * SQLite result codes that mean "the disk or the file refused this write", as better-sqlite3
 * reports them (`SqliteError.code`, extended codes included: SQLITE_IOERR_WRITE, …).
 */
const STORAGE_CODES = /^SQLITE_(FULL|READONLY|IOERR|CANTOPEN|CORRUPT|NOTADB|PROTOCOL|BUSY|LOCKED)/;

function sqliteCode(error: unknown): string | null {
  if (typeof error !== 'object' || error === null) return null;
  const code = (error as { code?: unknown }).code;
  return typeof code === 'string' && code.startsWith('SQLITE_') ? code : null;
}

/** True for errors that come from the disk or the database file, not from Burrow's logic. */
export function isStorageFailure(error: unknown): boolean {
  if (error instanceof BurrowError) return error.code === 'storage_error';
  const code = sqliteCode(error);
  return code !== null && STORAGE_CODES.test(code);
}

/** Plain words for what went wrong, for "Burrow could not save …: <reason>". */
export function storageReason(error: unknown): string {
  // A failure already translated by `writing` keeps the SQLite error as its cause.
  if (error instanceof BurrowError && sqliteCode(error.cause) !== null) return storageReason(error.cause);
  const code = sqliteCode(error) ?? '';
  if (code.startsWith('SQLITE_FULL')) return 'the disk is full';
  if (code.startsWith('SQLITE_READONLY')) return 'the data folder is read-only';
  if (code.startsWith('SQLITE_BUSY') || code.startsWith('SQLITE_LOCKED')) return 'another Burrow window or command is holding the data file';
  if (code.startsWith('SQLITE_CORRUPT') || code.startsWith('SQLITE_NOTADB')) return 'the data file is damaged';
  if (code.startsWith('SQLITE_IOERR') || code.startsWith('SQLITE_CANTOPEN')) return 'the disk reported an error';
  if (error instanceof BurrowError) return error.message;
  return error instanceof Error ? error.message : String(error);
}

/**
 * Turns a failed write into the error a user can act on; anything else is passed through.
 * `action` completes "Burrow could not …", e.g. "save this message".
 */
export function asStorageError(error: unknown, action: string): unknown {
  if (error instanceof BurrowError || !isStorageFailure(error)) return error;
  return new BurrowError('storage_error', `Burrow could not ${action}: ${storageReason(error)}. Nothing was changed.`, { cause: error });
}

/** Runs a write, translating disk and file failures into a storage_error. */
export function writing<T>(action: string, write: () => T): T {
  try {
    return write();
  } catch (error) {
    throw asStorageError(error, action);
  }
}
