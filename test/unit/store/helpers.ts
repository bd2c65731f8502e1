import { createHash } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach } from 'vitest';
import { closeDatabase, databasePath, openDatabase, type Database, type OpenDatabaseOptions } from '../../../src/core/store/database';

/** A fresh data folder per test, removed afterwards together with every handle opened through it. */
export function useTempDataDir() {
  let dir = '';
  const handles: Database[] = [];

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'burrow-store-'));
  });

  afterEach(async () => {
    for (const db of handles.splice(0)) closeDatabase(db);
    await rm(dir, { recursive: true, force: true });
  });

  return {
    get dir(): string {
      return dir;
    },
    get file(): string {
      return databasePath(dir);
    },
    open(file: string = databasePath(dir), options?: OpenDatabaseOptions): Database {
      const db = openDatabase(file, options);
      handles.push(db);
      return db;
    },
  };
}

export async function sha256(file: string): Promise<string> {
  return createHash('sha256').update(await readFile(file)).digest('hex');
}
