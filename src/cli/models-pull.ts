/**
 * `burrow models pull ID|URL [--sha256 HEX] [--json]`: downloads a catalog model, or a .gguf
 * file from an address the user typed, into the models folder — through the same egress gate,
 * downloader and checks as the app. A progress bar on stderr when it is a terminal; with
 * --json, one `download.progress` event per line on stdout. Ctrl+C pauses: the same command
 * continues later. Exit 0 when saved, 1 when not, 2 for a usage error, 130 when paused.
 */
import { parseArgs } from 'node:util';
import type { DownloadStatus } from '../shared/contract';
import { BurrowError } from '../shared/errors';
import { createAssistant } from '../core/assistant';
import { spawnNodeEngine } from '../core/process/node-spawn';
import { formatBytes } from '../shared/format-bytes';
import { resolveDataDir } from '../core/store/paths';

const USAGE = `Usage: burrow models pull ID|URL [--sha256 HEX] [--json]

  ID    a model from Burrow's catalog, e.g. tinyllama-1.1b-chat-q4_k_m
  URL   the https:// address of a .gguf file (--sha256 checks it)`;

export interface ModelsPullIo {
  stdout: NodeJS.WriteStream | NodeJS.WritableStream;
  stderr: NodeJS.WriteStream | NodeJS.WritableStream;
}

export async function modelsPull(argv: string[], io: ModelsPullIo = { stdout: process.stdout, stderr: process.stderr }): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      allowPositionals: true,
      options: { sha256: { type: 'string' }, json: { type: 'boolean', default: false }, help: { type: 'boolean', short: 'h', default: false } },
    });
  } catch (error) {
    io.stderr.write(`burrow models pull: ${(error as Error).message}\n\n${USAGE}\n`);
    return 2;
  }
  const { values, positionals } = parsed;
  const [target, ...extra] = positionals;
  if (values.help) {
    io.stdout.write(`${USAGE}\n`);
    return 0;
  }
  if (target === undefined || extra.length > 0) {
    io.stderr.write(`${USAGE}\n`);
    return 2;
  }
  const isUrl = /^[a-z][a-z0-9+.-]*:\/\//i.test(target);
  if (!isUrl && values.sha256 !== undefined) {
    io.stderr.write('burrow models pull: --sha256 is for URLs; catalog models are pinned to their checksum already.\n');
    return 2;
  }

  const assistant = createAssistant({
    dataDir: resolveDataDir(),
    spawnEngine: spawnNodeEngine(),
    autoLoadLastModel: false,
    pickModelFile: () => Promise.reject(new BurrowError('refused', 'The command line cannot open a file dialog.')),
  });
  const downloads = assistant.downloads;
  const progress = new ProgressPrinter(io, values.json);
  const onSigint = (): void => void pause();
  let downloadId: string | undefined;
  const pause = async (): Promise<void> => {
    if (downloadId !== undefined) await downloads.pause(downloadId);
  };
  try {
    await downloads.resumeAll();
    const started = isUrl
      ? downloads.startUrl(target, { ...(values.sha256 === undefined ? {} : { sha256: values.sha256 }), reason: 'cli pull' })
      : downloads.start(target);
    downloadId = started.downloadId;
    const unsubscribe = downloads.onStatus((status) => {
      if (status.downloadId === started.downloadId) progress.show(status);
    });
    process.once('SIGINT', onSigint);
    progress.show(downloads.status(started.downloadId));
    const final = await downloads.settled(started.downloadId);
    unsubscribe();
    progress.finish(final);
    if (final.state === 'done') return 0;
    return final.state === 'paused' ? 130 : 1;
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    if (values.json) io.stdout.write(`${JSON.stringify({ event: 'error', code: error instanceof BurrowError ? error.code : 'internal', message })}\n`);
    io.stderr.write(`burrow models pull: ${message}\n`);
    return error instanceof BurrowError && error.code === 'invalid_input' ? 2 : 1;
  } finally {
    process.removeListener('SIGINT', onSigint);
    await assistant.dispose();
  }
}

