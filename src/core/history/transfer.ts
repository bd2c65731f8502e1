/**
 * Export (one conversation as Markdown or JSON, everything as an archive) and import (a Burrow
 * archive or ChatGPT's conversations.json): the file formats. Reading and writing the tables
 * is ArchiveStore's job.
 */
import type { ExportedFile, ExportFormat, ImportResult, Message } from '../../shared/contract';
import { BurrowError } from '../../shared/errors';
import type { ConversationRecord } from '../store/archive-store';
import { ARCHIVE_FORMAT, fromArchive, toArchive } from './archive-format';
import { fromChatGpt, looksLikeChatGpt } from './chatgpt-import';

export interface ParsedImport {
  format: ImportResult['format'];
  records: ConversationRecord[];
  skipped: number;
}

/** Works out what the file is and reads it; nothing is written. */
export function parseImport(content: string, fileName?: string): ParsedImport {
  const what = fileName === undefined ? 'This file' : `"${fileName.slice(0, 100)}"`;
  let data: unknown;
  try {
    data = JSON.parse(content);
  } catch {
    throw new BurrowError('invalid_input', `${what} is not a JSON file. Choose a Burrow archive (.json) or ChatGPT's conversations.json.`);
  }
  if (typeof data === 'object' && data !== null && (data as { format?: unknown }).format === ARCHIVE_FORMAT) {
    return { format: 'burrow-archive', records: fromArchive(data), skipped: 0 };
  }
  if (looksLikeChatGpt(data)) return { format: 'chatgpt', ...fromChatGpt(data) };
  throw new BurrowError('invalid_input', `${what} is neither a Burrow archive nor ChatGPT's conversations.json, so nothing was imported.`);
}

export function exportAll(records: readonly ConversationRecord[], now: number): ExportedFile {
  return {
    fileName: `burrow-history-${new Date(now).toISOString().slice(0, 10)}.json`,
    mimeType: 'application/json',
    content: `${JSON.stringify(toArchive(records, now), null, 2)}\n`,
  };
}

/**
 * 'json': the whole tree as an archive of one conversation (importable again).
 * 'markdown': the branch on screen, for reading and sharing.
 */
export function exportConversation(record: ConversationRecord, branch: readonly Message[], format: ExportFormat, now: number): ExportedFile {
  const base = safeFileName(record.title);
  if (format === 'json') {
    return { fileName: `${base}.json`, mimeType: 'application/json', content: `${JSON.stringify(toArchive([record], now), null, 2)}\n` };
  }
  return { fileName: `${base}.md`, mimeType: 'text/markdown', content: toMarkdown(record, branch, now) };
}

const ROLE_NAMES = { user: 'You', assistant: 'Assistant' } as const;
const STATUS_NOTES: Partial<Record<Message['status'], string>> = {
  interrupted: 'This answer was interrupted.',
  cancelled: 'This answer was stopped.',
  error: 'This answer failed.',
  streaming: 'This answer was still being written.',
};

export function toMarkdown(record: ConversationRecord, branch: readonly Message[], now: number): string {
  const lines = [`# ${oneLine(record.title)}`, '', `*Exported from Burrow on ${formatTime(now)} · ${branch.length} message${branch.length === 1 ? '' : 's'}*`, ''];
  if (record.settings.systemPrompt !== null) lines.push(`> **System prompt:** ${oneLine(record.settings.systemPrompt)}`, '');
  for (const message of branch) {
    lines.push('---', '', `### ${ROLE_NAMES[message.role]} · ${formatTime(message.createdAt)}`, '', message.content.trimEnd(), '');
    const note = STATUS_NOTES[message.status];
    if (note !== undefined) lines.push(`*${note}*`, '');
  }
  return `${lines.join('\n').trimEnd()}\n`;
}

/** A file name without characters any platform refuses, never empty, at most 80 characters. */
export function safeFileName(title: string): string {
  const cleaned = title
    .replace(/[\p{Cc}<>:"/\\|?*]+/gu, ' ')
    .replace(/\s+/g, ' ')
    .trim()
    .replace(/^\.+|\.+$/g, '')
    .slice(0, 80)
    .trim();
  // Windows reserves these names whatever the extension.
  return cleaned === '' || /^(con|prn|aux|nul|com\d|lpt\d)$/i.test(cleaned) ? 'conversation' : cleaned;
}

function oneLine(text: string): string {
  return text.replace(/\s+/g, ' ').trim();
}

function formatTime(time: number): string {
  return `${new Date(time).toISOString().slice(0, 16).replace('T', ' ')} UTC`;
}
