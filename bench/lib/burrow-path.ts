/**
 * Burrow's real path for the benchmark: createAssistant (store in a fresh data folder), the
 * engine in its own Node process, every request through the contract's router, and answers
 * timed from the events a window would receive (generation.delta / generation.end).
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createAssistant, type Assistant } from '../../src/core/assistant';
import { spawnNodeEngine } from '../../src/core/engine/node-spawn';
import type { EngineSettings } from '../../src/core/engine/types';
import { connectInProcess } from '../../src/core/in-process-client';
import type { Client } from '../../src/shared/client';
import type { GenerationStats } from '../../src/shared/contract';

export interface TurnTiming {
  /** chat.send to the first generation.delta. */
  ttftMs: number;
  /** The first generation.delta to generation.end. */
  streamMs: number;
  stats: GenerationStats;
  text: string;
}

/** Resident memory of a process in bytes (Linux /proc), or NaN where it cannot be read. */
export function rssOf(pid: number | undefined): number {
  if (pid === undefined) return Number.NaN;
  try {
    const match = /VmRSS:\s+(\d+)\s+kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return match ? Number(match[1]) * 1024 : Number.NaN;
  } catch {
    return Number.NaN;
  }
}

export class BurrowUnderTest {
  readonly assistant: Assistant;
  readonly dataDir: string;
  readonly client: Client;
  /** Calls through the contract's router; an error value is thrown. */
  readonly call: Client['call'];

  private constructor(assistant: Assistant, dataDir: string) {
    this.assistant = assistant;
    this.dataDir = dataDir;
    this.client = connectInProcess(assistant);
    this.call = this.client.call;
  }

  static start(modelPath: string, engineSettings: EngineSettings = {}, spawnEngine = spawnNodeEngine()): BurrowUnderTest {
    const dataDir = mkdtempSync(join(tmpdir(), 'burrow-bench-'));
    const assistant = createAssistant({
      dataDir,
      spawnEngine,
      engineSettings,
      grantedModels: [modelPath],
      autoLoadLastModel: false,
      pickModelFile: () => Promise.resolve(modelPath),
    });
    return new BurrowUnderTest(assistant, dataDir);
  }

  get enginePid(): number | undefined {
    return this.assistant.engine.pid;
  }

  async newConversation(maxTokens: number): Promise<string> {
    const conversation = await this.call('conversations.create', {});
    await this.call('conversations.setSettings', { id: conversation.id, maxTokens, temperature: 0 });
    return conversation.id;
  }

  /** Sends `text` and waits for the whole answer, timing it as the window sees it. */
  async turn(conversationId: string, text: string): Promise<TurnTiming> {
    let firstDeltaAt = 0;
    let answer = '';
    const sentAt = performance.now();
    const { generationId } = await this.call('chat.send', { conversationId, text });
    const end = await this.client.followGeneration(generationId, {
      onDelta: (_delta, textSoFar) => {
        if (firstDeltaAt === 0) firstDeltaAt = performance.now();
        answer = textSoFar;
      },
    });
    const endAt = performance.now();
    if (end.reason !== 'done' || end.stats === undefined) throw new Error(`answer ended with ${end.reason}: ${end.error?.message ?? ''}`);
    if (firstDeltaAt === 0) firstDeltaAt = endAt;
    return { ttftMs: firstDeltaAt - sentAt, streamMs: endAt - firstDeltaAt, stats: end.stats, text: answer };
  }

  async dispose(): Promise<void> {
    await this.assistant.dispose();
    rmSync(this.dataDir, { recursive: true, force: true });
  }
}
