/**
 * Entry point of the engine process. It owns node-llama-cpp (through LlamaEngine), runs
 * requests one at a time, and answers every request with exactly one final message.
 * Nothing that goes wrong in here ends the process: errors are reported as messages, so a
 * bad model or a bug costs one request, not the engine. Only a native crash kills it, and
 * EngineHost restarts it.
 */
import { assertNever, BurrowError, toErrorValue } from '../../shared/errors';
import { isBinaryTestMessage } from './binary-test-protocol';
import { installBinaryTestForkProxy } from './binary-test-proxy';
import { LlamaEngine } from './llama-engine';
import { connectToParent } from '../process/parent-port';
import { cancelledBeforeStart, HostMessage, type LogLevel, type WorkerMessage } from './protocol';
import { SerialQueue } from '../process/serial-queue';
import { ENGINE_TEXT_INTERVAL_MS, TextPacer } from './text-pacer';

const port = connectToParent();
const post = (message: WorkerMessage): void => port.send(message);
const log = (level: LogLevel, message: string): void => post({ type: 'log', level, message });
// In an Electron utility process, node-llama-cpp's binary test runs through main (binary-test-proxy.ts). Before any getLlama().
installBinaryTestForkProxy(port, log);

const engine = new LlamaEngine(log);
/** Load, generate, unload and dispose never overlap: each replaces or uses llama objects. */
const queue = new SerialQueue();
/** Generations not yet answered, running or queued, by request id. */
const generations = new Map<number, AbortController>();
let disposing = false;

/** An answer's text, paced: a fast model's tokens go out a few at a time (text-pacer.ts). */
function textPacer(id: number): TextPacer {
  return new TextPacer({ intervalMs: ENGINE_TEXT_INTERVAL_MS, send: (text) => post({ type: 'text', id, text }) });
}

function fail(id: number | null, error: unknown): void {
  post({ type: 'error', id, error: toErrorValue(error), model: engine.model });
}

function generate(message: Extract<HostMessage, { type: 'generate' }>): void {
  const controller = new AbortController();
  generations.set(message.id, controller);
  const pacer = textPacer(message.id);
  void queue.run(async () => {
    try {
      const { signal } = controller;
      if (signal.aborted) {
        // Cancelled while waiting its turn: answer without touching the model.
        post({ type: 'done', id: message.id, ...cancelledBeforeStart() });
        return;
      }
      const result = await engine.generate(
        message,
        signal,
        (text) => pacer.push(text),
        (phase, model) => post({ type: 'adapters', id: message.id, phase, model }),
      );
      pacer.flush();
      post({ type: 'done', id: message.id, ...result });
    } catch (error) {
      pacer.flush();
      fail(message.id, error);
    } finally {
      generations.delete(message.id);
      scheduleIdleSave();
    }
  });
}

/** A direct answer (the local API): queued and cancelled like a conversation's, never saved. */
function direct(message: Extract<HostMessage, { type: 'direct' }>): void {
  const controller = new AbortController();
  generations.set(message.id, controller);
  const pacer = textPacer(message.id);
  void queue.run(async () => {
    try {
      const { signal } = controller;
      if (signal.aborted) {
        post({ type: 'direct-done', id: message.id, ...cancelledBeforeStart(), finishReason: 'stop' });
        return;
      }
      const result = await engine.generateDirect(
        message.input,
        message.options,
        signal,
        (text) => pacer.push(text),
        message.adapters,
        (phase, model) => post({ type: 'adapters', id: message.id, phase, model }),
      );
      pacer.flush();
      post({ type: 'direct-done', id: message.id, ...result });
    } catch (error) {
      pacer.flush();
      fail(message.id, error);
    } finally {
      generations.delete(message.id);
    }
  });
}

function embed(message: Extract<HostMessage, { type: 'embed' }>): void {
  void queue.run(async () => {
    try {
      post({ type: 'embedded', id: message.id, ...(await engine.embed(message.texts, message.modelPath)) });
    } catch (error) {
      fail(message.id, error);
    }
  });
}

function readMachine(message: Extract<HostMessage, { type: 'estimate' | 'hardware' }>): void {
  const answer = async (): Promise<void> => {
    try {
      if (message.type === 'estimate') post({ type: 'estimated', id: message.id, estimate: await engine.estimate(message.path, message.settings, message.adapters ?? []) });
      else post({ type: 'hardware-report', id: message.id, hardware: await engine.hardware(message.settings) });
    } catch (error) {
      fail(message.id, error);
    }
  };
  // Only reads: once the backend is up they need not wait for an answer to finish (the
  // library shows the estimate before loading); starting the backend is queued like a load.
  void (engine.hasBackend ? answer() : queue.run(answer));
}

