/**
 * The process the kill test kills: the real core (store, chat service, engine) in two lanes at
 * once, as a user in the app would: a chat lane that sends, regenerates and edits with answers
 * streaming for a second or more, and a housekeeping lane that deletes conversations and
 * imports archives meanwhile. It prints one JSON line per thing it has SEEN SAVED (read back
 * from the database after the write returned), which is what a UI would have shown as saved:
 *
 *   {"phase":"opening"}                       about to open (and maybe migrate) the database
 *   {"phase":"ready"}                         opened; the lanes start
 *   {"phase":"working"}                       the model is loaded: answers stream from now on
 *   {"saved":ID,"conversation":ID,"length":N,"status":S}
 *   {"deleting":ID,"title":T,"messages":N} / {"deleted":ID}
 *   {"importing":BATCH,"conversations":N} / {"imported":BATCH}
 *   {"engine":LINE}                           the engine restored, re-evaluated or saved a conversation's state
 *   {"engineStopped":MESSAGE}                 the engine process died on its own (a state file crashed it?)
 *
 * The engine keeps one session in memory, so nearly every turn saves the conversation it
 * leaves (state-store.ts) and restores the one it goes to: kills land in saves, and the next
 * round's engine restores from whatever the kill left.
 *
 * Usage: tsx test/kill/kill-child.ts DATA_DIR SEED
 */
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { createAssistant } from '../../src/core/assistant';
import { spawnNodeEngine } from '../../src/core/process/node-spawn';
import { findProjectRoot } from '../../src/core/process/project-root';
import { connectInProcess } from '../../src/shared/in-process-client';
import type { ProcedureOutput } from '../../src/shared/contract';
import { writeGgufFile } from '../support/gguf-writer';
import { tinyModelSpec } from '../support/tiny-model';

export const IMPORT_CONVERSATIONS = 12;
export const IMPORT_MESSAGES = 8;

/**
 * The streaming test model without a chat template: node-llama-cpp then picks its chat format
 * from the architecture at once, instead of test-rendering the template (seconds on a busy
 * machine, paid again in every round since every round starts a new engine).
 */
export function killTestModelPath(): string {
  const dir = join(findProjectRoot(import.meta.url), 'node_modules', '.cache', 'burrow-test');
  const path = join(dir, 'kill-test-model-v1.gguf');
  if (!existsSync(path)) {
    mkdirSync(dir, { recursive: true });
    const spec = tinyModelSpec({ layers: 4, dims: 256, heads: 8, feedForward: 512, name: 'Burrow kill-test model' });
    const { 'tokenizer.chat_template': _template, ...metadata } = spec.metadata;
    writeGgufFile(path, { ...spec, metadata });
  }
  return path;
}

/** The archive a batch imports: titles carry the batch, so the parent can count them. */
export function importArchive(batch: string): string {
  const conversations = Array.from({ length: IMPORT_CONVERSATIONS }, (_, c) => ({
    id: `c${c}`,
    title: `import-${batch}-${c}`,
    createdAt: 1000,
    updatedAt: 2000,
    pinned: c === 0,
    settings: { systemPrompt: null, temperature: null, topP: null, maxTokens: null },
    activeLeafId: `m${IMPORT_MESSAGES - 1}`,
    messages: Array.from({ length: IMPORT_MESSAGES }, (_, m) => ({
      id: `m${m}`,
      parentId: m === 0 ? null : `m${m - 1}`,
      role: m % 2 === 0 ? 'user' : 'assistant',
      content: `imported ${batch} ${c} ${m} ${'the rabbit in the warm burrow '.repeat(20)}`,
      status: 'complete',
      error: null,
      createdAt: 1000 + m,
    })),
  }));
  return JSON.stringify({ format: 'burrow-archive', version: 1, exportedAt: new Date(0).toISOString(), conversations });
}

function print(line: object): void {
  process.stdout.write(`${JSON.stringify(line)}\n`);
}

