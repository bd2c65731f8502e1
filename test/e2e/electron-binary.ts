/**
 * Whether the Electron suites can run here: the Electron binary and better-sqlite3's Electron
 * build must both be present (neither is on build machines that install with
 * ELECTRON_SKIP_BINARY_DOWNLOAD=1). Gives the reason to skip, or undefined.
 */
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { findProjectRoot } from '../../src/core/process/project-root';

const require = createRequire(import.meta.url);
const root = findProjectRoot();

export function electronBinary(): string | { missing: string } {
  try {
    const path = require('electron') as unknown as string;
    return existsSync(path) ? path : { missing: `the Electron binary is not at ${path}` };
  } catch (error) {
    return { missing: `the Electron binary is not installed (${(error as Error).message.split('\n')[0]})` };
  }
}

export function electronSkipReason(suite: string): string | undefined {
  const binary = electronBinary();
  if (typeof binary !== 'string') return `${suite} skipped: ${binary.missing}. Install it with network access (node node_modules/electron/install.js).`;
  try {
    const version = (require('electron/package.json') as { version: string }).version;
    if (existsSync(join(root, '.native', `electron-${version}-${process.platform}-${process.arch}`, 'better_sqlite3.node'))) return undefined;
  } catch {
    // fall through
  }
  return `${suite} skipped: better-sqlite3 has no Electron build yet. Run \`node scripts/ensure-electron-native.mjs\` (npm start does).`;
}
