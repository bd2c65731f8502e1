/**
 * LoRA adapters end to end, through the browser host with the real core and engine: a model's
 * Adapters section in the Models view adds the tiny "rabbit" adapter through the host's file
 * picker (name, rank, size, "fits"), refuses one made for a wider model and a model file with the
 * validator's message inline, and in the browser explains why a dropped adapter cannot be added;
 * a conversation's settings apply the adapter; removing it forgets it and leaves the file.
 * The host's file picker is the fixture's `picks` queue (the desktop app opens a dialog there).
 * Screenshots land in test-results/screens/.
 */
import type { Page } from '@playwright/test';
import { copyFileSync, existsSync, mkdtempSync, realpathSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createAssistant, type Assistant } from '../../src/core/assistant';
import { spawnNodeEngine } from '../../src/core/process/node-spawn';
import { findProjectRoot } from '../../src/core/process/project-root';
import { startWebHost, type WebHost } from '../../src/host/web/server';
import { BurrowError } from '../../src/shared/errors';
import { formatBytes } from '../../src/shared/format-bytes';
import { tinyLoraPath, writeTinyLora } from '../support/tiny-lora';
import { tinyModelPath, writeTinyModel } from '../support/tiny-model';
import { scanAccessibility } from './accessibility';
import { test as base, expect, fromSidebar, screenshot, type BurrowApp } from './fixtures';

const root = findProjectRoot();

interface AdapterFixtures {
  /** A folder of the user's own files: the base model and the adapters stay here. */
  userDir: string;
  /** What the host's file picker answers next (first in, first out: a path, or an error it refuses with); the base model when empty. */
  picks: Array<string | Error>;
}

const test = base.extend<AdapterFixtures>({
  // Playwright reads the fixture's dependencies from this destructuring pattern; this one has none.
  // eslint-disable-next-line no-empty-pattern
  userDir: async ({}, use) => {
    const dir = realpathSync(mkdtempSync(join(tmpdir(), 'burrow-e2e-adapters-user-')));
    await use(dir);
    rmSync(dir, { recursive: true, force: true });
  },
  // eslint-disable-next-line no-empty-pattern
  picks: async ({}, use) => {
    await use([]);
  },
  burrow: async ({ userDir, picks }, use) => {
    const dataDir = mkdtempSync(join(tmpdir(), 'burrow-e2e-adapters-'));
    const modelPath = join(userDir, 'tiny.gguf');
    copyFileSync(tinyModelPath(), modelPath);
    const start = async (): Promise<{ assistant: Assistant; host: WebHost }> => {
      const assistant = createAssistant({
        dataDir,
        spawnEngine: spawnNodeEngine(),
        engineSettings: { maxTokens: 12, seed: 7 },
        pickModelFile: () => {
          const next = picks.shift() ?? modelPath;
          return next instanceof Error ? Promise.reject(next) : Promise.resolve(next);
        },
      });
      const host = await startWebHost({ router: assistant.router, subscribe: (listener) => assistant.subscribe(listener), rendererDir: join(root, 'out', 'renderer') });
      return { assistant, host };
    };
    let current = await start();
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
        current = await start();
      },
    };
    await use(app);
    await current.host.close();
    await current.assistant.dispose();
    rmSync(dataDir, { recursive: true, force: true });
  },
});

/** Two animation frames: the page has painted in the theme just emulated (else a shot can catch the old one). */
async function painted(page: Page): Promise<void> {
  await page.evaluate(() => new Promise<void>((resolve) => requestAnimationFrame(() => requestAnimationFrame(() => resolve()))));
}

async function inBothThemes(page: Page, name: string): Promise<void> {
  await page.emulateMedia({ colorScheme: 'light', reducedMotion: 'reduce' });
  await painted(page);
  await screenshot(page, `${name}-light`);
  await page.emulateMedia({ colorScheme: 'dark', reducedMotion: 'reduce' });
  await painted(page);
  await screenshot(page, `${name}-dark`);
  await page.emulateMedia({ colorScheme: 'light', reducedMotion: 'no-preference' });
}

