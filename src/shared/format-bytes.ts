/**
 * Sizes the one way Burrow states them, in the app, the CLI and every message: decimal units
 * as file managers and model hosts use them (1 MB = 1 000 000 bytes), at most three digits —
 * "669 MB", "4.1 kB", "2.1 GB". Pure TypeScript.
 */
const UNITS = ['kB', 'MB', 'GB', 'TB', 'PB'] as const;

export function formatBytes(bytes: number): string {
  if (!Number.isFinite(bytes) || bytes < 0) return '?';
  if (bytes < 1000) return `${Math.round(bytes)} B`;
  let value = bytes / 1000;
  let unit = 0;
  // 999.5 kB would round to "1000 kB": say "1.0 MB" instead.
  while (value >= 999.5 && unit < UNITS.length - 1) {
    value /= 1000;
    unit += 1;
  }
  return `${value < 9.95 ? value.toFixed(1) : Math.round(value)} ${UNITS[unit]}`;
}