async function main(): Promise<void> {
  const [dataDir, seedText] = process.argv.slice(2);
  if (dataDir === undefined) throw new Error('usage: kill-child.ts DATA_DIR SEED');
  let seed = Number(seedText ?? '1') >>> 0;
  const random = (): number => {
    seed = (seed + 0x6d2b79f5) >>> 0;
    let t = seed;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const model = killTestModelPath();

  print({ phase: 'opening' });
  const assistant = createAssistant({
    dataDir,
    spawnEngine: spawnNodeEngine(),
    // Answers of a second or more, so the once-a-second save happens mid-stream.
    engineSettings: { maxTokens: 600, seed, gpu: false, threads: 1, maxSessions: 1 },
    onEngineLog: (level, message) => {
      if (level === 'debug' && /^(restored|re-evaluating|saved the state|could not save)/.test(message)) print({ engine: message });
    },
    grantedModels: [model],
    autoLoadLastModel: false,
    pickModelFile: () => Promise.resolve(model),
  });
  print({ phase: 'ready' });
  assistant.subscribe((name, payload) => {
    if (name === 'engine.state' && payload.state === 'stopped' && payload.error !== null) print({ engineStopped: payload.error.message });
  });
  const { conversations } = assistant;
  /** Conversations a lane is working on: the other lane leaves them alone. */
  const locked = new Set<string>();

  const { call } = connectInProcess(assistant);
  const reportSaved = (messageId: string): void => {
    const message = conversations.getMessage(messageId);
    print({ saved: message.id, conversation: message.conversationId, length: message.content.length, status: message.status });
  };
  const unlockedConversation = (): string | undefined => {
    const free = conversations.list().filter((conversation) => !locked.has(conversation.id));
    return free[Math.floor(random() * free.length)]?.id;
  };

  /** Streams one answer, reporting what the database holds as it goes. */
  const stream = async (start: () => Promise<ProcedureOutput<'chat.send'>>): Promise<void> => {
    let generationId: string | null = null;
    let messageId: string | null = null;
    let lastCheck = 0;
    let unsubscribe = (): void => undefined;
    const ended = new Promise<void>((resolve) => {
      unsubscribe = assistant.subscribe((name, payload) => {
        if (name === 'generation.delta' && messageId !== null && Date.now() - lastCheck > 100) {
          lastCheck = Date.now();
          reportSaved(messageId);
        }
        if (name === 'generation.end' && payload.generationId === generationId) resolve();
      });
    });
    try {
      const value = await start();
      generationId = value.generationId;
      messageId = value.assistantMessage.id;
      reportSaved(value.userMessage.id);
      reportSaved(value.assistantMessage.id);
      await ended;
      reportSaved(value.assistantMessage.id);
    } finally {
      unsubscribe();
    }
  };

  // After a crash a user goes back to what they were writing in: the first turns reopen the two
  // conversations answered last (the one a save may have been cut short for, and the one after it).
  const reopen = conversations
    .list()
    .sort((a, b) => b.updatedAt - a.updatedAt)
    .slice(0, 2)
    .map((conversation) => conversation.id);
  const reopened = (): string | undefined => {
    const id = reopen.shift();
    return id !== undefined && !locked.has(id) && conversations.list().some((conversation) => conversation.id === id) ? id : undefined;
  };

  const chatLane = async (): Promise<void> => {
    await call('models.load', { path: model });
    print({ phase: 'working' });
    for (let step = 0; ; step++) {
      const roll = random();
      const existing = reopened() ?? (random() < 0.7 ? unlockedConversation() : undefined);
      const id = existing ?? (await call('conversations.create', {})).id;
      locked.add(id);
      try {
        const last = conversations.get(id).messages.at(-1);
        const firstQuestion = conversations.get(id).messages.find((message) => message.role === 'user');
        if (roll < 0.15 && last?.role === 'assistant') await stream(() => call('chat.regenerate', { messageId: last.id }));
        else if (roll < 0.25 && firstQuestion !== undefined) await stream(() => call('chat.edit', { messageId: firstQuestion.id, text: `edited ${step} ${firstQuestion.content.slice(0, 200)}` }));
        else await stream(() => call('chat.send', { conversationId: id, text: `question ${step} about the rabbit ${'and the quiet field '.repeat(Math.floor(random() * 10))}` }));
      } finally {
        locked.delete(id);
      }
    }
  };

  const housekeepingLane = async (): Promise<void> => {
    for (let step = 0; ; step++) {
      await new Promise((resolve) => setTimeout(resolve, 100 + random() * 300));
      const id = unlockedConversation();
      if (random() < 0.75 && id !== undefined && conversations.list().length > 3) {
        locked.add(id);
        try {
          // Counted right before the call: the delete itself runs in the same tick.
          const { conversation } = conversations.get(id);
          print({ deleting: id, title: conversation.title, messages: conversation.messageCount });
          await call('conversations.delete', { id });
          print({ deleted: id });
        } finally {
          locked.delete(id);
        }
      } else {
        const batch = `${process.pid}-${step}`;
        print({ importing: batch, conversations: IMPORT_CONVERSATIONS });
        await call('history.import', { content: importArchive(batch) });
        print({ imported: batch });
      }
    }
  };

  await Promise.all([chatLane(), housekeepingLane()]);
}

// Only when run as a script: the parent imports the constants above.
if (process.argv[1]?.endsWith('kill-child.ts')) {
  main().catch((error: unknown) => {
    process.stderr.write(`kill-child: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    process.exit(1);
  });
}
