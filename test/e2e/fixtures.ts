/**
 * End-to-end fixture: the real core (SQLite in a fresh folder, the engine process running a
 * real GGUF the suite writes itself) behind the real browser host, driven in Debian's Chromium.
 */
import { test as base, expect, type Page } from '@playwright/test';
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createAssistant, type Assistant } from '../../src/core/assistant';
import { spawnNodeEngine } from '../../src/core/process/node-spawn';
import { findProjectRoot } from '../../src/core/process/project-root';
import { startWebHost, type WebHost } from '../../src/host/web/server';
import { streamingModelPath } from '../support/tiny-model';

export interface BurrowApp {
  assistant: Assistant;
  host: WebHost;
  dataDir: string;
  modelPath: string;
  /** Stops the core and starts it again on the same data folder (an app restart); `whileStopped` runs in between. */
  restart(whileStopped?: () => void | Promise<void>): Promise<void>;
}

const root = findProjectRoot();
export const SCREENSHOTS = join(root, 'test-results', 'screens');
mkdirSync(SCREENSHOTS, { recursive: true });

async function startCore(dataDir: string, modelPath: string): Promise<{ assistant: Assistant; host: WebHost }> {
  const assistant = createAssistant({
    dataDir,
    spawnEngine: spawnNodeEngine(),
    engineSettings: { maxTokens: 1500, seed: 7 },
    pickModelFile: () => Promise.resolve(modelPath),
  });
  const host = await startWebHost({ router: assistant.router, subscribe: (listener) => assistant.subscribe(listener), rendererDir: join(root, 'out', 'renderer') });
  return { assistant, host };
}

/** Lines recorded by the egress guard (scripts/run-e2e.mjs loads it into every Node process). */
function nodeEgressAttempts(): string[] {
  const log = process.env.BURROW_EGRESS_LOG;
  if (!log) return [];
  try {
    return readFileSync(log, 'utf8').split('\n').filter(Boolean);
  } catch {
    return [];
  }
}

function isLocal(url: string, origin: string): boolean {
  if (url.startsWith('data:') || url.startsWith('blob:') || url.startsWith('about:')) return true;
  const { protocol, host } = new URL(url);
  return (protocol === 'http:' || protocol === 'ws:') && `http://${host}` === origin;
}

export const test = base.extend<{ burrow: BurrowApp; zeroEgress: void }>({
  /** Every test: Chromium requests nothing beyond the browser host, and no Node process reaches out. */
  zeroEgress: [
    async ({ context, burrow }, use) => {
      const outbound: string[] = [];
      context.on('request', (request) => {
        if (!isLocal(request.url(), burrow.host.origin)) outbound.push(request.url());
      });
      const before = nodeEgressAttempts().length;
      await use();
      expect(outbound, 'requests from Chromium beyond the browser host').toEqual([]);
      expect(nodeEgressAttempts().slice(before), 'outbound connections from Node processes').toEqual([]);
    },
    { auto: true },
  ],
  // Playwright reads the fixture's dependencies from this destructuring pattern; this one has none.
  // eslint-disable-next-line no-empty-pattern
  burrow: async ({}, use) => {
    const dataDir = mkdtempSync(join(tmpdir(), 'burrow-e2e-'));
    const modelPath = streamingModelPath();
    let current = await startCore(dataDir, modelPath);
    const app: BurrowApp = {
      get assistant() {
        return current.assistant;
      },
      get host() {
        return current.host;
      },
      dataDir,
      modelPath,
      async restart(whileStopped) {
        await current.host.close();
        await current.assistant.dispose();
        await whileStopped?.();
        current = await startCore(dataDir, modelPath);
      },
    };
    await use(app);
    await current.host.close();
    await current.assistant.dispose();
    rmSync(dataDir, { recursive: true, force: true });
  },
});

export { expect };

export async function screenshot(page: Page, name: string): Promise<void> {
  await page.screenshot({ path: join(SCREENSHOTS, `${name}.png`) });
}

/** Opens the model picker through the UI and waits until the model is loaded. */
export async function loadModelThroughUi(page: Page): Promise<void> {
  await page.getByTestId('model-chip').click();
  await page.getByRole('menuitem', { name: /open a \.gguf/i }).or(page.getByRole('button', { name: /open a \.gguf/i })).first().click();
  // Starting the engine process and loading takes a few seconds, more on a busy machine.
  await expect(page.getByTestId('model-chip')).toContainText(/streaming-test|tiny/i, { timeout: 60_000 });
}

/** Clicks a control in the sidebar, opening it first when the window is narrow enough to fold it away (below 760 px). */
export async function fromSidebar(page: Page, testId: string): Promise<void> {
  if (!(await page.getByTestId('sidebar').isVisible())) await page.getByTestId('sidebar-toggle').click();
  await page.getByTestId(testId).first().click();
}
