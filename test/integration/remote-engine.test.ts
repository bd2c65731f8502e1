/**
 * Settings → "Use a server": Burrow's remote engine pointed at an OpenAI-compatible server on
 * loopback (test/support/openai-server.ts plays the other machine), through the real router,
 * real SQLite and the real egress gate. What is checked: answers stream from the server and are
 * saved; cancel aborts the request; every request is in the network log; offline mode blocks
 * with a clear message and sends nothing; a server that drops, refuses or sends garbage leaves
 * the partial answer kept and marked; the status windows follow (banner) never holds the key.
 * With BURROW_LLAMA_SERVER=path, the same streaming runs against a real llama-server.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, realpathSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createAssistant, type Assistant } from '../../src/core/assistant';
import { EgressGate } from '../../src/core/net/egress';
import { findProjectRoot } from '../../src/core/process/project-root';
import { spawnNodeDocumentWorker, spawnNodeEngine } from '../../src/core/process/node-spawn';
import type { Client } from '../../src/shared/client';
import type { EventName, EventPayload, Message } from '../../src/shared/contract';
import { clientOf } from '../support/client';
import { startOpenAiServer, type OpenAiServer } from '../support/openai-server';
import { pdf, sentences } from '../support/sample-documents';
import { tinyModelPath } from '../support/tiny-model';

const KEY = 'sk-loopback-secret-123';
let dataDir: string;
let assistant: Assistant;
let server: OpenAiServer;
let events: Array<{ name: EventName; payload: unknown }>;

function start(): Assistant {
  const created = createAssistant({ dataDir, spawnEngine: spawnNodeEngine(), spawnDocumentWorker: spawnNodeDocumentWorker({ fromSource: true }), engineSettings: { maxTokens: 64, seed: 1 }, pickModelFile: () => Promise.resolve(tinyModelPath()), autoLoadLastModel: false });
  created.subscribe((name, payload) => events.push({ name, payload }));
  return created;
}

const call: Client['call'] = (name, input) => clientOf(assistant).call(name, input);

function waitForEnd(generationId: string): Promise<EventPayload<'generation.end'>> {
  return new Promise((resolve) => {
    const found = (): EventPayload<'generation.end'> | undefined =>
      events.find((event) => event.name === 'generation.end' && (event.payload as EventPayload<'generation.end'>).generationId === generationId)?.payload as EventPayload<'generation.end'> | undefined;
    const already = found();
    if (already) return resolve(already);
    const unsubscribe = assistant.subscribe(() => {
      const end = found();
      if (end) {
        unsubscribe();
        resolve(end);
      }
    });
  });
}

function deltaText(generationId: string): string {
  return events
    .filter((event) => event.name === 'generation.delta')
    .map((event) => event.payload as EventPayload<'generation.delta'>)
    .filter((delta) => delta.generationId === generationId)
    .map((delta) => delta.text)
    .join('');
}

async function answerOf(messageId: string, conversationId: string): Promise<Message> {
  const { messages } = await call('conversations.get', { id: conversationId });
  const message = messages.find((candidate) => candidate.id === messageId);
  if (message === undefined) throw new Error('answer not saved');
  return message;
}

async function ask(text: string): Promise<{ end: EventPayload<'generation.end'>; answer: Message; streamed: string }> {
  const conversation = await call('conversations.create', {});
  const started = await call('chat.send', { conversationId: conversation.id, text });
  const end = await waitForEnd(started.generationId);
  return { end, answer: await answerOf(started.assistantMessage.id, conversation.id), streamed: deltaText(started.generationId) };
}

async function turnOn(model = 'loopback-model'): Promise<void> {
  await call('remote.configure', { url: server.baseUrl, apiKey: KEY, model, enabled: true });
}


beforeEach(async () => {
  dataDir = mkdtempSync(join(tmpdir(), 'burrow-remote-'));
  events = [];
  server = await startOpenAiServer({ apiKey: KEY, models: ['loopback-model', 'other-model'], modelFields: { max_model_len: 8192 } });
  assistant = start();
});

afterEach(async () => {
  await assistant.dispose();
  await server.close();
  rmSync(dataDir, { recursive: true, force: true });
});

describe('remote engine settings', () => {
  it('is off by default, and Test lists the server’s models with the key, refusing without it', async () => {
    expect(await call('remote.status', {})).toEqual({ enabled: false, url: null, hasKey: false, model: null, error: null });
    await expect(call('remote.test', { url: server.baseUrl })).rejects.toMatchObject({ code: 'refused', message: expect.stringMatching(/refused the key \(401\)/) });
    expect(await call('remote.test', { url: server.baseUrl, apiKey: KEY })).toEqual({ models: ['loopback-model', 'other-model'] });
    expect(server.requests.at(-1)).toMatchObject({ method: 'GET', path: '/v1/models', authorization: `Bearer ${KEY}` });
    // Nothing is saved by Test.
    expect((await call('remote.status', {})).enabled).toBe(false);
  });

  it('turns on only with a model the server has, keeps the key out of every status, and survives a restart', async () => {
    await expect(call('remote.configure', { url: server.baseUrl, apiKey: KEY, model: 'no-such-model', enabled: true })).rejects.toMatchObject({ code: 'not_found', message: expect.stringContaining('loopback-model') });
    expect((await call('remote.status', {})).enabled).toBe(false);

    const status = await call('remote.configure', { url: server.baseUrl, apiKey: KEY, model: 'loopback-model', enabled: true });
    expect(status).toEqual({ enabled: true, url: server.baseUrl, hasKey: true, model: 'loopback-model', error: null });
    const remoteEvents = events.filter((event) => event.name === 'remote.state');
    expect(remoteEvents.at(-1)?.payload).toEqual(status);
    expect(JSON.stringify(events)).not.toContain(KEY);
    // The engine's status names the server (the banner and the model picker follow it).
    expect((await call('engine.status', {})).model).toMatchObject({ name: `loopback-model on ${new URL(server.baseUrl).host}`, backend: 'remote', contextSize: 8192 });

    await assistant.dispose();
    assistant = start();
    expect(await call('remote.status', {})).toEqual(status);
    const { end, answer } = await ask('still there?');
    expect(end.reason).toBe('done');
    expect(answer.content).toBe('The loopback server heard: still there?. That is all it knows.');
  });

  it('drops the saved key when the address moves to another server without a new key', async () => {
    await turnOn();
    const other = await startOpenAiServer();
    try {
      const status = await call('remote.configure', { url: other.baseUrl, model: 'loopback-model' });
      expect(status).toMatchObject({ url: other.baseUrl, hasKey: false, enabled: true });
      expect(other.requests.every((request) => request.authorization === undefined)).toBe(true);
    } finally {
      await call('remote.configure', { enabled: false });
      await other.close();
    }
  });
});

describe('answers from the server', () => {
  it('streams an answer from the server, saves it, and logs the request in Network activity', async () => {
    await turnOn();
    const { end, answer, streamed } = await ask('What is a burrow?');
    expect(end).toMatchObject({ reason: 'done' });
    expect(answer).toMatchObject({ status: 'complete', error: null, content: 'The loopback server heard: What is a burrow?. That is all it knows.' });
    expect(streamed).toBe(answer.content);
    expect(end.stats).toMatchObject({ generatedTokens: 13, promptTokens: 10 });

    const chat = server.requests.find((request) => request.path === '/v1/chat/completions');
    expect(chat?.body).toMatchObject({ model: 'loopback-model', stream: true, max_tokens: 64, messages: [{ role: 'user', content: 'What is a burrow?' }] });
    expect(chat?.authorization).toBe(`Bearer ${KEY}`);
    // Only what the request needs leaves: no client or OS fingerprint headers.
    expect(chat?.headers.filter((name) => name.startsWith('x-stainless') || name.startsWith('openai-'))).toEqual([]);

    const log = await call('network.log', {});
    expect(log.filter((entry) => entry.reason === 'remote engine: chat')).toEqual([expect.objectContaining({ url: `${server.baseUrl}/chat/completions`, allowed: true })]);
    expect(log.some((entry) => entry.reason === 'remote engine: list models' && entry.allowed)).toBe(true);
    // The local engine was never started: nothing ran on this machine.
    expect(assistant.engine.pid).toBeUndefined();
  });

  it('answers the quick prompt from the server too, and measures against the server’s context', async () => {
    await turnOn();
    const started = await call('quick.ask', { conversationId: null, text: 'quick one' });
    const end = await waitForEnd(started.generationId);
    expect(end.reason).toBe('done');
    expect(deltaText(started.generationId)).toBe('The loopback server heard: quick one. That is all it knows.');
    const usage = await call('conversations.contextUsage', { id: started.userMessage.conversationId });
    expect(usage.contextSize).toBe(8192);
    expect(usage.usedTokens).toBeGreaterThan(0);
    // No tokenizer of the server's model here: the meter says its count is approximate.
    expect(usage.reason).toMatch(/^Approximate/);
  });

  it('summarises a document on the server, with no model on this computer', async () => {
    await turnOn();
    const path = join(dataDir, 'report.pdf');
    writeFileSync(path, pdf(Array.from({ length: 3 }, (_, page) => sentences(`page ${page + 1}`, 12, page + 1)), { title: 'Report' }));
    const added = await call('documents.add', { path: assistant.grantDocument(path) });
    const started = await call('documents.summarize', { documentId: added.id, style: 'brief' });
    const end = await new Promise<EventPayload<'document.summary'>>((resolve) => {
      const check = (): void => {
        const found = events.find((event) => event.name === 'document.summary' && (event.payload as EventPayload<'document.summary'>).summaryId === started.summaryId);
        if (found) resolve(found.payload as EventPayload<'document.summary'>);
      };
      assistant.subscribe(check);
      check();
    });
    expect(end).toMatchObject({ status: 'done', coverage: { complete: true } });
    const summaryCalls = server.requests.filter((request) => request.path === '/v1/chat/completions');
    expect(summaryCalls.length).toBeGreaterThan(0);
    expect((summaryCalls[0]?.body as { messages: { role: string }[] }).messages[0]?.role).toBe('system');
    expect(assistant.engine.pid).toBeUndefined();
  });

  it('cancel aborts the request to the server and keeps what was written', async () => {
    await turnOn();
    server.setChunkDelay(150);
    const conversation = await call('conversations.create', {});
    const started = await call('chat.send', { conversationId: conversation.id, text: 'a slow one' });
    await expect.poll(() => deltaText(started.generationId).length, { timeout: 5000 }).toBeGreaterThan(0);
    expect(await call('chat.cancel', { generationId: started.generationId })).toEqual({ cancelled: true });
    const end = await waitForEnd(started.generationId);
    expect(end.reason).toBe('cancelled');
    const answer = await answerOf(started.assistantMessage.id, conversation.id);
    expect(answer.status).toBe('cancelled');
    expect(answer.content.length).toBeGreaterThan(0);
    expect('The loopback server heard: a slow one. That is all it knows.'.startsWith(answer.content)).toBe(true);
    await expect.poll(() => server.abandoned, { timeout: 5000 }).toBe(1);
  });

  it('offline mode blocks the server with a message that says so, and sends nothing', async () => {
    await turnOn();
    const before = server.requests.length;
    await call('settings.set', { patch: { offlineMode: true } });
    expect((await call('remote.status', {})).error).toMatchObject({ code: 'refused', message: expect.stringMatching(/Offline mode is on/) });
    expect(events.filter((event) => event.name === 'remote.state').at(-1)?.payload).toMatchObject({ error: { code: 'refused' } });

    const { end, answer } = await ask('are you there?');
    expect(end.reason).toBe('error');
    expect(end.error?.message).toMatch(/^Offline mode is on, so nothing was sent to 127\.0\.0\.1:\d+\./);
    expect(answer).toMatchObject({ status: 'error', content: '' });
    await expect(call('remote.test', { url: server.baseUrl })).rejects.toMatchObject({ code: 'refused' });
    expect(server.requests.length).toBe(before);
    const blocked = (await call('network.log', {})).filter((entry) => !entry.allowed);
    expect(blocked.map((entry) => entry.reason)).toEqual(['remote engine: chat', 'remote engine: list models']);
    expect(blocked[0]?.blockedBecause).toBe('Offline mode is on.');

    await call('settings.set', { patch: { offlineMode: false } });
    expect((await call('remote.status', {})).error).toBeNull();
    expect((await ask('and now?')).end.reason).toBe('done');
  });
});

describe('the model on this computer while a server answers', () => {
  it('stays loaded, and generateLocal (the local API) answers from it without sending anything', async () => {
    await call('models.openLocal', {});
    const modelPath = realpathSync(tinyModelPath());
    await turnOn();
    expect(assistant.engine.status().model?.backend).toBe('remote');
    expect(assistant.engine.localStatus()).toMatchObject({ state: 'ready', model: { path: modelPath } });
    const before = server.requests.length;
    const result = await assistant.engine.generateLocal({ sessionKey: 'api', history: [], prompt: 'hello', options: { maxTokens: 8 }, signal: new AbortController().signal, onText: () => undefined });
    expect(result.reason).toBe('done');
    expect(result.stats.generatedTokens).toBeGreaterThan(0);
    expect(server.requests.length).toBe(before);
    // The context meter counts with the local tokenizer, against the server's context.
    const conversation = await call('conversations.create', {});
    expect(await call('conversations.contextUsage', { id: conversation.id })).toMatchObject({ contextSize: 8192, reason: expect.stringMatching(/^Approximate/) });

    await call('remote.configure', { enabled: false });
    expect(assistant.engine.status().model?.path).toBe(modelPath);
    expect(events.filter((event) => event.name === 'engine.state').at(-1)?.payload).toMatchObject({ model: { path: modelPath } });
  });
});

describe('a server that fails', () => {
  it('drops mid-answer: the partial answer is kept and marked, and the next one works', async () => {
    await turnOn();
    server.inject({ kind: 'drop', afterChunks: 3 });
    const { end, answer, streamed } = await ask('tell me more');
    expect(end.reason).toBe('error');
    expect(answer.status).toBe('error');
    expect(answer.content).toBe('The loopback server ');
    expect(streamed).toBe(answer.content);
    expect(answer.error).toMatch(/server at 127\.0\.0\.1:\d+/);
    expect((await call('remote.status', {})).error?.message).toBe(answer.error);

    expect((await ask('again')).answer.status).toBe('complete');
    expect((await call('remote.status', {})).error).toBeNull();
  });

  it('garbage mid-stream: the partial answer is kept with a clear message', async () => {
    await turnOn();
    server.inject({ kind: 'garbage', afterChunks: 2 });
    const { end, answer } = await ask('hm');
    expect(end.reason).toBe('error');
    expect(answer).toMatchObject({ status: 'error', content: 'The loopback ' });
    expect(answer.error).toMatch(/not an OpenAI-compatible answer|broke off/);
  });

  it.each([
    [401, /refused the key \(401\)/],
    [404, /404: the model or the address is wrong/],
    [500, /answered with an error \(500\)\. It said: “Refused with 500\.”/],
  ])('a refusal (%i) ends the answer with a clear message', async (status, message) => {
    await turnOn();
    server.inject({ kind: 'status', status });
    const { end, answer } = await ask('hello');
    expect(end.reason).toBe('error');
    expect(answer).toMatchObject({ status: 'error', content: '' });
    expect(answer.error).toMatch(message);
  });

  it('an HTML page instead of an event stream is reported, not shown as an answer', async () => {
    await turnOn();
    server.inject({ kind: 'html' });
    const { end, answer } = await ask('hello');
    expect(end.reason).toBe('error');
    expect(answer.content).toBe('');
    expect(answer.error).toMatch(/server at 127\.0\.0\.1:\d+/);
  });

  it('an unreachable server is reported by name', async () => {
    await turnOn();
    const port = new URL(server.baseUrl).port;
    await server.close();
    const { end } = await ask('anyone?');
    expect(end.error?.message).toMatch(new RegExp(`could not reach the server at 127\\.0\\.0\\.1:${port}`));
    server = await startOpenAiServer();
  });
});

describe('the egress gate and a server the user chose', () => {
  it('allows plain http:// only for the host the user configured', () => {
    const gate = new EgressGate();
    const url = new URL('http://gpu-box:8080/v1/chat/completions');
    expect(gate.check(url)).toMatchObject({ allowed: false });
    expect(gate.check(url, { userHost: 'gpu-box' })).toMatchObject({ allowed: false, because: expect.stringContaining('HTTPS') });
    expect(gate.check(url, { userHost: 'gpu-box', userHttp: true })).toEqual({ allowed: true });
    expect(gate.check(new URL('http://elsewhere:8080/'), { userHost: 'gpu-box', userHttp: true })).toMatchObject({ allowed: false });
    gate.offline = true;
    expect(gate.check(url, { userHost: 'gpu-box', userHttp: true })).toEqual({ allowed: false, because: 'Offline mode is on.' });
  });
});

const LLAMA_SERVER = process.env.BURROW_LLAMA_SERVER;

describe('against a real llama-server', () => {
  let child: ChildProcess | undefined;
  afterEach(() => {
    child?.kill();
  });

  it.skipIf(LLAMA_SERVER === undefined || LLAMA_SERVER === '')(
    'streams an answer from llama-server on the tiny model (runs only with BURROW_LLAMA_SERVER=path to a llama-server binary; skipped otherwise)',
    async () => {
      const port = await freePort();
      child = spawn(LLAMA_SERVER as string, ['-m', tinyModelPath(), '--host', '127.0.0.1', '--port', String(port), '-c', '512', '-n', '32'], { stdio: 'ignore' });
      const base = `http://127.0.0.1:${port}/v1`;
      await expect.poll(async () => (await fetch(`http://127.0.0.1:${port}/health`).catch(() => null))?.status, { timeout: 60_000, interval: 250 }).toBe(200);
      const { models } = await call('remote.test', { url: base });
      expect(models.length).toBeGreaterThan(0);
      await call('remote.configure', { url: base, model: models[0] as string, enabled: true });
      const { end, answer, streamed } = await ask('Hello');
      expect(end.reason).toBe('done');
      expect(answer.status).toBe('complete');
      expect(answer.content.length).toBeGreaterThan(0);
      expect(streamed).toBe(answer.content);
      expect((await call('network.log', {})).some((entry) => entry.reason === 'remote engine: chat' && entry.url === `${base}/chat/completions`)).toBe(true);
    },
    90_000,
  );
});

const SERVE_SOURCE = join(findProjectRoot(), 'src', 'cli', 'serve.ts');

describe('against burrow serve', () => {
  let child: ChildProcess | undefined;
  let serveDir: string | undefined;
  afterEach(() => {
    child?.kill();
    if (serveDir !== undefined) rmSync(serveDir, { recursive: true, force: true });
  });

  it.skipIf(!existsSync(SERVE_SOURCE))(
    'streams an answer from `burrow serve` on loopback, through the gate, and offline mode blocks it (skipped where src/cli/serve.ts is absent)',
    async () => {
      serveDir = mkdtempSync(join(tmpdir(), 'burrow-serve-remote-'));
      const port = await freePort();
      const key = 'sk-remote-engine-test';
      const started = spawn(process.execPath, ['--import', 'tsx', join(findProjectRoot(), 'src', 'cli', 'index.ts'), 'serve', '--port', String(port), '--model', tinyModelPath(), '--api-key', key], {
        cwd: findProjectRoot(),
        env: { ...process.env, BURROW_DATA_DIR: serveDir },
        stdio: ['ignore', 'pipe', 'ignore'],
      });
      child = started;
      const firstLine = await new Promise<string>((resolve, reject) => {
        let out = '';
        started.stdout?.setEncoding('utf8').on('data', (chunk: string) => {
          out += chunk;
          if (out.includes('\n')) resolve(out.slice(0, out.indexOf('\n')));
        });
        started.on('close', (code) => reject(new Error(`burrow serve ended (${code}) before its first line`)));
      });
      const base = /(http:\/\/127\.0\.0\.1:\d+\/v1)/.exec(firstLine)?.[1];
      expect(base).toBe(`http://127.0.0.1:${port}/v1`);
      const { models } = await call('remote.test', { url: base as string, apiKey: key });
      await call('remote.configure', { url: base as string, apiKey: key, model: models[0] as string, enabled: true });
      const { end, answer, streamed } = await ask('Hello');
      expect({ reason: end.reason, error: end.error }).toEqual({ reason: 'done', error: undefined });
      expect(answer.status).toBe('complete');
      expect(streamed).toBe(answer.content);
      const log = await call('network.log', {});
      expect(log.filter((entry) => entry.reason === 'remote engine: chat').map((entry) => entry.url)).toEqual([`${base as string}/chat/completions`]);
      await call('settings.set', { patch: { offlineMode: true } });
      expect((await ask('again?')).end.error?.message).toMatch(/^Offline mode is on, so nothing was sent/);
    },
    120_000,
  );
});

async function freePort(): Promise<number> {
  const probe = createServer();
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
  const address = probe.address();
  await new Promise<void>((resolve) => probe.close(() => resolve()));
  if (address === null || typeof address === 'string') throw new Error('no port');
  return address.port;
}
