/**
 * CPU time of a process tree, from /proc (Linux): the bench's way to see what the app's own
 * processes take from llama.cpp's threads. Elsewhere, or if /proc cannot be read, NaN.
 */
import { readdirSync, readFileSync } from 'node:fs';

/** The kernel's CPU-time clock: 100 ticks a second on every Linux the bench runs on (CLK_TCK). */
const MS_PER_TICK = 10;

export interface ProcStat {
  pid: number;
  ppid: number;
  /** The process's (or thread's) name, as the kernel keeps it. */
  name: string;
  cpuMs: number;
}

/** `/proc/<path>/stat` of a process (`"1234"`) or a thread (`"self/task/1235"`); null once it is gone. */
export function readStat(path: string): ProcStat | null {
  try {
    const stat = readFileSync(`/proc/${path}/stat`, 'utf8');
    const close = stat.lastIndexOf(')');
    const fields = stat.slice(close + 2).split(' ');
    return { pid: Number(stat.slice(0, stat.indexOf(' '))), ppid: Number(fields[1]), name: stat.slice(stat.indexOf('(') + 1, close), cpuMs: (Number(fields[11]) + Number(fields[12])) * MS_PER_TICK };
  } catch {
    return null; // gone between the listing and the read
  }
}

/** User + system CPU time, in ms, of `rootPid`'s live descendants (not `rootPid` itself). */
export function descendantsCpuMs(rootPid: number = process.pid): number {
  if (process.platform !== 'linux') return Number.NaN;
  let stats: ProcStat[];
  try {
    stats = readdirSync('/proc')
      .filter((name) => /^\d+$/.test(name))
      .map((pid) => readStat(pid))
      .filter((stat): stat is ProcStat => stat !== null);
  } catch {
    return Number.NaN;
  }
  const children = new Map<number, ProcStat[]>();
  for (const stat of stats) children.set(stat.ppid, [...(children.get(stat.ppid) ?? []), stat]);
  let total = 0;
  const pending = [...(children.get(rootPid) ?? [])];
  for (let next = pending.pop(); next !== undefined; next = pending.pop()) {
    total += next.cpuMs;
    pending.push(...(children.get(next.pid) ?? []));
  }
  return total;
}
