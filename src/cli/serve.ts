/**
 * `burrow serve [--port N] [--host ADDR] [--model FILE.gguf] [--api-key KEY]`: the local
 * OpenAI-compatible API, headless, on the same core and data folder as the app. The first line
 * printed is the base URL and the key; each request follows as one line. Ctrl-C or SIGTERM
 * stops it cleanly. Exit 0 when stopped, 1 when it cannot start, 2 for a usage error.
 */
import { parseArgs } from 'node:util';
import { ListenHost, Port } from '../shared/contract';
import { ApiKey } from '../core/api/api-settings';
import { isLoopback } from '../core/api/security';
import { startCliCore } from './core';

export const SERVE_USAGE = `  burrow serve [--port N] [--host ADDR] [--model FILE.gguf] [--api-key KEY]
                                                     the OpenAI-compatible API for editors and scripts
                                                     (127.0.0.1:1337 and the key from Settings → Local API
                                                     unless given; BURROW_API_KEY works too)`;

const USAGE = `Usage:\n${SERVE_USAGE}`;

export interface ServeIo {
  stdout: NodeJS.WritableStream;
  stderr: NodeJS.WritableStream;
  env: NodeJS.ProcessEnv;
}

interface ServeChoices {
  port?: number;
  host?: string;
  key?: string;
  model?: string;
  threads?: string;
}

/** The options, checked; a string is the usage error to print. */
function readChoices(argv: string[], env: NodeJS.ProcessEnv): ServeChoices | string {
  let values;
  try {
    ({ values } = parseArgs({
      args: argv,
      options: { port: { type: 'string' }, host: { type: 'string' }, model: { type: 'string' }, 'api-key': { type: 'string' }, threads: { type: 'string' } },
    }));
  } catch (error) {
    return (error as Error).message;
  }
  const choices: ServeChoices = { model: values.model, threads: values.threads };
  if (values.port !== undefined) {
    const port = Port.safeParse(Number(values.port));
    if (!port.success || !/^\d+$/.test(values.port)) return `--port must be a number from 1 to 65535, not "${values.port}".`;
    choices.port = port.data;
  }
  if (values.host !== undefined) {
    if (!ListenHost.safeParse(values.host).success) return `--host must be an IP address of this computer (such as 127.0.0.1 or 0.0.0.0), not "${values.host}".`;
    choices.host = values.host;
  }
  const key = values['api-key'] ?? (env.BURROW_API_KEY || undefined);
  if (key !== undefined) {
    if (!ApiKey.safeParse(key).success) return 'The API key must be 8 to 200 printable characters without spaces.';
    choices.key = key;
  }
  return choices;
}

function untilStopped(): Promise<string> {
  return new Promise((resolve) => {
    const stop = (signal: string): void => {
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
      resolve(signal);
    };
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
  });
}

export async function serveCommand(argv: string[], io: ServeIo = { stdout: process.stdout, stderr: process.stderr, env: process.env }): Promise<number> {
  const choices = readChoices(argv, io.env);
  if (typeof choices === 'string') {
    io.stderr.write(`burrow serve: ${choices}\n\n${USAGE}\n`);
    return 2;
  }
  const stopped = untilStopped();
  const { assistant, client } = startCliCore({ model: choices.model, threads: choices.threads, takesModel: true });
  try {
    if (choices.model !== undefined) await client.call('models.load', { path: choices.model });
    const status = await assistant.api.serve({ host: choices.host, port: choices.port, key: choices.key });
    if (status.state !== 'on' || status.url === null) {
      const hint = status.freePort === null ? '' : ` Try: burrow serve --port ${status.freePort}`;
      io.stderr.write(`burrow serve: ${status.error?.message ?? 'the server did not start.'}${hint}\n`);
      return 1;
    }
    io.stdout.write(`Burrow's OpenAI-compatible API: ${status.url}  key: ${status.key}\n`);
    if (!isLoopback(status.host)) {
      io.stderr.write(`Warning: listening on ${status.host}, so other machines that can reach this one can use your model with this key.\n`);
    }
    client.on('api.request', (entry) => {
      const tokens = entry.tokens === null ? '' : ` ${entry.tokens} tokens`;
      io.stdout.write(`${new Date(entry.at).toISOString()} ${entry.status} ${entry.method} ${entry.endpoint}${tokens} ${Math.round(entry.durationMs)} ms  ${entry.client}\n`);
    });
    io.stdout.write('Press Ctrl-C to stop.\n');
    await stopped;
    return 0;
  } finally {
    await assistant.dispose();
  }
}
