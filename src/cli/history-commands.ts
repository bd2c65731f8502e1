/**
 * History from the terminal, through the same router as the app:
 *
 *   burrow search "query" [--limit N] [--json]
 *   burrow export [--out FILE] [--conversation ID [--format markdown|json]]
 *   burrow import FILE [--json]
 *
 * Exit 0 on success, 1 when the core refused, 2 for a usage error.
 */
import { existsSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { basename, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { ExportFormat, MAX_IMPORT_CHARS, type SearchResults, type TextSegment } from '../shared/contract';
import type { Client } from '../shared/client';
import { BurrowError } from '../shared/errors';
import { startCliCore } from './core';

export const HISTORY_USAGE = `  burrow search "words" [--limit N] [--json]         search every conversation ("quotes" for phrases)
  burrow export [--out FILE]                         everything as a Burrow archive (JSON)
  burrow export --conversation ID [--format markdown|json] [--out FILE]
  burrow import FILE [--json]                        a Burrow archive or ChatGPT's conversations.json`;

const COMMANDS = ['search', 'export', 'import'] as const;
type HistoryCommand = (typeof COMMANDS)[number];

export interface HistoryIo {
  stdout: NodeJS.WriteStream | NodeJS.WritableStream;
  stderr: NodeJS.WriteStream | NodeJS.WritableStream;
}

export function isHistoryCommand(name: string | undefined): name is HistoryCommand {
  return (COMMANDS as readonly string[]).includes(name ?? '');
}

export async function runHistoryCommand(command: HistoryCommand, argv: string[], io: HistoryIo = { stdout: process.stdout, stderr: process.stderr }): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      allowPositionals: true,
      options: {
        json: { type: 'boolean', default: false },
        limit: { type: 'string' },
        out: { type: 'string' },
        conversation: { type: 'string' },
        format: { type: 'string' },
        help: { type: 'boolean', short: 'h', default: false },
      },
    });
  } catch (error) {
    io.stderr.write(`burrow ${command}: ${(error as Error).message}\n\nUsage:\n${HISTORY_USAGE}\n`);
    return 2;
  }
  const { values, positionals } = parsed;
  if (values.help) {
    io.stdout.write(`Usage:\n${HISTORY_USAGE}\n`);
    return 0;
  }
  const usage = (message: string): number => {
    io.stderr.write(`burrow ${command}: ${message}\n\nUsage:\n${HISTORY_USAGE}\n`);
    return 2;
  };
  if (command === 'search' && positionals.length === 0) return usage('give the words to search for, for example: burrow search "rabbit burrow"');
  if (command === 'import' && positionals.length !== 1) return usage('give one file to import');
  if (command === 'export' && positionals.length > 0) return usage(`unexpected "${positionals[0] ?? ''}"`);
  const format = ExportFormat.safeParse(values.format ?? 'markdown');
  if (!format.success) return usage('--format is markdown or json');
  const limit = values.limit === undefined ? undefined : Number.parseInt(values.limit, 10);
  if (limit !== undefined && !(limit >= 1)) return usage('--limit is a positive number');

  const { assistant, client } = startCliCore();
  try {
    switch (command) {
      case 'search':
        return await search(client, io, positionals.join(' '), limit, values.json);
      case 'export':
        return await exportHistory(client, io, { out: values.out, conversation: values.conversation, format: format.data });
      case 'import':
        return await importFile(client, io, positionals[0] ?? '', values.json);
    }
  } catch (error) {
    io.stderr.write(`burrow ${command}: ${error instanceof Error ? error.message : String(error)}\n`);
    return 1;
  } finally {
    await assistant.dispose();
  }
}

async function search(client: Client, io: HistoryIo, query: string, limit: number | undefined, json: boolean): Promise<number> {
  const results = await client.call('search.query', { query, ...(limit === undefined ? {} : { limit: Math.min(limit, 200) }) });
  if (json) {
    io.stdout.write(`${JSON.stringify(results)}\n`);
    return 0;
  }
  io.stdout.write(formatResults(results, 'isTTY' in io.stdout && io.stdout.isTTY === true));
  return 0;
}