function handle(message: HostMessage): void {
  switch (message.type) {
    case 'load': {
      void queue.run(async () => {
        try {
          const model = await engine.load(message.path, message.settings);
          post({ type: 'loaded', id: message.id, model, engineBuild: engine.build ?? 'prebuilt' });
        } catch (error) {
          fail(message.id, error);
        }
      });
      return;
    }
    case 'generate':
      generate(message);
      return;
    case 'direct':
      direct(message);
      return;
    case 'embed':
      embed(message);
      return;
    case 'measure':
      // Immediate, not queued: the context meter must not wait for an answer to finish.
      try {
        post({ type: 'measured', id: message.id, ...engine.measure(message) });
      } catch (error) {
        fail(message.id, error);
      }
      return;
    case 'count-tokens':
      // Immediate like 'measure': document chunking must not wait behind a chat answer.
      try {
        post({ type: 'token-counts', id: message.id, counts: engine.countTokens(message.texts) });
      } catch (error) {
        fail(message.id, error);
      }
      return;
    case 'estimate':
    case 'hardware':
      readMachine(message);
      return;
    case 'cancel':
      // Immediate, not queued: the running generation checks its signal after every token.
      generations.get(message.id)?.abort();
      return;
    case 'unload':
      abortAll();
      void queue.run(async () => {
        try {
          await engine.unload();
          post({ type: 'ok', id: message.id });
        } catch (error) {
          fail(message.id, error);
        }
      });
      return;
    case 'prepare':
      void queue.run(async () => {
        try {
          post({ type: 'prepared', id: message.id, ...(await engine.prepare(message)) });
        } catch (error) {
          fail(message.id, error);
        }
      });
      return;
    case 'forget':
      void queue.run(async () => {
        try {
          await engine.forget(message.sessionKey);
          post({ type: 'ok', id: message.id });
        } catch (error) {
          fail(message.id, error);
        }
      });
      return;
    case 'dispose':
      void shutDown(message.id);
      return;
    default:
      assertNever(message, 'message from the host');
  }
}

/** Quiet time after an answer before changed sessions are saved to disk (state-store.ts). */
const IDLE_SAVE_MS = 1500;
let idleSave: ReturnType<typeof setTimeout> | null = null;

/** After each answer: once nothing has run for a moment, save what changed, so a crash costs at most the last turn. */
function scheduleIdleSave(): void {
  if (idleSave !== null) clearTimeout(idleSave);
  idleSave = setTimeout(() => {
    idleSave = null;
    if (disposing || generations.size > 0) return scheduleIdleSave();
    void queue.run(async () => {
      try {
        await engine.saveSessions();
      } catch (error) {
        log('warn', `saving conversations' state failed: ${error instanceof Error ? error.message : String(error)}`);
      }
    });
  }, IDLE_SAVE_MS);
  idleSave.unref();
}

function abortAll(): void {
  for (const controller of generations.values()) controller.abort();
}

async function shutDown(id: number | null): Promise<void> {
  if (disposing) return;
  disposing = true;
  abortAll();
  await queue.run(async () => {
    try {
      await engine.dispose();
      if (id !== null) post({ type: 'ok', id });
    } catch (error) {
      fail(id, error);
    }
  });
  // Let the last message leave before the process ends.
  setImmediate(() => process.exit(0));
}

port.onMessage((raw) => {
  if (isBinaryTestMessage(raw)) return; // the binary-test proxy's own
  const parsed = HostMessage.safeParse(raw);
  if (!parsed.success) {
    // Answer the request it belongs to, if it has an id, so the host does not wait forever.
    const id = (raw as { id?: unknown } | null)?.id;
    fail(typeof id === 'number' ? id : null, new BurrowError('engine_error', `The engine received a request it does not understand: ${parsed.error.message}`));
    return;
  }
  handle(parsed.data);
});
port.onDisconnect(() => void shutDown(null));

process.on('uncaughtException', (error) => fail(null, error));
process.on('unhandledRejection', (reason) => fail(null, reason));

post({ type: 'started', pid: process.pid });
