/**
 * The local API and the remote engine against the app (issue 15), measured side by side:
 * - one core with the model loaded and its local API on: the same short question answered in
 *   the app (chat.send) and through `POST /v1/chat/completions` (the pinned `openai` client,
 *   streamed), alternately;
 * - a second core with "Use a server" pointed at the first one's API: a chat answered through
 *   the remote engine, alternately with the same server called directly with the openai client.
 * Generation speed is timed from the first streamed text to the end, as a window sees it.
 */
import { createServer } from 'node:net';
import OpenAI from 'openai';
import { BurrowUnderTest } from './burrow-path';
import type { Report } from './report';
import { figure, pairedRatio } from './stats';

export interface ApiBenchOptions {
  model: string;
  rounds: number;
  generateTokens: number;
  log: (line: string) => void;
}

interface Timing {
  ttftMs: number;
  tokensPerSecond: number;
  /** The prompt's length in tokens: one more token costs about as much as the target's 20 ms. */
  promptTokens: number;
}

interface Samples {
  app: Timing[];
  api: Timing[];
  remote: Timing[];
  direct: Timing[];
}

export async function apiFigures(report: Report, o: ApiBenchOptions): Promise<void> {
  const server = BurrowUnderTest.start(o.model);
  const client = BurrowUnderTest.start(o.model);
  const samples: Samples = { app: [], api: [], remote: [], direct: [] };
  try {
    await server.call('models.load', { path: o.model, force: true });
    const api = await server.call('api.configure', { enabled: true, port: await freePort() });
    if (api.url === null) throw new Error(`the local API did not start: ${api.error?.message ?? api.state}`);
    const openai = new OpenAI({ baseURL: api.url, apiKey: api.key, maxRetries: 0 });
    const { models } = await client.call('remote.test', { url: api.url, apiKey: api.key });
    await client.call('remote.configure', { url: api.url, apiKey: api.key, model: models[0] ?? 'burrow', enabled: true });
    for (let round = 0; round < o.rounds; round++) {
      // Questions of one length in tokens, so that only the path differs (a longer API question
      // once read as +48 ms of API overhead: docs/performance.md).
      const question = `ra bit ${round}`;
      samples.app.push(await inApp(server, `${question} app`, o.generateTokens));
      samples.api.push(await throughApi(openai, `${question} api`, o.generateTokens));
      samples.remote.push(await inApp(client, `${question} remote`, o.generateTokens));
      samples.direct.push(await throughApi(openai, `${question} direct`, o.generateTokens));
      o.log(
        `api round ${round + 1}/${o.rounds}: tg app ${last(samples.app).tokensPerSecond.toFixed(1)} api ${last(samples.api).tokensPerSecond.toFixed(1)} · ` +
          `remote ${last(samples.remote).tokensPerSecond.toFixed(1)} direct ${last(samples.direct).tokensPerSecond.toFixed(1)} · ` +
          `ttft app ${last(samples.app).ttftMs.toFixed(0)} api ${last(samples.api).ttftMs.toFixed(0)} ms ` +
          `(prompt ${last(samples.app).promptTokens} and ${last(samples.api).promptTokens} tokens)`,
      );
    }
  } finally {
    await client.dispose();
    await server.dispose();
  }
  addRows(report, samples);
}

function addRows(report: Report, s: Samples): void {
  const tps = (timings: Timing[]): number[] => timings.map((t) => t.tokensPerSecond);
  const ttft = (timings: Timing[]): number[] => timings.map((t) => t.ttftMs);
  const apiRatio = pairedRatio(tps(s.api), tps(s.app));
  report.add({ key: 'api_generation_ratio', label: 'generation through the local API / in the app', unit: 'ratio', burrow: apiRatio, baselines: { app: figure(tps(s.app)), api: figure(tps(s.api)) }, target: { text: '≥ 0.97', value: apiRatio.median, met: apiRatio.median >= 0.97 } });
  const extra = figure(ttft(s.api).map((value, i) => value - (ttft(s.app)[i] ?? Number.NaN)).filter(Number.isFinite));
  report.add({ key: 'api_ttft_extra', label: 'first token through the API, over in-app', unit: 'ms', burrow: extra, baselines: { app: figure(ttft(s.app)), api: figure(ttft(s.api)) }, target: { text: '≤ +20 ms', value: extra.median, met: extra.median <= 20 } });
  const remoteRatio = pairedRatio(tps(s.remote), tps(s.direct));
  report.add({ key: 'remote_generation_ratio', label: 'generation through the remote engine / the server called directly', unit: 'ratio', burrow: remoteRatio, baselines: { direct: figure(tps(s.direct)), remote: figure(tps(s.remote)) }, target: { text: '≥ 0.95', value: remoteRatio.median, met: remoteRatio.median >= 0.95 } });
}

/** A chat answer as a window sees it (chat.send → generation.delta … generation.end). */
async function inApp(burrow: BurrowUnderTest, text: string, tokens: number): Promise<Timing> {
  const conversation = await burrow.newConversation(tokens + 1);
  await settle();
  const turn = await burrow.turn(conversation, text);
  await burrow.call('conversations.delete', { id: conversation });
  return { ttftMs: turn.ttftMs, tokensPerSecond: ((turn.stats.generatedTokens - 1) / turn.streamMs) * 1000, promptTokens: turn.stats.promptTokens ?? Number.NaN };
}

/** The same answer streamed from /v1/chat/completions with the official client. */
async function throughApi(openai: OpenAI, text: string, tokens: number): Promise<Timing> {
  await settle();
  const sentAt = performance.now();
  const stream = await openai.chat.completions.create({ model: 'burrow', messages: [{ role: 'user', content: text }], max_tokens: tokens + 1, temperature: 0, stream: true, stream_options: { include_usage: true } });
  let firstAt = 0;
  let generated = 0;
  let promptTokens = Number.NaN;
  for await (const chunk of stream) {
    if (firstAt === 0 && (chunk.choices[0]?.delta.content ?? '') !== '') firstAt = performance.now();
    if (chunk.usage) {
      generated = chunk.usage.completion_tokens;
      promptTokens = chunk.usage.prompt_tokens;
    }
  }
  const endAt = performance.now();
  if (firstAt === 0) throw new Error('the API streamed no text');
  return { ttftMs: firstAt - sentAt, tokensPerSecond: ((generated - 1) / (endAt - firstAt)) * 1000, promptTokens };
}

/** Burrow's thread policy reads the last second's load: let the previous answer fall out of it. */
function settle(): Promise<void> {
  return new Promise((done) => setTimeout(done, 1200));
}

function last(timings: Timing[]): Timing {
  return timings.at(-1) ?? { ttftMs: Number.NaN, tokensPerSecond: Number.NaN, promptTokens: Number.NaN };
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const address = probe.address();
      probe.close(() => (typeof address === 'object' && address !== null ? resolve(address.port) : reject(new Error('no port'))));
    });
  });
}