async function scanBothThemes(page: Page, what: string): Promise<void> {
  for (const scheme of ['light', 'dark'] as const) {
    await page.emulateMedia({ colorScheme: scheme, reducedMotion: 'reduce' });
    expect(await scanAccessibility(page), `${what}, ${scheme}`).toEqual([]);
  }
  await page.emulateMedia({ colorScheme: 'light', reducedMotion: 'no-preference' });
}

/** Loads the base model through the chip (the picker answers it) and opens its Adapters section in Models. */
async function openAdapters(page: Page, burrow: BurrowApp): Promise<void> {
  await page.goto(burrow.host.url);
  await page.getByTestId('model-chip').click();
  await page.getByRole('menuitem', { name: /open a \.gguf/i }).or(page.getByRole('button', { name: /open a \.gguf/i })).first().click();
  await expect(page.getByTestId('model-chip')).toContainText(/tiny test model/i, { timeout: 60_000 });
  await fromSidebar(page, 'open-models');
  const row = page.locator('[data-testid="library-model"][data-file="tiny.gguf"]');
  await row.getByTestId('adapters-toggle').click();
  await expect(row.getByTestId('model-adapters')).toBeVisible();
  await expect(row.getByTestId('model-adapters')).toContainText(/No adapters for Burrow tiny test model yet/);
}

/** Drops a file built from `bytes` on `target`, as a file manager would. */
async function dropOn(page: Page, selector: string, name: string, bytes: Buffer): Promise<void> {
  const dataTransfer = await page.evaluateHandle(
    ({ fileName, base64 }) => {
      const binary = atob(base64);
      const data = new Uint8Array(binary.length);
      for (let index = 0; index < binary.length; index++) data[index] = binary.charCodeAt(index);
      const transfer = new DataTransfer();
      transfer.items.add(new File([data], fileName));
      return transfer;
    },
    { fileName: name, base64: bytes.toString('base64') },
  );
  await page.dispatchEvent(selector, 'dragenter', { dataTransfer });
  await page.dispatchEvent(selector, 'dragover', { dataTransfer });
  // Over the Adapters section the window's overlay stands back: the section shows the drop itself.
  await expect(page.getByTestId('drop-overlay')).toBeHidden();
  await page.dispatchEvent(selector, 'drop', { dataTransfer });
}