/** Plain text for a terminal: matches in bold on a terminal, in [brackets] when piped. */
export function formatResults(results: SearchResults, terminal: boolean): string {
  const mark = (segments: TextSegment[]): string =>
    segments.map((segment) => (segment.match ? (terminal ? `\u001b[1m${clean(segment.text)}\u001b[22m` : `[${clean(segment.text)}]`) : clean(segment.text))).join('');
  const lines: string[] = [];
  if (results.order === 'newest') lines.push('These words match a large part of your history: showing the newest matches. Add words to narrow it down.', '');
  for (const group of results.groups) {
    lines.push(`${mark(group.titleSegments)}  (${new Date(group.updatedAt).toISOString().slice(0, 10)}, ${group.conversationId})`);
    for (const hit of group.hits) {
      const who = hit.kind === 'passage' ? `${clean(hit.fileName)}, ${clean(hit.label)}` : hit.role === 'user' ? 'You' : 'Assistant';
      lines.push(`  ${who}: ${mark(hit.snippet)}`);
    }
  }
  const hits = results.groups.reduce((sum, group) => sum + group.hits.length, 0);
  if (results.groups.length === 0) lines.push('Nothing found.');
  else lines.push('', `${hits} match${hits === 1 ? '' : 'es'} in ${results.groups.length} conversation${results.groups.length === 1 ? '' : 's'} (${results.tookMs.toFixed(1)} ms)`);
  return `${lines.join('\n')}\n`;
}

async function exportHistory(client: Client, io: HistoryIo, options: { out: string | undefined; conversation: string | undefined; format: ExportFormat }): Promise<number> {
  const file =
    options.conversation === undefined
      ? await client.call('history.exportAll', {})
      : await client.call('conversations.export', { id: options.conversation, format: options.format }).catch((error: unknown) => {
          if (error instanceof BurrowError && error.code === 'not_found') throw new BurrowError('not_found', `No conversation with id ${options.conversation ?? ''}. \`burrow list\` shows the ids.`);
          throw error;
        });
  if (options.out === undefined) {
    io.stdout.write(file.content);
    return 0;
  }
  const target = resolve(options.out);
  // Written beside the target and renamed: an interrupted export never leaves half a file under the real name.
  const partial = `${target}.partial`;
  try {
    writeFileSync(partial, file.content, { encoding: 'utf8', flush: true });
    renameSync(partial, target);
  } catch (error) {
    rmSync(partial, { force: true });
    throw error;
  }
  io.stdout.write(`Saved ${file.fileName.endsWith('.md') ? 'the conversation' : 'your history'} to ${target}\n`);
  return 0;
}

async function importFile(client: Client, io: HistoryIo, path: string, json: boolean): Promise<number> {
  if (!existsSync(path)) throw new BurrowError('not_found', `No such file: ${path}`);
  const size = statSync(path).size;
  // A UTF-8 byte is at most one character, so this bound is never stricter than the contract's.
  if (size > MAX_IMPORT_CHARS * 4) throw new BurrowError('invalid_input', `${basename(path)} is too large to import (more than 100 MB of text).`);
  const content = readFileSync(path, 'utf8');
  const result = await client.call('history.import', { content, fileName: basename(path) });
  if (json) {
    io.stdout.write(`${JSON.stringify(result)}\n`);
    return 0;
  }
  const source = result.format === 'chatgpt' ? 'a ChatGPT export' : 'a Burrow archive';
  const skipped = result.skipped > 0 ? ` ${result.skipped} conversation${result.skipped === 1 ? ' was' : 's were'} skipped (nothing Burrow can show).` : '';
  const duplicates = result.duplicates > 0 ? ` ${result.duplicates} conversation${result.duplicates === 1 ? ' was' : 's were'} already in your history and not added again.` : '';
  io.stdout.write(`Imported ${result.conversations} conversation${result.conversations === 1 ? '' : 's'} (${result.messages} messages) from ${source}.${duplicates}${skipped}\n`);
  return 0;
}

/** Message text may hold terminal escape sequences (an imported file): never pass them to the terminal. */
function clean(text: string): string {
  return text.replace(/\p{Cc}/gu, ' ');
}
