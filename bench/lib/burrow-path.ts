/**
 * Burrow's real path for the benchmark: createAssistant (store in a fresh data folder), the
 * engine in its own Node process, every request through the contract's router, and answers
 * timed from the events a window would receive (generation.delta / generation.end).
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createAssistant, type Assistant } from '../../src/core/assistant';
import { spawnNodeEngine } from '../../src/core/process/node-spawn';
import type { EngineSettings } from '../../src/core/engine/types';
import { connectInProcess } from '../../src/shared/in-process-client';
import type { Client } from '../../src/shared/client';
import type { GenerationStats } from '../../src/shared/contract';

export interface TurnTiming {
  /** chat.send to the first generation.delta. */
  ttftMs: number;
  /** The first generation.delta to generation.end. */
  streamMs: number;
  stats: GenerationStats;
  text: string;
  /** The engine's debug lines from chat.send to generation.end (one says whether the turn was restored). */
  engineLog: string[];
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
  /** The engine's debug log since the start (whether a turn was restored, saves), in order. */
  readonly engineLog: string[] = [];
  #start: (dataDir: string) => BurrowUnderTest;

  private constructor(dataDir: string, start: (dataDir: string) => BurrowUnderTest, create: (onEngineLog: (message: string) => void) => Assistant) {
    this.dataDir = dataDir;
    this.#start = start;
    this.assistant = create((message) => this.engineLog.push(message));
    this.client = connectInProcess(this.assistant);
    this.call = this.client.call;
  }

  /** A fresh data folder unless `dataDir` is given (a restart on the same one). */
  static start(modelPath: string, engineSettings: EngineSettings = {}, spawnEngine = spawnNodeEngine(), dataDir = mkdtempSync(join(tmpdir(), 'burrow-bench-'))): BurrowUnderTest {
    const start = (dir: string): BurrowUnderTest => BurrowUnderTest.start(modelPath, engineSettings, spawnEngine, dir);
    return new BurrowUnderTest(dataDir, start, (onLog) =>
      createAssistant({
        dataDir,
        spawnEngine,
        engineSettings,
        grantedModels: [modelPath],
        autoLoadLastModel: false,
        pickModelFile: () => Promise.resolve(modelPath),
        onEngineLog: (level, message) => {
          if (level === 'debug') onLog(message);
        },
      }),
    );
  }

  /** Quits as the app does (the engine saves its sessions first) and starts again on the same data folder. */
  async restart(): Promise<BurrowUnderTest> {
    await this.assistant.dispose();
    return this.#start(this.dataDir);
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
    const logMark = this.engineLog.length;
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
    return { ttftMs: firstDeltaAt - sentAt, streamMs: endAt - firstDeltaAt, stats: end.stats, text: answer, engineLog: this.engineLog.slice(logMark) };
  }

  async dispose(): Promise<void> {
    await this.assistant.dispose();
    rmSync(this.dataDir, { recursive: true, force: true });
  }
}
