/**
 * Falling back from Burrow's own engine build when it dies running the model: the record in the
 * data folder (build-fallback.ts), and EngineHost's policy against a fake engine process that
 * speaks the real protocol and dies the way a build with a bad kernel does (SIGILL at the first
 * answer). The real engine's side is in test/integration/engine-build-fallback.test.ts.
 */
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { buildFallbackKey, describeExit, fileBuildFallback, illegalInstruction, type BuildFallbackStore } from '../../../src/core/engine/build-fallback';
import type { EngineBinary, ExitInfo } from '../../../src/core/engine/engine-connection';
import { EngineHost } from '../../../src/core/engine/engine-host';
import { HostMessage, type WorkerMessage } from '../../../src/core/engine/protocol';
import type { ProcessChannel } from '../../../src/core/process/channel';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'burrow-fallback-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

describe('the record of a failed build', () => {
  it('reads nothing until a failure is written, then its reason, in a file only its owner reads', () => {
    const file = join(dir, 'engine-build.json');
    const store = fileBuildFallback(file, 'native-2+portable-2 on Test CPU');
    expect(store.read()).toBeNull();
    store.write('died');
    expect(store.read()).toBe('died');
    expect(JSON.parse(readFileSync(file, 'utf8'))).toMatchObject({ key: 'native-2+portable-2 on Test CPU', reason: 'died' });
    if (process.platform !== 'win32') expect(statSync(file).mode & 0o777).toBe(0o600);
  });

  it('ignores a record about other recipes or another CPU, and a damaged file', () => {
    const file = join(dir, 'engine-build.json');
    fileBuildFallback(file, 'native-1 on Test CPU').write('old recipe died');
    expect(fileBuildFallback(file, 'native-2 on Test CPU').read()).toBeNull();
    for (const text of ['{', 'null', '[]', '{"key":"native-2 on Test CPU"}', '\u0000\u0001']) {
      writeFileSync(file, text);
      expect(fileBuildFallback(file, 'native-2 on Test CPU').read()).toBeNull();
    }
  });

  it('is keyed by the recipes in the order tried and the CPU', () => {
    expect(buildFallbackKey(' Some CPU @ 2.0GHz ')).toBe('native-10+portable-9 on Some CPU @ 2.0GHz');
  });

  it('knows an illegal instruction on every platform, and nothing else', () => {
    expect(illegalInstruction({ code: null, signal: 'SIGILL' })).toBe(true);
    expect(illegalInstruction({ code: 0xc000001d, signal: null })).toBe(true);
    expect(illegalInstruction({ code: -1073741795, signal: null })).toBe(true);
    expect(illegalInstruction({ code: null, signal: 'SIGKILL' })).toBe(false);
    expect(illegalInstruction({ code: 1, signal: null })).toBe(false);
    expect(describeExit({ code: null, signal: 'SIGILL' })).toBe('an illegal instruction');
    expect(describeExit({ code: null, signal: 'SIGSEGV' })).toBe('SIGSEGV');
    expect(describeExit({ code: 3, signal: null })).toBe('exit code 3');
  });
});

/** How each fake process behaves: the build it reports, and what it does with an answer. */
interface Script {
  build: EngineBinary;
  /**
   * Per answer of the process, in order (the last one repeats). 'answer': streams "ok" and
   * finishes; 'die': exits with `exit` before any text; 'die-after-text': one chunk, then exits.
   */
  onGenerate: Array<'answer' | 'die' | 'die-after-text'>;
  exit?: ExitInfo;
}

interface Fake {
  spawn: () => ProcessChannel;
  /** Settings of every load, in order, across processes. */
  loads: Array<Record<string, unknown>>;
  started: number;
}

/** A fake engine process per spawn, following `scripts` in order (the last one repeats). */
function fakeEngines(scripts: Script[]): Fake {
  const fake: Fake = { spawn: () => undefined as never, loads: [], started: 0 };
  fake.spawn = () => {
    const script = scripts[Math.min(fake.started, scripts.length - 1)]!;
    fake.started++;
    let listener: (message: unknown) => void = () => undefined;
    let onExit: (info: ExitInfo) => void = () => undefined;
    let gone = false;
    let answers = 0;
    const reply = (message: WorkerMessage): void => queueMicrotask(() => !gone && listener(message));
    const die = (info: ExitInfo): void => {
      gone = true;
      queueMicrotask(() => onExit(info));
    };
    queueMicrotask(() => listener({ type: 'started', pid: 4000 + fake.started }));
    return {
      pid: 4000 + fake.started,
      send(raw) {
        if (gone) return;
        const message = HostMessage.parse(raw);
        switch (message.type) {
          case 'load':
            fake.loads.push(message.settings);
            reply({ type: 'loaded', id: message.id, model: { path: message.path, name: 'fake', sizeBytes: 1, contextSize: 2048, backend: 'cpu', threads: 2 }, engineBuild: script.build });
            return;
          case 'generate': {
            const behaviour = script.onGenerate[Math.min(answers++, script.onGenerate.length - 1)];
            if (behaviour === 'die') return die(script.exit ?? { code: null, signal: 'SIGILL' });
            reply({ type: 'text', id: message.id, text: 'ok' });
            if (behaviour === 'die-after-text') {
              queueMicrotask(() => die(script.exit ?? { code: null, signal: 'SIGILL' }));
              return;
            }
            reply({ type: 'done', id: message.id, text: 'ok', reason: 'done', stats: { evaluatedTokens: 1, generatedTokens: 1, durationMs: 1, truncatedMessages: 0 } });
            return;
          }
          case 'dispose':
            return die({ code: 0, signal: null });
          default:
            if ('id' in message) reply({ type: 'ok', id: message.id });
        }
      },
      onMessage: (next) => {
        listener = next;
      },
      onExit: (next) => {
        onExit = next;
      },
      kill: () => die({ code: null, signal: 'SIGKILL' }),
    };
  };
  return fake;
}

