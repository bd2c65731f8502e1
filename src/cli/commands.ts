import { createInterface } from 'node:readline/promises';
import type { Client, GenerationEnd } from '../shared/client';
import { BurrowError } from '../shared/errors';
import type { Assistant } from '../core/assistant';
import type { AdapterChoice } from '../shared/contract';
import { applyCliAdapters } from './adapters';

export interface CliContext {
  client: Client;
  json: boolean;
  model: string | undefined;
  stdout: NodeJS.WritableStream;
  stderr: NodeJS.WritableStream;
  /**
   * Aborts when whoever reads stdout went away (`burrow ask … | head -3`): the answer is
   * cancelled, since nobody will read it, and the command ends quietly.
   */
  outputClosed?: AbortSignal;
  /** --lora FILE[:SCALE]: adapters for the new conversation (the assistant grants the files). */
  adapters?: { assistant: Assistant; choices: readonly AdapterChoice[] };
}

function printJson(context: CliContext, event: string, payload: unknown): void {
  context.stdout.write(`${JSON.stringify({ event, ...(payload as object) })}\n`);
}

/** What a terminal user can do when Burrow has no model to answer with. */
export const NO_MODEL_HELP =
  'No model to answer with. Pass one with --model PATH.gguf, see the models on this computer with `burrow models list`, or download one with `burrow models pull ID` (`burrow models catalog` lists them).';

/** Makes sure there is a model to answer with; resolves with its path. */
async function prepareModel(context: CliContext): Promise<string> {
  if (context.model === undefined) {
    // The default (last used) model loads on the first message; without one, say what to do
    // before a conversation is created for nothing.
    const { models } = await context.client.call('models.list', {});
    const ready = models.find((model) => model.isLoaded) ?? models.find((model) => model.isDefault && model.problem === null);
    if (ready !== undefined) return ready.path;
    const gone = models.find((model) => model.isDefault && model.fileMissing);
    throw new BurrowError('no_model', gone?.problem ? `${gone.problem} ${NO_MODEL_HELP}` : NO_MODEL_HELP);
  }
  const status = await context.client.call('models.load', { path: context.model });
  if (context.json) printJson(context, 'engine.state', status);
  return status.model?.path ?? context.model;
}

/** A new conversation, with the --lora adapters when given. */
async function newConversation(context: CliContext, modelPath: string): Promise<string> {
  const conversation = await context.client.call('conversations.create', {});
  if (context.adapters !== undefined) await applyCliAdapters(context.adapters.assistant, context.client, modelPath, conversation.id, context.adapters.choices);
  return conversation.id;
}

/** What the app marks under an answer cut off at its limit, with where it can go on. */
function tokenLimitNote(limit: number): string {
  return `[Stopped at the ${limit.toLocaleString('en-US')}-token limit. The answer length is in Burrow's Settings; Continue in the app goes on from here.]`;
}

/** Sends one message and streams its answer. Resolves with the end event. */
async function streamAnswer(context: CliContext, conversationId: string, text: string, signal?: AbortSignal): Promise<GenerationEnd> {
  const { client } = context;
  let end: GenerationEnd;
  try {
    const sent = await client.call('chat.send', { conversationId, text });
    signal?.addEventListener('abort', () => void client.call('chat.cancel', { generationId: sent.generationId }), { once: true });
    let written = 0;
    end = await client.followGeneration(sent.generationId, {
      onDelta: (delta, answer) => {
        if (context.json) printJson(context, 'generation.delta', delta);
        else context.stdout.write(answer.slice(written));
        written = answer.length;
      },
    });
    if (context.json) printJson(context, 'generation.end', end);
  } catch (error) {
    end = { generationId: 'none', conversationId, messageId: 'none', reason: 'error', error: { code: error instanceof BurrowError ? error.code : 'internal', message: (error as Error).message } };
  }
  if (!context.json) context.stdout.write('\n');
  // On stderr, so a piped answer stays only the answer.
  if (!context.json && end.reason === 'done' && end.tokenLimit !== undefined) context.stderr.write(`${tokenLimitNote(end.tokenLimit)}\n`);
  if (end.reason === 'error' && end.error?.code === 'no_model') throw new BurrowError('no_model', NO_MODEL_HELP);
  if (end.reason === 'error') throw new BurrowError((end.error?.code ?? 'engine_error') as BurrowError['code'], end.error?.message ?? 'The answer failed.');
  return end;
}

export async function askOnce(context: CliContext, prompt: string): Promise<number> {
  const conversation = { id: await newConversation(context, await prepareModel(context)) };
  const abort = new AbortController();
  const onSigint = (): void => abort.abort();
  process.once('SIGINT', onSigint);
  const onOutputClosed = (): void => abort.abort();
  context.outputClosed?.addEventListener('abort', onOutputClosed, { once: true });
  try {
    const end = await streamAnswer(context, conversation.id, prompt, abort.signal);
    if (context.outputClosed?.aborted === true) return 0;
    return end.reason === 'cancelled' ? 130 : 0;
  } finally {
    process.removeListener('SIGINT', onSigint);
    context.outputClosed?.removeEventListener('abort', onOutputClosed);
  }
}

export async function chatLoop(context: CliContext): Promise<number> {
  const conversation = { id: await newConversation(context, await prepareModel(context)) };
  const terminal = createInterface({ input: process.stdin, output: process.stdout, terminal: process.stdin.isTTY });
  if (!context.json) context.stdout.write('Chatting with Burrow. Type /exit or press Ctrl+D to quit; Ctrl+C stops an answer.\n');
  let answering: AbortController | undefined;
  terminal.on('SIGINT', () => {
    if (answering) answering.abort();
    else terminal.close();
  });
  context.outputClosed?.addEventListener(
    'abort',
    () => {
      answering?.abort();
      terminal.close();
    },
    { once: true },
  );
  terminal.setPrompt(context.json ? '' : '\n> ');
  terminal.prompt();
  try {
    // The async iterator buffers lines that arrive while an answer streams (piped input).
    for await (const raw of terminal) {
      const line = raw.trim();
      if (line === '/exit' || line === '/quit') break;
      if (line !== '') {
        answering = new AbortController();
        try {
          await streamAnswer(context, conversation.id, line, answering.signal);
        } catch (error) {
          context.stderr.write(`burrow: ${(error as Error).message}\n`);
        } finally {
          answering = undefined;
        }
      }
      terminal.prompt();
    }
  } finally {
    terminal.close();
  }
  return 0;
}

export async function listConversations(context: CliContext): Promise<number> {
  const conversations = await context.client.call('conversations.list', {});
  if (context.json) {
    context.stdout.write(`${JSON.stringify(conversations)}\n`);
  } else {
    for (const conversation of conversations) {
      context.stdout.write(`${new Date(conversation.updatedAt).toISOString().slice(0, 16).replace('T', ' ')}  ${conversation.id}  ${conversation.title}  (${conversation.messageCount} messages)\n`);
    }
    if (conversations.length === 0) context.stdout.write('No conversations yet.\n');
    else context.stdout.write('\nExport one with: burrow export --conversation ID\n');
  }
  return 0;
}
