/**
 * `burrow`: the core from a terminal.
 *
 *   burrow ask [--model FILE] [--json] "prompt"    stream one answer to stdout
 *   burrow chat [--model FILE] [--json]            interactive loop (/exit to quit)
 *   burrow list [--json]                           conversations, newest first
 *   burrow serve [--port N] [--host ADDR]          the local OpenAI-compatible API
 *
 * Same core and data folder as the app (BURROW_DATA_DIR overrides). Errors go to stderr
 * with a non-zero exit code.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { findProjectRoot } from '../core/process/project-root';
import { resolveDataDir } from '../core/store/paths';
import { startCliCore } from './core';
import { askOnce, chatLoop, listConversations, type CliContext } from './commands';
import { HISTORY_USAGE, isHistoryCommand, runHistoryCommand } from './history-commands';
import { modelsPull } from './models-pull';
import { summarizeCommand } from './summarize';
import { modelsValidate } from './models-validate';
import { modelsAdapters, parseLoraArgs } from './adapters';
import type { AdapterChoice } from '../shared/contract';
import { modelsCatalog, modelsList } from './models-list';
import { SERVE_USAGE, serveCommand } from './serve';

const USAGE = `Usage:
  burrow ask [--model FILE.gguf] [--lora ADAPTER.gguf[:SCALE]]... [--json] "prompt"   stream one answer
  burrow chat [--model FILE.gguf] [--json]           chat in the terminal (/exit to quit)
  burrow list [--json]                               list conversations
  burrow models pull ID|URL [--sha256 HEX] [--json]  download a model (catalog id or .gguf address)
  burrow summarize FILE [--style key-points|brief|outline] [--focus TEXT] [--model FILE.gguf] [--json]
                                                     summarise a whole document, with references
  burrow models validate FILE.gguf [--model BASE.gguf] [--json]   check a model or adapter file without loading it
  burrow models adapters [MODEL.gguf] [--json]      the LoRA adapters added to a model (default: the default model)
  burrow models list [--json]                        the models on this computer
  burrow models catalog [--json]                     the models Burrow can download, by id
${SERVE_USAGE}
${HISTORY_USAGE}

Options:
  --model FILE   a .gguf model file (default: the model you used last)
  --lora FILE[:SCALE]  a LoRA adapter for the model (repeatable; scale 0–2, default 1); it is added to the model's adapters
  --threads N    CPU threads for the model (default: the cores Burrow may use; 1 for tiny models)
  --json         print one JSON event per line instead of text
  -h, --help     show this help
  -v, --version  print Burrow's version

Data folder: ${resolveDataDir()}  (set BURROW_DATA_DIR to use another)`;

/**
 * Whoever read our output went away (`burrow ask … | head -3`): writing on would raise EPIPE,
 * and unhandled, a stack trace. Instead the answer is cancelled and Burrow ends quietly, with
 * exit code 0, like other command-line tools.
 */
const outputClosed = new AbortController();
process.stdout.on('error', (error: NodeJS.ErrnoException) => {
  if (error.code === 'EPIPE' || error.code === 'ERR_STREAM_DESTROYED') outputClosed.abort();
  else process.stderr.write(`burrow: cannot write the output: ${error.message}\n`);
});

function version(): string {
  return (JSON.parse(readFileSync(join(findProjectRoot(), 'package.json'), 'utf8')) as { version: string }).version;
}

