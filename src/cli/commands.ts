import { createInterface } from 'node:readline/promises';
import type { EventPayload, ProcedureInput, ProcedureName, ProcedureOutput } from '../shared/contract';
import { BurrowError } from '../shared/errors';
import type { Assistant } from '../core/assistant';

export interface CliContext {
  assistant: Assistant;
  json: boolean;
  model: string | undefined;
  stdout: NodeJS.WritableStream;
  stderr: NodeJS.WritableStream;
  /**
   * Aborts when whoever reads stdout went away (`burrow ask … | head -3`): the answer is
   * cancelled, since nobody will read it, and the command ends quietly.
   */
  outputClosed?: AbortSignal;
}

/** Calls a procedure through the same router the app uses; an error value becomes a thrown BurrowError. */
async function call<K extends ProcedureName>(context: CliContext, name: K, input: ProcedureInput<K>): Promise<ProcedureOutput<K>> {
  const result = await context.assistant.router.call(name, input);
  if (!result.ok) throw new BurrowError(result.error.code as BurrowError['code'], result.error.message);
  return result.value as ProcedureOutput<K>;
}

function printJson(context: CliContext, event: string, payload: unknown): void {
  context.stdout.write(`${JSON.stringify({ event, ...(payload as object) })}\n`);
}

async function prepareModel(context: CliContext): Promise<void> {
  if (context.model === undefined) return; // the last used model loads on the first message
  const status = await call(context, 'models.load', { path: context.model });
  if (context.json) printJson(context, 'engine.state', status);
}

/** Sends one message and streams its answer. Resolves with the end event. */
async function streamAnswer(context: CliContext, conversationId: string, text: string, signal?: AbortSignal): Promise<EventPayload<'generation.end'>> {
  let generationId: string | undefined;
  const early: Array<[string, unknown]> = [];
  const ended = new Promise<EventPayload<'generation.end'>>((resolve) => {
    const unsubscribe = context.assistant.subscribe((name, payload) => {
      if (generationId === undefined) return void early.push([name, payload]);
      handle(name, payload);
    });
    const handle = (name: string, payload: unknown): void => {
      if (name === 'generation.delta') {
        const delta = payload as EventPayload<'generation.delta'>;
        if (delta.generationId !== generationId) return;
        if (context.json) printJson(context, name, delta);
        else context.stdout.write(delta.text);
      } else if (name === 'generation.end') {
        const end = payload as EventPayload<'generation.end'>;
        if (end.generationId !== generationId) return;
        if (context.json) printJson(context, name, end);
        unsubscribe();
        resolve(end);
      }
    };
    void call(context, 'chat.send', { conversationId, text }).then((sent) => {
      generationId = sent.generationId;
      signal?.addEventListener('abort', () => void call(context, 'chat.cancel', { generationId: sent.generationId }), { once: true });
      for (const [name, payload] of early.splice(0)) handle(name, payload);
    }, (error: unknown) => {
      unsubscribe();
      resolve({ generationId: 'none', conversationId, messageId: 'none', reason: 'error', error: { code: error instanceof BurrowError ? error.code : 'internal', message: (error as Error).message } });
    });
  });
  const end = await ended;
  if (!context.json) context.stdout.write('\n');
  if (end.reason === 'error') throw new BurrowError((end.error?.code ?? 'engine_error') as BurrowError['code'], end.error?.message ?? 'The answer failed.');
  return end;
}

export async function askOnce(context: CliContext, prompt: string): Promise<number> {
  await prepareModel(context);
  const conversation = await call(context, 'conversations.create', {});
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
  await prepareModel(context);
  const conversation = await call(context, 'conversations.create', {});
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
  const conversations = await call(context, 'conversations.list', {});
  if (context.json) {
    context.stdout.write(`${JSON.stringify(conversations)}\n`);
  } else {
    for (const conversation of conversations) {
      context.stdout.write(`${new Date(conversation.updatedAt).toISOString().slice(0, 16).replace('T', ' ')}  ${conversation.title}  (${conversation.messageCount} messages)\n`);
    }
    if (conversations.length === 0) context.stdout.write('No conversations yet.\n');
  }
  return 0;
}
