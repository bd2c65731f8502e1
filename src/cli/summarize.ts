/**
 * `burrow summarize FILE [--style key-points|brief|outline] [--focus TEXT] [--model FILE] [--json]`:
 * reads a document, summarises the whole of it with the same core as the app, and prints the
 * summary (with its references and what it covers) to stdout. Progress goes to stderr; with
 * --json, every document event is one JSON line on stdout instead. Ctrl+C cancels (the same
 * command later resumes from where it stopped). Exit 0 when done, 1 on an error, 2 for a usage
 * error, 130 when cancelled.
 */
import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import type { EventPayload, ProcedureInput, SummaryStyle } from '../shared/contract';
import type { Client, EventArgs } from '../shared/client';
import { BurrowError } from '../shared/errors';
import type { Assistant } from '../core/assistant';
import { startCliCore } from './core';

const USAGE = `Usage: burrow summarize FILE [--style key-points|brief|outline] [--focus TEXT] [--model FILE.gguf] [--json]

  FILE      a PDF, Word (.docx), EPUB, HTML, Markdown or text file
  --style   key-points (default), brief (one paragraph) or outline
  --focus   what to pay particular attention to, e.g. "costs"
  --model   the model to summarise with (default: the one you used last)`;

const STYLES: readonly SummaryStyle[] = ['key-points', 'brief', 'outline'];

export interface SummarizeIo {
  stdout: NodeJS.WritableStream;
  stderr: NodeJS.WriteStream | NodeJS.WritableStream;
}

export async function summarizeCommand(argv: string[], io: SummarizeIo = { stdout: process.stdout, stderr: process.stderr }): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      allowPositionals: true,
      options: {
        style: { type: 'string', default: 'key-points' },
        focus: { type: 'string' },
        model: { type: 'string' },
        threads: { type: 'string' },
        json: { type: 'boolean', default: false },
        help: { type: 'boolean', short: 'h', default: false },
      },
    });
  } catch (error) {
    io.stderr.write(`burrow summarize: ${(error as Error).message}\n\n${USAGE}\n`);
    return 2;
  }
  const { values, positionals } = parsed;
  if (values.help) {
    io.stdout.write(`${USAGE}\n`);
    return 0;
  }
  const [file, ...extra] = positionals;
  const style = values.style as SummaryStyle;
  if (!STYLES.includes(style)) {
    io.stderr.write(`burrow summarize: --style must be one of ${STYLES.join(', ')}, not "${values.style}".\n\n${USAGE}\n`);
    return 2;
  }
  if (file === undefined || extra.length > 0) {
    io.stderr.write(`${USAGE}\n`);
    return 2;
  }

  const { assistant, client } = startCliCore({ model: values.model, threads: values.threads, takesModel: true });
  const abort = new AbortController();
  const onSigint = (): void => abort.abort();
  process.once('SIGINT', onSigint);
  try {
    if (values.model !== undefined) await client.call('models.load', { path: values.model });
    const document = await client.call('documents.add', { path: assistant.grantDocument(resolve(file)) });
    if (!values.json) {
      const size = document.pageCount !== null ? `${document.pagesRead ?? document.pageCount} of ${document.pageCount} pages` : `${document.charCount.toLocaleString('en-US')} characters`;
      io.stderr.write(`Read ${document.fileName} (${document.format}, ${size}).\n`);
      for (const notice of document.notices) io.stderr.write(`Note: ${notice}\n`);
    } else {
      io.stdout.write(`${JSON.stringify({ event: 'document.added', ...document })}\n`);
    }
    const end = await runSummary(assistant, client, io, values.json, abort.signal, { documentId: document.id, style, ...(values.focus ? { focus: values.focus } : {}) });
    if (end.status === 'done' && end.messageId !== null) {
      const view = await client.call('documents.get', { documentId: document.id });
      if (values.json) io.stdout.write(`${JSON.stringify({ event: 'summary', ...view.summaries.find((summary) => summary.id === end.summaryId) })}\n`);
      else io.stdout.write(`${assistant.conversations.getMessage(end.messageId).content}\n`);
      return 0;
    }
    if (end.status === 'cancelled') {
      if (!values.json) io.stderr.write(`\nCancelled. The summary covers ${end.coverage.text}; run the same command again to go on.\n`);
      return 130;
    }
    if (!values.json) io.stderr.write(`\nburrow summarize: ${end.error?.message ?? 'the summary failed.'}\n`);
    return 1;
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    if (values.json) io.stdout.write(`${JSON.stringify({ event: 'error', code: error instanceof BurrowError ? error.code : 'internal', message })}\n`);
    else io.stderr.write(`burrow summarize: ${message}\n`);
    return 1;
  } finally {
    process.removeListener('SIGINT', onSigint);
    await assistant.dispose();
  }
}

/** Starts the summary and follows its events until its end event. */
function runSummary(
  assistant: Assistant,
  client: Client,
  io: SummarizeIo,
  json: boolean,
  signal: AbortSignal,
  input: ProcedureInput<'documents.summarize'>,
): Promise<EventPayload<'document.summary'>> {
  const isTty = 'isTTY' in io.stderr && io.stderr.isTTY === true;
  let summaryId: string | undefined;
  const early: EventArgs[] = [];
  return new Promise((resolveEnd, reject) => {
    const handle = (...[name, payload]: EventArgs): void => {
      if (name === 'document.progress') {
        if (payload.summaryId !== summaryId) return;
        if (json) return void io.stdout.write(`${JSON.stringify({ event: name, ...payload })}\n`);
        const left = payload.secondsLeft === null ? '' : `, about ${formatSeconds(payload.secondsLeft)} left`;
        const where = payload.section === null ? '' : ` — ${payload.section}`;
        const line =
          payload.stage === 'chunking'
            ? 'Preparing the text for the model…'
            : `${payload.percent}% · ${payload.stage === 'reduce' ? 'combining' : 'summarising'} ${payload.chunksDone}/${payload.chunksTotal} chunks${where}${left}`;
        io.stderr.write(isTty ? `\r\x1b[K${line}` : `${line}\n`);
      } else if (name === 'document.summary') {
        if (payload.summaryId !== summaryId) return;
        if (json) io.stdout.write(`${JSON.stringify({ event: name, ...payload })}\n`);
        else if (isTty) io.stderr.write('\n');
        unsubscribe();
        resolveEnd(payload);
      }
    };
    const unsubscribe = assistant.subscribe((...event) => {
      if (summaryId === undefined) early.push(event);
      else handle(...event);
    });
    client.call('documents.summarize', input).then(
      (started) => {
        summaryId = started.summaryId;
        signal.addEventListener('abort', () => void client.call('documents.cancel', { summaryId: started.summaryId }), { once: true });
        for (const event of early.splice(0)) handle(...event);
      },
      (error: unknown) => {
        unsubscribe();
        reject(error instanceof Error ? error : new Error(String(error)));
      },
    );
  });
}

function formatSeconds(seconds: number): string {
  if (seconds < 90) return `${Math.max(1, Math.round(seconds))} s`;
  return `${Math.round(seconds / 60)} min`;
}
