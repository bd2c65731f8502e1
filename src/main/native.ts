import { existsSync } from 'node:fs';
import { join } from 'node:path';

/**
 * better-sqlite3 is a V8-ABI module: node_modules holds the build for Node (tests, CLI);
 * `npm start` builds a copy for Electron's ABI into .native/ (scripts/ensure-electron-native.mjs),
 * so neither order of `npm test` and `npm start` breaks the other.
 */
export function electronSqliteBinding(projectRoot: string): string | undefined {
  const candidate = join(projectRoot, '.native', `electron-${process.versions.electron}-${process.platform}-${process.arch}`, 'better_sqlite3.node');
  return existsSync(candidate) ? candidate : undefined;
}
