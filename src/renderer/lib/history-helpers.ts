/**
 * Pure helpers for the history UI: the search palette's keyboard list, the branch switcher's
 * position, the context meter's numbers, file names and sizes for export and import.
 */
import type { ContextUsage, Message, SearchGroup, SearchHit, TextSegment } from '../../shared/contract';
import { assertNever } from '../../shared/errors';
import { MAX_WIRE_BYTES } from '../../shared/limits';

/** One row the palette's arrow keys move through: a conversation's title, or one hit in it. */
export interface PaletteRow {
  /** Stable within one result set: for keyed {#each} and aria-activedescendant. */
  key: string;
  conversationId: string;
  /** The message to jump to and highlight; null opens the conversation where it was. */
  messageId: string | null;
  /** A document passage to show once the conversation is open; null for the others. */
  passage: { documentId: string; fileName: string; label: string; chunkId: number } | null;
  groupIndex: number;
}

/** Rows in the order shown: each group's title row, then its hits. */
export function paletteRows(groups: readonly SearchGroup[]): PaletteRow[] {
  const rows: PaletteRow[] = [];
  groups.forEach((group, groupIndex) => {
    rows.push({ key: `c:${group.conversationId}`, conversationId: group.conversationId, messageId: null, passage: null, groupIndex });
    for (const hit of group.hits) {
      const passage = hit.kind === 'passage' ? { documentId: hit.documentId, fileName: hit.fileName, label: hit.label, chunkId: hit.chunkId } : null;
      rows.push({ key: hitKey(hit), conversationId: group.conversationId, messageId: hitTarget(hit), passage, groupIndex });
    }
  });
  return rows;
}

export function hitKey(hit: SearchHit): string {
  switch (hit.kind) {
    case 'message':
      return `m:${hit.messageId}`;
    case 'passage':
      return `p:${hit.documentId}:${hit.chunkId}`;
    default:
      return assertNever(hit, 'search hit');
  }
}

function hitTarget(hit: SearchHit): string | null {
  switch (hit.kind) {
    case 'message':
      return hit.messageId;
    case 'passage':
      return null;
    default:
      return assertNever(hit, 'search hit');
  }
}

/** The row the arrow keys land on: wraps around at both ends; -1 when there is none. */
export function moveSelection(current: number, delta: number, count: number): number {
  if (count === 0) return -1;
  if (current < 0) return delta > 0 ? 0 : count - 1;
  return (((current + delta) % count) + count) % count;
}

/** Leading and trailing whitespace of a snippet trimmed, runs of whitespace collapsed. */
export function tidySegments(segments: readonly TextSegment[]): TextSegment[] {
  const out: TextSegment[] = [];
  for (const segment of segments) {
    const text = segment.text.replace(/\s+/g, ' ');
    if (text === '') continue;
    const last = out.at(-1);
    if (last && last.match === segment.match) last.text += text;
    else out.push({ text, match: segment.match });
  }
  const first = out[0];
  if (first) first.text = first.text.trimStart();
  const end = out.at(-1);
  if (end) end.text = end.text.trimEnd();
  return out.filter((segment) => segment.text !== '');
}

/** "2 / 3" of a message with alternatives, with its neighbours; null when it has none. */
export interface BranchPosition {
  index: number;
  total: number;
  previousId: string | null;
  nextId: string | null;
}

export function branchPosition(message: Pick<Message, 'id' | 'siblingIds'>): BranchPosition | null {
  const total = message.siblingIds.length;
  const index = message.siblingIds.indexOf(message.id);
  if (total < 2 || index === -1) return null;
  return {
    index: index + 1,
    total,
    previousId: message.siblingIds[index - 1] ?? null,
    nextId: message.siblingIds[index + 1] ?? null,
  };
}

export type MeterLevel = 'ok' | 'high' | 'full';

/** What the context meter shows; null when there is nothing to count. */
export interface MeterReading {
  used: number;
  size: number;
  /** 0–100, capped. */
  percent: number;
  level: MeterLevel;
  label: string;
}

export function meterReading(usage: ContextUsage | null): MeterReading | null {
  if (usage?.usedTokens == null || usage.contextSize == null) return null;
  const used = usage.usedTokens;
  const size = usage.contextSize;
  const percent = Math.min(100, Math.round((used / size) * 100));
  const level: MeterLevel = usage.overflow || used > size ? 'full' : percent >= 80 ? 'high' : 'ok';
  return { used, size, percent, level, label: `${compactTokens(used)} / ${compactTokens(size)}` };
}

/** 950 → "950", 1_234 → "1.2k", 32_768 → "33k". */
export function compactTokens(count: number): string {
  if (count < 1000) return String(count);
  if (count < 10_000) return `${(count / 1000).toFixed(1).replace(/\.0$/, '')}k`;
  return `${Math.round(count / 1000)}k`;
}

/** What the strategy means, in words a user reads. */
export function strategyText(usage: Pick<ContextUsage, 'strategy'>): string {
  switch (usage.strategy) {
    case 'keep-system-and-newest':
      return 'Burrow keeps your system prompt and the newest messages for the model, and leaves the oldest out of what it reads. Nothing is deleted: every message stays here and in search.';
    default:
      return assertNever(usage.strategy, 'context strategy');
  }
}

/**
 * Whether a file of this text can travel to the core in one history.import call. The browser
 * host's WebSocket takes messages up to MAX_WIRE_BYTES, JSON-escaped; Electron's IPC has no such
 * limit. Returns the error to show, or null when it fits.
 */
export function importTooLarge(content: string, browserHost: boolean): string | null {
  if (!browserHost) return null;
  // The request's envelope and JSON escaping (quotes, backslashes, control characters) grow it.
  const wireBytes = new TextEncoder().encode(JSON.stringify(content)).length + 512;
  if (wireBytes <= MAX_WIRE_BYTES) return null;
  const limit = `${Math.floor(MAX_WIRE_BYTES / 1024)} KB`;
  return `This file is too large to import in the browser version of Burrow (the limit is about ${limit}). Import it in the Burrow app, or from a terminal with: burrow import <file>`;
}

/** "1 conversation, 12 messages" and what was skipped, for the import summary. */
export function importSummary(result: { format: 'burrow-archive' | 'chatgpt'; conversations: number; messages: number; skipped: number; duplicates: number }): string {
  const source = result.format === 'chatgpt' ? 'ChatGPT export' : 'Burrow archive';
  const parts = [`${plural(result.conversations, 'conversation')} and ${plural(result.messages, 'message')} imported from a ${source}.`];
  if (result.duplicates > 0) parts.push(`${plural(result.duplicates, 'conversation')} ${result.duplicates === 1 ? 'was' : 'were'} already in your history and ${result.duplicates === 1 ? 'was' : 'were'} not added again.`);
  if (result.skipped > 0) parts.push(`${plural(result.skipped, 'conversation')} had nothing Burrow can show and ${result.skipped === 1 ? 'was' : 'were'} skipped.`);
  return parts.join(' ');
}

export function plural(count: number, noun: string): string {
  return `${count.toLocaleString('en-US')} ${noun}${count === 1 ? '' : 's'}`;
}

/** A backup as the list shows it: "Daily copy", "Before an upgrade"… */
export function backupKindLabel(kind: 'daily' | 'before-upgrade' | 'before-restore'): string {
  switch (kind) {
    case 'daily':
      return 'Daily copy';
    case 'before-upgrade':
      return 'Before an upgrade';
    case 'before-restore':
      return 'Before a restore';
    default:
      return assertNever(kind, 'backup kind');
  }
}
