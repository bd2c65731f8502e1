/** The benchmark's results: rows with a figure, a baseline and a target, printed as a table and saved as JSON. */
import { writeFileSync } from 'node:fs';
import type { Figure } from './stats';

export interface Row {
  /** Stable key in results.json. */
  key: string;
  label: string;
  unit: string;
  burrow?: Figure;
  /** Named baselines measured in the same run (llama-bench, bare node-llama-cpp). */
  baselines?: Record<string, Figure>;
  /** What the target compares, e.g. "≥ 0.90 × llama-bench", and the measured value of that comparison. */
  target?: { text: string; value: number; met: boolean };
  note?: string;
}

export class Report {
  readonly rows: Row[] = [];
  readonly meta: Record<string, unknown> = {};

  add(row: Row): void {
    this.rows.push(row);
  }

  table(): string {
    const fmt = (f: Figure | undefined, unit: string): string => (f === undefined || !Number.isFinite(f.median) ? '—' : `${format(f.median, unit)} ±${(f.spread * 50).toFixed(0)}%`);
    const baselineNames = [...new Set(this.rows.flatMap((row) => Object.keys(row.baselines ?? {})))];
    const header = ['figure', 'Burrow', ...baselineNames, 'target', 'met'];
    const lines = this.rows.map((row) => [
      `${row.label} (${row.unit})`,
      fmt(row.burrow, row.unit),
      ...baselineNames.map((name) => fmt(row.baselines?.[name], row.unit)),
      row.target === undefined ? '' : `${row.target.text}: ${format(row.target.value, '')}`,
      row.target === undefined ? '' : row.target.met ? 'yes' : 'NO',
    ]);
    const widths = header.map((_, i) => Math.max(header[i]?.length ?? 0, ...lines.map((line) => line[i]?.length ?? 0)));
    const render = (cells: string[]): string => `| ${cells.map((cell, i) => cell.padEnd(widths[i] ?? 0)).join(' | ')} |`;
    return [render(header), `|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`, ...lines.map(render)].join('\n');
  }

  notes(): string {
    return this.rows
      .filter((row) => row.note !== undefined)
      .map((row) => `- ${row.label}: ${row.note ?? ''}`)
      .join('\n');
  }

  write(path: string): void {
    writeFileSync(path, `${JSON.stringify({ ...this.meta, rows: this.rows }, null, 2)}\n`);
  }
}

function format(value: number, unit: string): string {
  if (!Number.isFinite(value)) return '—';
  if (unit === 'MB') return value.toFixed(0);
  if (Math.abs(value) >= 100) return value.toFixed(0);
  if (Math.abs(value) >= 10) return value.toFixed(1);
  return value.toFixed(2);
}
