import { homedir } from 'node:os';
import { join } from 'node:path';

export const APP_NAME = 'Burrow';

/**
 * Where Burrow keeps its data. `BURROW_DATA_DIR` wins; the app passes Electron's
 * `userData`; elsewhere (CLI, browser host) we compute the same folder Electron would use.
 */
export function resolveDataDir(options: { electronUserData?: string; env?: NodeJS.ProcessEnv; platform?: NodeJS.Platform } = {}): string {
  const env = options.env ?? process.env;
  if (env.BURROW_DATA_DIR) return env.BURROW_DATA_DIR;
  if (options.electronUserData) return options.electronUserData;
  const platform = options.platform ?? process.platform;
  if (platform === 'darwin') return join(homedir(), 'Library', 'Application Support', APP_NAME);
  if (platform === 'win32') return join(env.APPDATA ?? join(homedir(), 'AppData', 'Roaming'), APP_NAME);
  return join(env.XDG_CONFIG_HOME ?? join(homedir(), '.config'), APP_NAME);
}

export function modelsDir(dataDir: string): string {
  return join(dataDir, 'models');
}

/** Conversations' saved evaluation state (src/core/engine/state-store.ts). */
export function stateDir(dataDir: string): string {
  return join(dataDir, 'state');
}
