import type { LogLevel } from './protocol';

/**
 * The engine's log where no face asked for it: its debug lines (whether a turn was kept in
 * memory, restored from its saved state or re-evaluated, and each save) on stderr when
 * BURROW_DEBUG=1. Warnings and errors reach the user as engine states and answer errors.
 */
export function debugEngineLog(env: NodeJS.ProcessEnv = process.env, write: (line: string) => void = (line) => process.stderr.write(line)): ((level: LogLevel, message: string) => void) | undefined {
  if (env.BURROW_DEBUG !== '1') return undefined;
  return (level, message) => write(`[burrow engine ${level}] ${message}\n`);
}
