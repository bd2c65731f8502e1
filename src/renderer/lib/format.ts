/** Numbers as people read them: sizes, speeds, durations, parameter counts. */
export { formatBytes } from '../../shared/format-bytes';
import { formatBytes } from '../../shared/format-bytes';

/** A download size as a catalog states it: the same figure as everywhere else (formatBytes). */
export const approximateSize = formatBytes;

export function formatSpeed(bytesPerSecond: number): string {
  return `${formatBytes(Math.round(bytesPerSecond))}/s`;
}

/** "about 2 min left", "12 s left". */
export function formatTimeLeft(seconds: number): string {
  if (!Number.isFinite(seconds)) return '';
  const rounded = Math.max(1, Math.round(seconds));
  if (rounded < 60) return `${rounded} s left`;
  const minutes = Math.round(rounded / 60);
  if (minutes < 60) return `about ${minutes} min left`;
  const hours = Math.floor(minutes / 60);
  return `about ${hours} h ${minutes % 60} min left`;
}

/** 1_100_048_384 → "1.1B", 4_200_000 → "4.2M". */
export function formatParameters(count: number): string {
  if (count >= 1e9) return `${(count / 1e9).toFixed(count >= 1e10 ? 0 : 1)}B`;
  if (count >= 1e6) return `${(count / 1e6).toFixed(count >= 1e7 ? 0 : 1)}M`;
  if (count >= 1e3) return `${Math.round(count / 1e3)}K`;
  return String(count);
}

export function formatTokens(count: number): string {
  return count.toLocaleString('en-US');
}
