export interface Dated {
  updatedAt: number;
}

export interface DateGroup<T> {
  label: string;
  items: T[];
}

const DAY_MS = 86_400_000;

function startOfDay(time: number): number {
  const date = new Date(time);
  date.setHours(0, 0, 0, 0);
  return date.getTime();
}

/** Groups items (already sorted newest first) under "Today", "Yesterday", "Previous 7 days"… */
export function groupByDay<T extends Dated>(items: readonly T[], now = Date.now()): DateGroup<T>[] {
  const today = startOfDay(now);
  const groups: DateGroup<T>[] = [];
  for (const item of items) {
    const label = dayLabel(item.updatedAt, today);
    const last = groups.at(-1);
    if (last?.label === label) last.items.push(item);
    else groups.push({ label, items: [item] });
  }
  return groups;
}

function dayLabel(time: number, today: number): string {
  if (time >= today) return 'Today';
  if (time >= today - DAY_MS) return 'Yesterday';
  if (time >= today - 7 * DAY_MS) return 'Previous 7 days';
  if (time >= today - 30 * DAY_MS) return 'Previous 30 days';
  const date = new Date(time);
  const sameYear = date.getFullYear() === new Date(today).getFullYear();
  return date.toLocaleDateString(undefined, sameYear ? { month: 'long' } : { month: 'long', year: 'numeric' });
}

export function formatTime(time: number): string {
  return new Date(time).toLocaleTimeString(undefined, { hour: 'numeric', minute: '2-digit' });
}

/** When something happened, as short as is clear: "3:05 PM" today, "Nov 3" this year, "Nov 3, 2024" before. */
export function formatWhen(time: number, now = Date.now()): string {
  const date = new Date(time);
  if (time >= startOfDay(now) && time < startOfDay(now) + DAY_MS) return formatTime(time);
  const sameYear = date.getFullYear() === new Date(now).getFullYear();
  return date.toLocaleDateString(undefined, sameYear ? { month: 'short', day: 'numeric' } : { month: 'short', day: 'numeric', year: 'numeric' });
}
