/**
 * The packaged app, as installers ship it (`npm run dist:dir` → dist/<os>[-arch]-unpacked, or
 * dist/mac[-arm64]/Burrow.app): the fuses are flipped, the window opens on app://burrow/ with
 * only `window.burrow = { invoke, on }`, and the model engine starts from the packaged paths
 * (node-llama-cpp and better-sqlite3 out of app.asar.unpacked) and answers.
 *
 * Runs wherever that packaged app exists (the release workflow builds it first); elsewhere it
 * reports itself skipped with the reason. Playwright's `_electron.launch` cannot drive this
 * build — it needs `--inspect`, which the nodeCliInspect fuse turns off — so the test starts the
 * app itself with Chromium's `--remote-debugging-port` and talks to its window over CDP.
 */
import { chromium, expect, test, type Browser, type Page } from '@playwright/test';
import { FuseV1Options, getCurrentFuseWire } from '@electron/fuses';
import { spawn, type ChildProcess } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { findProjectRoot } from '../../src/core/process/project-root';
import { streamingModelPath } from '../support/tiny-model';

const require = createRequire(import.meta.url);
const root = findProjectRoot();
/** How @electron/fuses reads a fuse: the ASCII digit in the binary's fuse wire. */
const DISABLED = '0'.charCodeAt(0);
const ENABLED = '1'.charCodeAt(0);

/**
 * Where `npm run dist:dir` puts the app for this machine's system and CPU; BURROW_PACKAGED_APP
 * names another one (an installed app: /opt/Burrow/burrow, /Applications/Burrow.app, …).
 */
function packagedApp(): { bundle: string; executable: string } {
  const chosen = process.env.BURROW_PACKAGED_APP;
  if (chosen) {
    return chosen.endsWith('.app') ? { bundle: chosen, executable: join(chosen, 'Contents', 'MacOS', 'Burrow') } : { bundle: chosen, executable: chosen };
  }
  const dist = join(root, 'dist');
  const suffix = process.arch === 'x64' ? '' : `-${process.arch}`;
  if (process.platform === 'darwin') {
    const bundle = join(dist, `mac${suffix}`, 'Burrow.app');
    return { bundle, executable: join(bundle, 'Contents', 'MacOS', 'Burrow') };
  }
  if (process.platform === 'win32') {
    const executable = join(dist, `win${suffix}-unpacked`, 'Burrow.exe');
    return { bundle: executable, executable };
  }
  const executable = join(dist, `linux${suffix}-unpacked`, 'burrow');
  return { bundle: executable, executable };
}

function electronBinaryState(): string {
  try {
    const path = require('electron') as unknown as string;
    return existsSync(path) ? 'the Electron binary is installed' : `the Electron binary is not at ${path}`;
  } catch (error) {
    return `the Electron binary is not installed (${(error as Error).message.split('\n')[0]})`;
  }
}

const app = packagedApp();
const skipReason = existsSync(app.executable)
  ? undefined
  : `Packaged-app suite skipped: there is no packaged app at ${app.executable}, and ${electronBinaryState()}. ` +
    'Build it with `npm run dist:dir` (electron-builder downloads Electron for it, so it needs network access).';

// Say why in the run's output too: the list reporter shows a skip without its reason.
if (skipReason !== undefined) console.log(skipReason);

interface Running {
  child: ChildProcess;
  browser: Browser;
  page: Page;
  output: () => string;
}

/** Starts the packaged app and connects to its window over the Chrome DevTools Protocol. */
async function launch(env: NodeJS.ProcessEnv): Promise<Running> {
  // As Playwright does for Electron on Linux: the unpacked app's chrome-sandbox is not setuid root.
  const args = ['--remote-debugging-port=0', ...(process.platform === 'linux' ? ['--no-sandbox'] : [])];
  const child = spawn(app.executable, args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  const endpoint = new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`The packaged app printed no DevTools address within 30 s:\n${output}`)), 30_000);
    const onData = (chunk: Buffer): void => {
      output += chunk.toString();
      const match = /DevTools listening on (ws:\/\/\S+)/.exec(output);
      if (match?.[1] !== undefined) {
        clearTimeout(timer);
        resolve(match[1]);
      }
    };
    child.stdout?.on('data', onData);
    child.stderr?.on('data', onData);
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      reject(new Error(`The packaged app exited (${code ?? signal}) before opening its window:\n${output}`));
    });
  });
  const browser = await chromium.connectOverCDP(await endpoint);
  let page: Page | undefined;
  await expect
    .poll(
      () => {
        page = browser.contexts().flatMap((context) => context.pages()).find((candidate) => candidate.url().startsWith('app://burrow/'));
        return page !== undefined;
      },
      { timeout: 30_000, message: 'the Burrow window on app://burrow/' },
    )
    .toBe(true);
  return { child, browser, page: page as Page, output: () => output };
}