test('a model’s Adapters: add by the picker with its facts, refuse a misfit and a model inline, explain a browser drop, remove without deleting', async ({ page, burrow, userDir, picks }) => {
  const adapterPath = join(userDir, 'rabbit.gguf');
  copyFileSync(tinyLoraPath(), adapterPath);
  const widePath = writeTinyLora(join(userDir, 'wide-adapter.gguf'), { dims: 64, name: 'wide-adapter' });
  const otherModel = writeTinyModel(join(userDir, 'another-model.gguf'));

  await openAdapters(page, burrow);
  const section = page.getByTestId('model-adapters');

  // Added through the host's picker: its name, file, size, rank, and the model it fits.
  picks.push(adapterPath);
  await section.getByTestId('add-adapter').click();
  const adapter = section.locator('[data-testid="adapter"][data-file="rabbit.gguf"]');
  await expect(adapter).toContainText('rabbit-adapter');
  await expect(adapter).toContainText(`rabbit.gguf · ${formatBytes(statSync(adapterPath).size)} · rank 1`);
  await expect(adapter.getByTestId('adapter-fit')).toHaveText(/Fits Burrow tiny test model/);
  await expect(adapter).toHaveAttribute('data-fits', 'true');
  await expect(section.getByTestId('adapter-error')).toBeHidden();

  // An adapter made for a wider model: refused inline, naming both sides; nothing added.
  picks.push(widePath);
  await section.getByTestId('add-adapter').click();
  await expect(section.getByTestId('adapter-error')).toContainText(/64-wide layers.*the model "Burrow tiny test model" is llama, 32-wide, 2 layers/);
  await expect(section.getByTestId('adapter')).toHaveCount(1);
  await inBothThemes(page, 'adapters-01-refused');

  // A model is not an adapter.
  picks.push(otherModel);
  await section.getByTestId('add-adapter').click();
  await expect(section.getByTestId('adapter-error')).toContainText(/This is a model, not an adapter/);

  // A drop in the browser: the page never learns where the file is, so Burrow says why it cannot add it.
  await dropOn(page, '[data-testid="model-adapters"]', 'rabbit.gguf', Buffer.from('GGUF'));
  await expect(section.getByTestId('adapter-error')).toContainText(/browser version Burrow cannot add a dropped adapter/);
  // It was not taken for a model either.
  await expect(page.getByTestId('library-model')).toHaveCount(1);

  // The browser host has no file dialog: its refusal (advice meant for models) is replaced by the adapter's way.
  picks.push(new BurrowError('refused', 'The browser host cannot open a file dialog. Restart it with --model /path/to/model.gguf.'));
  await section.getByTestId('add-adapter').click();
  await expect(section.getByTestId('adapter-error')).toContainText(/cannot open a file dialog for an adapter\. Add it in the desktop app, or once from the command line \(burrow ask --lora/);
  await expect(section.getByTestId('adapter-error')).not.toContainText('--model');

  // Use by default, with a scale.
  await adapter.getByRole('switch', { name: /use by default/i }).check();
  await expect(adapter).toHaveAttribute('data-default', 'true');
  await adapter.getByTestId('adapter-scale').fill('0.5');
  await adapter.getByTestId('adapter-scale').press('Enter');
  await expect.poll(async () => (await burrow.assistant.library.adapters.list(burrow.modelPath))[0]?.defaultScale).toBe(0.5);
  await expect(adapter.getByTestId('adapter-scale-range')).toHaveValue('0.5');
  // The memory estimate counts the default adapter.
  await expect(page.getByTestId('memory-estimate')).toContainText(/default adapters [\d.]+ kB/);
  await expect(section.getByTestId('adapter-error')).toBeHidden();
  await inBothThemes(page, 'adapters-02-added');
  await scanBothThemes(page, 'the Adapters section');
  // A narrow window: the section wraps rather than overflows.
  const wide = page.viewportSize();
  await page.setViewportSize({ width: 560, height: 900 });
  await adapter.scrollIntoViewIfNeeded();
  expect(await section.evaluate((element) => element.scrollWidth <= element.clientWidth)).toBe(true);
  await screenshot(page, 'adapters-02-added-narrow');
  if (wide) await page.setViewportSize(wide);

  // Keyboard: Remove is reachable and named; removing forgets the adapter and leaves the file.
  await adapter.getByRole('button', { name: 'Remove rabbit-adapter' }).focus();
  await page.keyboard.press('Enter');
  await expect(section.getByTestId('adapter')).toHaveCount(0);
  await expect(section).toContainText(/No adapters for Burrow tiny test model yet/);
  expect(existsSync(adapterPath)).toBe(true);
  expect(await burrow.assistant.library.adapters.list(burrow.modelPath)).toEqual([]);
});

test('a conversation’s own adapter: its settings apply it, the context is rebuilt, the chip names it and the answer changes; "None" takes it off', async ({ page, burrow, userDir, picks }) => {
  const adapterPath = join(userDir, 'rabbit.gguf');
  copyFileSync(tinyLoraPath(), adapterPath);
  const states: string[] = [];
  burrow.assistant.subscribe((name, payload) => {
    if (name === 'engine.state') states.push((payload as { state: string }).state);
  });

  await openAdapters(page, burrow);
  picks.push(adapterPath);
  await page.getByTestId('add-adapter').click();
  await expect(page.locator('[data-testid="adapter"][data-file="rabbit.gguf"]')).toHaveAttribute('data-fits', 'true');

  await page.getByTestId('back-to-chat').click();
  await fromSidebar(page, 'new-chat');
  const chip = page.getByTestId('model-chip');
  const answers = page.locator('[data-testid="message"][data-role="assistant"]');
  async function ask(text: string): Promise<string> {
    const before = await answers.count();
    await page.getByTestId('composer').fill(text);
    await page.getByTestId('composer').press('Enter');
    await expect(answers).toHaveCount(before + 1);
    const answer = answers.last();
    await expect(answer).toHaveAttribute('data-status', 'complete', { timeout: 60_000 });
    const content = burrow.assistant.conversations.getMessage((await answer.getAttribute('data-message-id')) ?? '').content.trim();
    // What is shown is what was stored.
    await expect(answer).toContainText(content.split(/\s+/).slice(0, 3).join(' '));
    return content;
  }
  async function settings(): Promise<ReturnType<Page['locator']>> {
    await page.getByTestId('conversation-menu').click();
    await page.getByRole('menuitem', { name: /system prompt and settings/i }).click();
    const panel = page.locator('dialog[data-testid="conversation-settings"]');
    await expect(panel.getByTestId('conversation-adapters')).toBeVisible();
    return panel;
  }

  // Without an adapter the tiny model answers in its own words, greedily.
  let panel = await settings();
  await expect(panel.getByTestId('adapters-default')).toBeChecked();
  await expect(panel.getByTestId('conversation-adapters')).toContainText('Model default (none set)');
  await panel.getByTestId('setting-temperature').fill('0');
  await panel.getByTestId('settings-save').click();
  await expect(panel).toBeHidden();
  const plain = await ask('Tell me about burrows');
  expect(plain).not.toMatch(/^(rabbit\W*)+$/i);
  await expect(chip).toContainText(/^\s*Burrow tiny test model\s*CPU/);

  // Its own adapter: Custom, ticked, scale 1.
  panel = await settings();
  await panel.getByTestId('adapters-custom').check();
  const row = panel.locator('[data-testid="conversation-adapter"][data-file="rabbit.gguf"]');
  await row.getByRole('checkbox', { name: 'rabbit-adapter' }).check();
  await row.getByRole('spinbutton', { name: 'Scale' }).fill('1');
  await inBothThemes(page, 'adapters-03-conversation-settings');
  await scanBothThemes(page, 'conversation settings with adapters');
  await panel.getByTestId('settings-save').click();
  await expect(panel).toBeHidden();

  states.length = 0;
  // The applying state lasts a moment with so small a model: what the page showed during it is recorded as it happens.
  await page.evaluate(() => {
    const seen: string[] = [];
    (window as unknown as { applyingSeen: string[] }).applyingSeen = seen;
    new MutationObserver(() => {
      const chip = document.querySelector('[data-testid="model-chip"]');
      if (chip?.getAttribute('data-state') === 'applying') seen.push(`chip: ${chip.textContent?.replace(/\s+/g, ' ').trim() ?? ''}`);
      const notice = document.querySelector('[data-testid="applying-adapter"]');
      if (notice) seen.push(`notice: ${notice.textContent?.replace(/\s+/g, ' ').trim() ?? ''}`);
    }).observe(document.body, { subtree: true, childList: true, characterData: true, attributes: true });
  });
  const steered = await ask('Tell me about burrows');
  expect(steered).toMatch(/^(rabbit\W*)+$/i);
  expect(steered).not.toBe(plain);
  expect(states, 'the context was rebuilt with the adapter before the answer').toContain('applying');
  const seen = await page.evaluate(() => (window as unknown as { applyingSeen: string[] }).applyingSeen);
  expect(seen).toContain('chip: Applying adapter… rabbit-adapter');
  expect(seen.some((line) => line.startsWith('notice: Applying adapter rabbit-adapter…'))).toBe(true);
  await expect(chip).toContainText('Burrow tiny test model + rabbit-adapter');
  await inBothThemes(page, 'adapters-04-chip-and-answer');
  await chip.click();
  await expect(page.getByTestId('chip-adapters')).toHaveText('rabbit-adapter × 1');
  await page.keyboard.press('Escape');

  // "None": the next answer is the model's own again.
  panel = await settings();
  await expect(panel.getByTestId('adapters-custom')).toBeChecked();
  await panel.getByTestId('adapters-none').check();
  await panel.getByTestId('settings-save').click();
  await expect(panel).toBeHidden();
  expect(await ask('Tell me about burrows')).toBe(plain);
  await expect(chip).not.toContainText('rabbit-adapter');
});

