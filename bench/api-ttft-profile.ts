/**
 * Where the first token's milliseconds go through the local API, against the same answer in
 * the app (docs/performance.md, "Local API and remote engine"). Not a test and not part of
 * `npm run bench`: a tool to run by hand, alone on the machine.
 *
 *   npx tsx bench/api-ttft-profile.ts [--model PATH] [--rounds N] [--tokens N]
 *
 * The core, its API server and the openai client share this process, so one clock times:
 *   - request: the client's call until the HTTP request reaches the server (diagnostics_channel),
 *   - started: until generate.chat / chat.send has answered with its generation id,
 *   - first delta: until the core emits the answer's first generation.delta,
 *   - received: until the client has parsed the first chunk with text (API only),
 * and the prompt tokens each evaluated, since one more token costs as much as the gap.
 */
import { subscribe } from 'node:diagnostics_channel';
import { createServer } from 'node:net';
import { parseArgs } from 'node:util';
import OpenAI from 'openai';
import { BurrowUnderTest } from './lib/burrow-path';
import { benchModelPath } from './model';

const { values } = parseArgs({ options: { model: { type: 'string' }, rounds: { type: 'string', default: '8' }, tokens: { type: 'string', default: '16' } } });
const modelPath = values.model ?? benchModelPath('Q4_0', (line) => process.stderr.write(`${line}\n`));
const rounds = Number(values.rounds);
const tokens = Number(values.tokens);

interface Stages {
  request: number;
  started: number;
  firstDelta: number;
  received: number;
  promptTokens: number;
  evaluatedTokens: number;
}

let requestAt = 0;
subscribe('http.server.request.start', () => {
  requestAt = performance.now();
});

const firstDeltaAt = new Map<string, number>();
const burrow = BurrowUnderTest.start(modelPath);
burrow.client.on('generation.delta', (delta) => {
  if (!firstDeltaAt.has(delta.generationId)) firstDeltaAt.set(delta.generationId, performance.now());
});

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.listen(0, '127.0.0.1', () => {
      const address = probe.address();
      probe.close(() => (typeof address === 'object' && address !== null ? resolve(address.port) : reject(new Error('no port'))));
    });
  });
}

const settle = (): Promise<void> => new Promise((done) => setTimeout(done, 1200));

async function inApp(text: string): Promise<Stages> {
  const conversation = await burrow.newConversation(tokens);
  await settle();
  const sentAt = performance.now();
  const { generationId } = await burrow.call('chat.send', { conversationId: conversation, text });
  const startedAt = performance.now();
  const end = await burrow.client.followGeneration(generationId);
  await burrow.call('conversations.delete', { id: conversation });
  const first = (firstDeltaAt.get(generationId) ?? Number.NaN) - sentAt;
  return { request: 0, started: startedAt - sentAt, firstDelta: first, received: first, promptTokens: end.stats?.promptTokens ?? Number.NaN, evaluatedTokens: end.stats?.evaluatedTokens ?? Number.NaN };
}

async function throughApi(openai: OpenAI, text: string): Promise<Stages> {
  await settle();
  const sentAt = performance.now();
  requestAt = 0;
  const stream = await openai.chat.completions.create({ model: 'burrow', messages: [{ role: 'user', content: text }], max_tokens: tokens, temperature: 0, stream: true, stream_options: { include_usage: true } });
  const headersAt = performance.now();
  let receivedAt = 0;
  let id = '';
  let promptTokens = Number.NaN;
  for await (const chunk of stream) {
    id = chunk.id;
    if (receivedAt === 0 && (chunk.choices[0]?.delta.content ?? '') !== '') receivedAt = performance.now();
    if (chunk.usage) promptTokens = chunk.usage.prompt_tokens;
  }
  const generationId = id.replace(/^chatcmpl-/, '');
  const first = (firstDeltaAt.get(generationId) ?? Number.NaN) - sentAt;
  // The response's headers wait for the first text, so headersAt is after the first delta: the
  // generation id's answer time is not visible from here; `started` is left as the headers' time.
  return { request: requestAt - sentAt, started: headersAt - sentAt, firstDelta: first, received: receivedAt - sentAt, promptTokens, evaluatedTokens: Number.NaN };
}

const median = (values: number[]): number => {
  const sorted = values.filter(Number.isFinite).sort((a, b) => a - b);
  return sorted.length === 0 ? Number.NaN : (sorted[Math.floor((sorted.length - 1) / 2)]! + sorted[Math.ceil((sorted.length - 1) / 2)]!) / 2;
};

try {
  await burrow.call('models.load', { path: modelPath, force: true });
  const api = await burrow.call('api.configure', { enabled: true, port: await freePort() });
  if (api.url === null) throw new Error(`the local API did not start: ${api.error?.message ?? api.state}`);
  const openai = new OpenAI({ baseURL: api.url, apiKey: api.key, maxRetries: 0 });
  // Warm both paths once.
  await inApp('warm up app');
  await throughApi(openai, 'warm up api');
  const app: Stages[] = [];
  const viaApi: Stages[] = [];
  for (let round = 0; round < rounds; round++) {
    // Questions of the same length in tokens: only the path differs.
    const a = await inApp(`ra bit ${round} app`);
    const b = await throughApi(openai, `ra bit ${round} api`);
    app.push(a);
    viaApi.push(b);
    const show = (s: Stages): string => `req ${s.request.toFixed(1)} started ${s.started.toFixed(1)} delta ${s.firstDelta.toFixed(1)} recv ${s.received.toFixed(1)} prompt ${s.promptTokens}`;
    console.log(`round ${round + 1}: app ${show(a)} | api ${show(b)} | diff ${(b.received - a.received).toFixed(1)} ms`);
  }
  const col = (list: Stages[], key: keyof Stages): string => median(list.map((s) => s[key])).toFixed(1);
  console.log(`median app: started ${col(app, 'started')} first delta ${col(app, 'firstDelta')} prompt tokens ${col(app, 'promptTokens')}`);
  console.log(`median api: request ${col(viaApi, 'request')} first delta ${col(viaApi, 'firstDelta')} received ${col(viaApi, 'received')} prompt tokens ${col(viaApi, 'promptTokens')}`);
  console.log(`median paired difference (api received − app first delta): ${median(viaApi.map((b, i) => b.received - (app[i]?.received ?? Number.NaN))).toFixed(1)} ms`);
} finally {
  await burrow.dispose();
}
