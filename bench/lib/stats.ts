/** Summaries of repeated measurements: the median and how far the runs spread around it. */
export interface Figure {
  median: number;
  min: number;
  max: number;
  /** (max − min) / median, as a fraction: how noisy the runs were. */
  spread: number;
  runs: number[];
}

export function percentile(values: readonly number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  if (sorted.length === 0) return Number.NaN;
  const rank = (p / 100) * (sorted.length - 1);
  const low = Math.floor(rank);
  const high = Math.ceil(rank);
  return (sorted[low] ?? 0) + ((sorted[high] ?? 0) - (sorted[low] ?? 0)) * (rank - low);
}

export function figure(runs: readonly number[]): Figure {
  const median = percentile(runs, 50);
  const min = Math.min(...runs);
  const max = Math.max(...runs);
  return { median, min, max, spread: median === 0 ? 0 : (max - min) / median, runs: [...runs] };
}

/** Ratios of paired runs (a[i] / b[i]), measured side by side: steadier than a ratio of medians on a busy machine. */
export function pairedRatio(a: readonly number[], b: readonly number[]): Figure {
  const ratios = a.slice(0, b.length).map((value, i) => value / (b[i] ?? Number.NaN));
  return figure(ratios.filter((ratio) => Number.isFinite(ratio)));
}