async function main(argv: string[]): Promise<number> {
  if (argv[0] === '--version' || argv[0] === '-v' || argv[0] === 'version') {
    process.stdout.write(`burrow ${version()}\n`);
    return 0;
  }
  if (argv[0] === 'models' && (argv[1] === 'list' || argv[1] === 'catalog')) {
    const { assistant, client } = startCliCore();
    const io = { json: argv.slice(2).includes('--json'), stdout: process.stdout };
    try {
      return argv[1] === 'list' ? await modelsList(client, io) : await modelsCatalog(client, io);
    } finally {
      await assistant.dispose();
    }
  }
  if (argv[0] === 'models' && argv[1] === 'pull') return modelsPull(argv.slice(2));
  if (argv[0] === 'summarize') return summarizeCommand(argv.slice(1));
  if (argv[0] === 'serve') return serveCommand(argv.slice(1));
  if (isHistoryCommand(argv[0])) return runHistoryCommand(argv[0], argv.slice(1));
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      allowPositionals: true,
      options: { model: { type: 'string' }, lora: { type: 'string', multiple: true }, threads: { type: 'string' }, json: { type: 'boolean', default: false }, help: { type: 'boolean', short: 'h', default: false } },
    });
  } catch (error) {
    process.stderr.write(`burrow: ${(error as Error).message}\n\n${USAGE}\n`);
    return 2;
  }
  const { values, positionals } = parsed;
  const [command, ...rest] = positionals;
  if (values.help || command === undefined || command === 'help') {
    process.stdout.write(`${USAGE}\n`);
    return command === undefined && !values.help ? 2 : 0;
  }
  if (command === 'models' && rest[0] === 'validate') return modelsValidate(rest.slice(1), { json: values.json, stdout: process.stdout, stderr: process.stderr, ...(values.model === undefined ? {} : { model: values.model }) });
  if (command === 'models' && rest[0] === 'adapters') return adaptersCommand(rest.slice(1), values.model, values.json);
  const adapterChoices = loraChoices(values.lora, command);
  if (adapterChoices === null) return 2;
  if (command !== 'ask' && command !== 'chat' && command !== 'list') {
    process.stderr.write(`burrow: unknown command "${command}"\n\n${USAGE}\n`);
    return 2;
  }

  const { assistant, client } = startCliCore({ model: values.model, threads: values.threads, takesModel: true });
  const context: CliContext = {
    client,
    json: values.json,
    model: values.model,
    stdout: process.stdout,
    stderr: process.stderr,
    outputClosed: outputClosed.signal,
    ...(adapterChoices.length === 0 ? {} : { adapters: { assistant, choices: adapterChoices } }),
  };
  try {
    if (command === 'list') return listConversations(context);
    if (command === 'ask') {
      const prompt = rest.join(' ').trim();
      if (prompt === '') {
        process.stderr.write('burrow ask: give a prompt, for example: burrow ask "What is a burrow?"\n');
        return 2;
      }
      return await askOnce(context, prompt);
    }
    return await chatLoop(context);
  } finally {
    await assistant.dispose();
  }
}

/** `burrow models adapters [MODEL]`. */
async function adaptersCommand(args: readonly string[], modelOption: string | undefined, json: boolean): Promise<number> {
  if (args.length > 1) {
    process.stderr.write('Usage: burrow models adapters [MODEL.gguf] [--json]\n');
    return 2;
  }
  const model = args[0] ?? modelOption;
  const { assistant, client } = startCliCore(model === undefined ? {} : { model });
  try {
    return await modelsAdapters(client, model, { json, stdout: process.stdout });
  } finally {
    await assistant.dispose();
  }
}

/** The --lora choices, or null (after saying why) for a usage error. */
function loraChoices(args: string[] | undefined, command: string): AdapterChoice[] | null {
  try {
    const choices = parseLoraArgs(args);
    if (choices.length > 0 && command !== 'ask' && command !== 'chat') throw new Error('--lora works with ask and chat.');
    return choices;
  } catch (error) {
    process.stderr.write(`burrow: ${(error as Error).message}\n`);
    return null;
  }
}

main(process.argv.slice(2)).then(
  (code) => process.exit(outputClosed.signal.aborted ? 0 : code),
  (error: unknown) => {
    if (outputClosed.signal.aborted) process.exit(0);
    process.stderr.write(`burrow: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exit(1);
  },
);