async function quit(running: Running): Promise<void> {
  await running.browser.close().catch(() => undefined);
  if (running.child.exitCode === null && running.child.signalCode === null) {
    const exited = new Promise<void>((resolve) => running.child.once('exit', () => resolve()));
    running.child.kill();
    await Promise.race([exited, new Promise((resolve) => setTimeout(resolve, 10_000))]);
  }
}

test.describe('Packaged app', () => {
  test.skip(skipReason !== undefined, skipReason);

  test('the fuses are flipped in the shipped binary', async () => {
    const wire = await getCurrentFuseWire(app.bundle);
    expect(wire[FuseV1Options.RunAsNode]).toBe(DISABLED);
    expect(wire[FuseV1Options.EnableNodeOptionsEnvironmentVariable]).toBe(DISABLED);
    expect(wire[FuseV1Options.EnableNodeCliInspectArguments]).toBe(DISABLED);
    expect(wire[FuseV1Options.EnableEmbeddedAsarIntegrityValidation]).toBe(ENABLED);
    expect(wire[FuseV1Options.OnlyLoadAppFromAsar]).toBe(ENABLED);
    expect(wire[FuseV1Options.EnableCookieEncryption]).toBe(ENABLED);
  });

  test('opens its secure window and answers with the model engine from the packaged paths', async () => {
    test.setTimeout(120_000);
    const dataDir = mkdtempSync(join(tmpdir(), 'burrow-packaged-'));
    // A model in Burrow's own models folder is one the UI may load by path.
    const model = join(dataDir, 'models', 'tiny.gguf');
    mkdirSync(join(dataDir, 'models'), { recursive: true });
    copyFileSync(streamingModelPath(), model);
    const env: NodeJS.ProcessEnv = { ...process.env, BURROW_DATA_DIR: dataDir };
    delete env.NODE_OPTIONS; // ignored by the packaged app anyway (fuse), and it would say so
    delete env.ELECTRON_RUN_AS_NODE;
    const running = await launch(env);
    try {
      const { page } = running;
      expect(await page.evaluate(() => [typeof (globalThis as { require?: unknown }).require, typeof (globalThis as { process?: unknown }).process])).toEqual(['undefined', 'undefined']);
      expect(await page.evaluate(() => Object.keys((globalThis as unknown as { burrow: object }).burrow).sort())).toEqual(['grantFile', 'invoke', 'on']);

      const answer = await page.evaluate(async (modelPath) => {
        type Result = { ok: true; value: Record<string, unknown> } | { ok: false; error: { code: string; message: string } };
        const burrow = (globalThis as unknown as {
          burrow: { invoke(name: string, input: unknown): Promise<Result>; on(name: string, listener: (payload: Record<string, unknown>) => void): () => void };
        }).burrow;
        const step = async (name: string, input: unknown): Promise<Record<string, unknown>> => {
          const result = await burrow.invoke(name, input);
          if (!result.ok) throw new Error(`${name}: ${result.error.code}: ${result.error.message}`);
          return result.value;
        };
        await step('models.load', { path: modelPath });
        const conversation = await step('conversations.create', {});
        let text = '';
        let firstDelta: () => void = () => undefined;
        const streaming = new Promise<void>((resolve) => (firstDelta = resolve));
        let ended: (payload: Record<string, unknown>) => void = () => undefined;
        const end = new Promise<Record<string, unknown>>((resolve) => (ended = resolve));
        burrow.on('generation.delta', (payload) => {
          text += String(payload.text);
          firstDelta();
        });
        burrow.on('generation.end', (payload) => ended(payload));
        const sent = await step('chat.send', { conversationId: conversation.id, text: 'Hello from the packaged app' });
        await streaming;
        await step('chat.cancel', { generationId: sent.generationId });
        const { reason, error } = await end;
        return { text, reason, error };
      }, model);
      expect(answer.error, JSON.stringify(answer.error)).toBeUndefined();
      expect(['cancelled', 'done']).toContain(answer.reason);
      expect(answer.text.length).toBeGreaterThan(0);
    } catch (error) {
      console.log(`Packaged app output:\n${running.output()}`);
      throw error;
    } finally {
      await quit(running);
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});