function memoryStore(initial: string | null = null): BuildFallbackStore & { writes: string[] } {
  let reason = initial;
  const writes: string[] = [];
  return {
    writes,
    read: () => reason,
    write: (next) => {
      writes.push(next);
      reason = next;
    },
  };
}

function ask(host: EngineHost, onText: (text: string) => void = () => undefined) {
  return host.generate({ sessionKey: 'c1', history: [], prompt: 'hi', signal: new AbortController().signal, onText });
}

describe('EngineHost falls back from its own build', () => {
  it('when the native build dies of an illegal instruction at the first answer: answers on the prebuilt one, and remembers', async () => {
    const fake = fakeEngines([{ build: 'native', onGenerate: ['die'] }, { build: 'prebuilt', onGenerate: ['answer'] }]);
    const store = memoryStore();
    const logs: string[] = [];
    const host = new EngineHost({ spawn: fake.spawn, buildFallback: store, onLog: (_level, message) => logs.push(message) });
    await host.load('/models/a.gguf');
    const texts: string[] = [];
    const result = await ask(host, (text) => texts.push(text));
    expect(result).toMatchObject({ text: 'ok', reason: 'done' });
    expect(texts).toEqual(['ok']);
    expect(fake.started).toBe(2);
    expect(fake.loads.map((settings) => settings['engineBuild'])).toEqual([undefined, 'prebuilt']);
    expect(store.writes).toEqual(["Burrow's native engine build stopped with an illegal instruction at its first answer"]);
    expect(host.buildFallbackReason).toBe(store.writes[0]);
    expect(logs.some((line) => line.includes("prebuilt engine is used from now on"))).toBe(true);
    expect(host.status()).toMatchObject({ state: 'ready', error: null });

    // The next start asks for the prebuilt binary from its first load.
    const next = fakeEngines([{ build: 'prebuilt', onGenerate: ['answer'] }]);
    const again = new EngineHost({ spawn: next.spawn, buildFallback: store });
    await again.load('/models/a.gguf');
    await expect(ask(again)).resolves.toMatchObject({ text: 'ok' });
    expect(next.loads[0]).toMatchObject({ engineBuild: 'prebuilt' });
    await Promise.all([host.dispose(), again.dispose()]);
  });

  it('when its process dies any other way before its first answer is done (a Windows or Electron exit code)', async () => {
    const fake = fakeEngines([{ build: 'portable', onGenerate: ['die'], exit: { code: 11, signal: null } }, { build: 'prebuilt', onGenerate: ['answer'] }]);
    const store = memoryStore();
    const host = new EngineHost({ spawn: fake.spawn, buildFallback: store });
    await host.load('/models/a.gguf');
    await expect(ask(host)).resolves.toMatchObject({ text: 'ok' });
    expect(store.writes).toEqual(["Burrow's portable engine build stopped with exit code 11 at its first answer"]);
    await host.dispose();
  });

  it('does not answer twice: an answer that had shown text fails, and the next one runs on the prebuilt build', async () => {
    const fake = fakeEngines([{ build: 'native', onGenerate: ['die-after-text'] }, { build: 'prebuilt', onGenerate: ['answer'] }]);
    const store = memoryStore();
    const host = new EngineHost({ spawn: fake.spawn, buildFallback: store });
    await host.load('/models/a.gguf');
    await expect(ask(host)).rejects.toMatchObject({ code: 'engine_stopped' });
    expect(host.status()).toMatchObject({ state: 'stopped', error: { message: expect.stringMatching(/faster engine build does not run on this computer/) } });
    expect(store.writes).toHaveLength(1);
    await expect(ask(host)).resolves.toMatchObject({ text: 'ok' });
    expect(fake.loads.at(-1)).toMatchObject({ engineBuild: 'prebuilt' });
    await host.dispose();
  });

  it('keeps its own build after a crash that is not the build’s', async () => {
    // A crash once answers have run: the build works on this CPU.
    const later = fakeEngines([{ build: 'native', onGenerate: ['answer', 'die'], exit: { code: null, signal: 'SIGSEGV' } }, { build: 'native', onGenerate: ['answer'] }]);
    // Killed from outside during the first answer (the user, the OOM killer).
    const killed = fakeEngines([{ build: 'native', onGenerate: ['die'], exit: { code: null, signal: 'SIGKILL' } }, { build: 'native', onGenerate: ['answer'] }]);
    // The prebuilt binary is never fallen back from.
    const prebuilt = fakeEngines([{ build: 'prebuilt', onGenerate: ['die'] }, { build: 'prebuilt', onGenerate: ['answer'] }]);
    for (const [fake, firstAnswers] of [[later, true], [killed, false], [prebuilt, false]] as const) {
      const store = memoryStore();
      const host = new EngineHost({ spawn: fake.spawn, buildFallback: store });
      await host.load('/models/a.gguf');
      if (firstAnswers) await expect(ask(host)).resolves.toMatchObject({ text: 'ok' });
      await expect(ask(host)).rejects.toMatchObject({ code: 'engine_stopped', message: expect.stringMatching(/stopped unexpectedly/) });
      expect(host.status()).toMatchObject({ state: 'stopped', error: { message: expect.stringMatching(/stopped unexpectedly/) } });
      await expect(ask(host)).resolves.toMatchObject({ text: 'ok' });
      expect(store.writes).toEqual([]);
      expect(host.buildFallbackReason).toBeNull();
      expect(fake.loads.map((settings) => settings['engineBuild'])).toEqual([undefined, undefined]);
      await host.dispose();
    }
  });
});