/** Prints download statuses: JSON lines, a redrawn bar on a terminal, or a line per state change otherwise. */
class ProgressPrinter {
  readonly #io: ModelsPullIo;
  readonly #json: boolean;
  readonly #tty: boolean;
  #lastState: string | null = null;
  #lastError: string | null = null;
  #barShown = false;

  constructor(io: ModelsPullIo, json: boolean) {
    this.#io = io;
    this.#json = json;
    this.#tty = (io.stderr as NodeJS.WriteStream).isTTY === true;
  }

  show(status: DownloadStatus): void {
    if (this.#json) {
      this.#io.stdout.write(`${JSON.stringify({ event: 'download.progress', ...status })}\n`);
      return;
    }
    if (status.error !== null && status.error.message !== this.#lastError && status.state === 'downloading') {
      this.#line(`  ${status.error.message}`);
    }
    this.#lastError = status.error?.message ?? null;
    if (status.state !== this.#lastState) {
      this.#lastState = status.state;
      if (status.state === 'downloading') this.#line(`Downloading ${status.name}${status.totalBytes === null ? '' : ` (${formatBytes(status.totalBytes)})`}…`);
      if (status.state === 'verifying') this.#line('Checking the file…');
    }
    if (this.#tty && status.state === 'downloading') {
      this.#io.stderr.write(`\r${progressBar(status)}\x1b[K`);
      this.#barShown = true;
    }
  }

  finish(status: DownloadStatus): void {
    if (this.#json) return;
    this.#endBar();
    if (status.state === 'done') {
      const checked = status.sha256Source === 'none' ? 'computed, not checked: pass --sha256 to check it' : `checked, ${status.sha256Source}`;
      this.#io.stdout.write(`${status.path ?? status.file}\n`);
      this.#io.stderr.write(`Saved ${status.file}. SHA-256 ${status.sha256 ?? '?'} (${checked}).\n`);
    } else if (status.state === 'paused') {
      this.#io.stderr.write(`Paused at ${status.percent ?? 0} %. Run the same command again to continue.\n`);
    } else {
      // A terminal has no Resume button: the same command resumes.
      const next = status.canResume ? ' Run the same command again to continue from there.' : '';
      this.#io.stderr.write(`burrow models pull: ${status.error?.message ?? `the download ended as ${status.state}.`}${next}\n`);
    }
  }

  #line(text: string): void {
    this.#endBar();
    this.#io.stderr.write(`${text}\n`);
  }

  #endBar(): void {
    if (!this.#barShown) return;
    this.#io.stderr.write('\n');
    this.#barShown = false;
  }
}

const BAR_WIDTH = 28;

export function progressBar(status: DownloadStatus): string {
  const percent = status.percent ?? 0;
  const filled = Math.round((percent / 100) * BAR_WIDTH);
  const bar = `[${'#'.repeat(filled)}${'.'.repeat(BAR_WIDTH - filled)}]`;
  const amount = status.totalBytes === null ? formatBytes(status.bytesDone) : `${formatBytes(status.bytesDone)} of ${formatBytes(status.totalBytes)}`;
  const speed = status.bytesPerSecond === null ? '' : `  ${formatBytes(status.bytesPerSecond)}/s`;
  const left = status.secondsLeft === null ? '' : `  ${duration(status.secondsLeft)} left`;
  return `${bar} ${percent.toFixed(1).padStart(5)} %  ${amount}${speed}${left}`;
}


function duration(seconds: number): string {
  const whole = Math.ceil(seconds);
  const hours = Math.floor(whole / 3600);
  const minutes = Math.floor((whole % 3600) / 60);
  const rest = String(whole % 60).padStart(2, '0');
  return hours > 0 ? `${hours}:${String(minutes).padStart(2, '0')}:${rest}` : `${minutes}:${rest}`;
}
