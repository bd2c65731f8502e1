/** Drives bench/bare-node-llama.ts (baseline 2: node-llama-cpp with no Burrow code) as a child process. */
import { fork, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { resolveEngineEntry } from '../../src/core/process/node-spawn';

interface Reply {
  type: string;
  ms?: number;
  rss?: number;
  rssAfterLoad?: number;
  build?: string;
  message?: string;
}

export class BareNodeLlama {
  readonly pid: number | undefined;
  #child: ChildProcess;
  rssAfterLoad = Number.NaN;
  /** The llama.cpp binary it loaded: 'native' / 'portable' (Burrow's builds) or 'prebuilt'. */
  build = 'unknown';

  private constructor(child: ChildProcess) {
    this.#child = child;
    this.pid = child.pid;
  }

  static async start(model: string, threads: number, contextSize: number, mmap: boolean, build = process.env.BURROW_ENGINE_BUILD ?? 'auto'): Promise<BareNodeLlama> {
    const script = fileURLToPath(new URL('../bare-node-llama.ts', import.meta.url));
    // The same tsx loader the engine uses when it runs from source.
    const { execArgv } = resolveEngineEntry({ fromSource: true });
    const child = fork(script, [model, String(threads), String(contextSize), mmap ? 'mmap' : 'no-mmap', build], { execArgv, stdio: ['ignore', 'ignore', 'inherit', 'ipc'] });
    const bare = new BareNodeLlama(child);
    const ready = await bare.#next();
    bare.rssAfterLoad = ready.rssAfterLoad ?? Number.NaN;
    bare.build = ready.build ?? 'unknown';
    return bare;
  }

  #next(): Promise<Reply> {
    return new Promise<Reply>((resolve, reject) => {
      const onExit = (code: number | null): void => reject(new Error(`bare node-llama-cpp script exited with ${code}`));
      this.#child.once('exit', onExit);
      this.#child.once('message', (raw: unknown) => {
        this.#child.off('exit', onExit);
        const reply = raw as Reply;
        if (reply.type === 'error') reject(new Error(reply.message));
        else resolve(reply);
      });
    });
  }

  /** Milliseconds to evaluate `tokens` prompt tokens, or to generate `tokens` after the first. */
  async run(kind: 'pp' | 'tg', tokens: number): Promise<{ ms: number; rss: number }> {
    const reply = this.#next();
    this.#child.send({ type: kind, tokens });
    const { ms, rss } = await reply;
    return { ms: ms ?? Number.NaN, rss: rss ?? Number.NaN };
  }

  async stop(): Promise<void> {
    const exited = new Promise<void>((resolve) => this.#child.once('exit', () => resolve()));
    this.#child.send({ type: 'exit' });
    const timer = setTimeout(() => this.#child.kill('SIGKILL'), 5000);
    await exited;
    clearTimeout(timer);
  }
}
