/**
 * A real core with its local API server on a free loopback port, the suite's tiny model
 * loaded, and the official `openai` client pointed at it.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import OpenAI from 'openai';
import { createAssistant, type Assistant, type AssistantHost } from '../../src/core/assistant';
import { spawnNodeEngine } from '../../src/core/process/node-spawn';
import type { Client } from '../../src/shared/client';
import type { ApiStatus, EventName } from '../../src/shared/contract';
import { clientOf } from './client';
import { freeLoopbackPort } from './free-port';
import { tinyModelPath } from './tiny-model';

export interface ApiHarness {
  dataDir: string;
  assistant: Assistant;
  client: Client;
  status: ApiStatus;
  /** …/v1 */
  url: string;
  port: number;
  key: string;
  openai: OpenAI;
  events: Array<{ name: EventName; payload: unknown }>;
  close(): Promise<void>;
}

export async function startApiHarness(options: { host?: Partial<AssistantHost>; loadModel?: boolean; modelPath?: string; origins?: string[] } = {}): Promise<ApiHarness> {
  const dataDir = mkdtempSync(join(tmpdir(), 'burrow-api-'));
  const events: ApiHarness['events'] = [];
  const assistant = createAssistant({
    dataDir,
    spawnEngine: spawnNodeEngine(),
    engineSettings: { maxTokens: 24, seed: 1 },
    grantedModels: [tinyModelPath()],
    pickModelFile: () => Promise.resolve(tinyModelPath()),
    ...options.host,
  });
  assistant.subscribe((name, payload) => events.push({ name, payload }));
  const client = clientOf(assistant);
  if (options.loadModel ?? true) await client.call('models.load', { path: options.modelPath ?? tinyModelPath() });
  const port = await freeLoopbackPort();
  const status = await client.call('api.configure', { enabled: true, port, origins: options.origins ?? [] });
  if (status.state !== 'on' || status.url === null) throw new Error(`The API server did not start: ${JSON.stringify(status)}`);
  const openai = new OpenAI({ baseURL: status.url, apiKey: status.key, maxRetries: 0, timeout: 60_000 });
  return {
    dataDir,
    assistant,
    client,
    status,
    url: status.url,
    port,
    key: status.key,
    openai,
    events,
    async close() {
      await assistant.dispose();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/** A raw request to the server, for what the openai client cannot express. */
export function rawRequest(harness: ApiHarness, path: string, init: RequestInit & { headers?: Record<string, string> } = {}): Promise<Response> {
  return fetch(`${harness.url}${path}`, { ...init, headers: { Authorization: `Bearer ${harness.key}`, ...init.headers } });
}

export interface OpenAiErrorShape {
  error: { message: string; type: string; param: string | null; code: string | null };
}
