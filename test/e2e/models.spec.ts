/**
 * Models end to end, through the browser host with the real core: the first-run screen, a
 * download from a loopback stand-in for the model host (visible progress, pause and resume, a
 * corrupted download that saves nothing), the model loading and its first answer streaming,
 * drag-and-drop import (a model, and a hostile file), and the library (facts, hardware, delete
 * with confirmation). Screenshots in light and dark land in test-results/screens/.
 */
import type { Page } from '@playwright/test';
import { createHash } from 'node:crypto';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, realpathSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createAssistant, type Assistant } from '../../src/core/assistant';
import { spawnNodeEngine } from '../../src/core/process/node-spawn';
import { loadCatalog } from '../../src/core/models/catalog';
import { buildFallbackFile, fileBuildFallback } from '../../src/core/engine/build-fallback';
import { findProjectRoot } from '../../src/core/process/project-root';
import { startWebHost, type WebHost } from '../../src/host/web/server';
import type { CatalogEntry } from '../../src/shared/contract';
import { formatBytes } from '../../src/shared/format-bytes';
import { startModelServer, type ModelServer } from '../support/model-server';
import { streamingModelPath, tinyModelPath } from '../support/tiny-model';
import { scanAccessibility } from './accessibility';
import { test as base, expect, fromSidebar, screenshot, type BurrowApp } from './fixtures';

const root = findProjectRoot();
const REVISION = '0123456789abcdef0123456789abcdef01234567';
const TEST_ID = 'burrow-streaming-test';
const TEST_FILE = 'burrow-streaming-test.gguf';
const SERVED_PATH = `/burrow-test/streaming-GGUF/resolve/${REVISION}/${TEST_FILE}`;

/** The streaming test model as a catalog entry (its real size and SHA-256), offered first; the real alternatives after it. */
function testCatalog(model: Buffer): CatalogEntry[] {
  const entry: CatalogEntry = {
    id: TEST_ID,
    name: 'Burrow streaming-test model',
    description: 'A small model the test suite writes itself, served from this computer. It answers in words about burrows.',
    repo: 'burrow-test/streaming-GGUF',
    revision: REVISION,
    file: TEST_FILE,
    sizeBytes: model.length,
    sha256: createHash('sha256').update(model).digest('hex'),
    licence: 'MIT',
    licenceUrl: 'https://example.com/licence',
    parameters: '3M',
    quantisation: 'F32',
    ramBytes: 64 * 1024 * 1024,
    contextLength: 2048,
    recommended: true,
  };
  return [entry, ...loadCatalog().filter((candidate) => !candidate.recommended)];
}

interface ModelsFixtures {
  /** 'test': the streaming test model first (downloads work); 'bundled': Burrow's own catalog (screenshots only). */
  catalogKind: 'test' | 'bundled';
  modelServer: ModelServer;
}

const test = base.extend<ModelsFixtures>({
  catalogKind: ['test', { option: true }],
  // Playwright reads the fixture's dependencies from this destructuring pattern; this one has none.
  // eslint-disable-next-line no-empty-pattern
  modelServer: async ({}, use) => {
    const server = await startModelServer();
    server.serve(SERVED_PATH, readFileSync(streamingModelPath()));
    await use(server);
    await server.close();
  },
  burrow: async ({ modelServer, catalogKind }, use) => {
    const dataDir = mkdtempSync(join(tmpdir(), 'burrow-e2e-models-'));
    const modelPath = streamingModelPath();
    const start = async (): Promise<{ assistant: Assistant; host: WebHost }> => {
      const assistant = createAssistant({
        dataDir,
        spawnEngine: spawnNodeEngine(),
        engineSettings: { maxTokens: 1500, seed: 7 },
        pickModelFile: () => Promise.resolve(modelPath),
        modelMirror: modelServer.base,
        ...(catalogKind === 'test' ? { modelCatalog: testCatalog(readFileSync(modelPath)) } : {}),
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

async function inBothThemes(page: Page, name: string, shoot: (name: string) => Promise<void> = (file) => screenshot(page, file)): Promise<void> {
  // Reduced motion: the theme switches at once, with no colour transition caught half-way.
  await page.emulateMedia({ colorScheme: 'light', reducedMotion: 'reduce' });
  await shoot(`${name}-light`);
  await page.emulateMedia({ colorScheme: 'dark', reducedMotion: 'reduce' });
  await shoot(`${name}-dark`);
  await page.emulateMedia({ colorScheme: 'light', reducedMotion: 'no-preference' });
}

/** The accessibility scans (axe and our own contrast check) in the light and the dark theme. */
async function scanBothThemes(page: Page, what: string): Promise<void> {
  for (const scheme of ['light', 'dark'] as const) {
    await page.emulateMedia({ colorScheme: scheme, reducedMotion: 'reduce' });
    expect(await scanAccessibility(page), `${what}, ${scheme}`).toEqual([]);
  }
  await page.emulateMedia({ colorScheme: 'light', reducedMotion: 'no-preference' });
}

/** Drags a file built from `bytes` over the window and drops it, as a file manager would. */
async function dropFile(page: Page, name: string, bytes: Buffer, options: { screenshotOverlay?: string } = {}): Promise<void> {
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
  await page.dispatchEvent('main', 'dragenter', { dataTransfer });
  await page.dispatchEvent('main', 'dragover', { dataTransfer });
  await expect(page.getByTestId('drop-overlay')).toBeVisible();
  if (options.screenshotOverlay) await inBothThemes(page, options.screenshotOverlay);
  await page.dispatchEvent('main', 'drop', { dataTransfer });
  await expect(page.getByTestId('drop-overlay')).toBeHidden();
}

function ggufFilesIn(dir: string): string[] {
  return existsSync(dir) ? readdirSync(dir).filter((name) => name.endsWith('.gguf')) : [];
}

test.describe('first run', () => {
  test.describe('with Burrow’s own catalog', () => {
    test.use({ catalogKind: 'bundled' });

    test('offers TinyLlama first, the alternatives with their costs, and a model already on disk', async ({ page, burrow }) => {
      await page.goto(burrow.host.url);
      const firstRun = page.getByTestId('first-run');
      await expect(firstRun).toBeVisible();
      await expect(firstRun).toContainText(/nothing you write leaves this computer/i);
      await expect(firstRun.getByTestId('download-button').first()).toHaveText(/Download TinyLlama 1\.1B Chat \(Q4_K_M, about 669 MB\)/);
      const entries = firstRun.getByTestId('catalog-entry');
      await expect(entries).toHaveCount(3);
      for (const entry of loadCatalog()) {
        const card = firstRun.locator(`[data-catalog-id="${entry.id}"]`);
        await expect(card).toContainText(entry.name);
        await expect(card).toContainText(entry.licence);
        await expect(card).toContainText(/about .* of memory/);
      }
      await expect(firstRun.getByTestId('use-local-model')).toHaveText(/Use a \.gguf file I already have/);
      await inBothThemes(page, 'models-01-welcome');

      // "Use a .gguf file I already have" opens the picker and loads the file; the chat takes over.
      await firstRun.getByTestId('use-local-model').click();
      await expect(page.getByTestId('model-chip')).toContainText(/streaming-test/i);
      await expect(page.getByTestId('first-run')).toBeHidden();
      await expect(page.getByTestId('start-chat')).toBeVisible();
    });
  });

  test('download the recommended model with visible progress, pause and resume it; it loads and the first answer streams', async ({ page, burrow, modelServer }) => {
    // The first request stops sending at 40 %, as a stalled connection would.
    modelServer.inject(SERVED_PATH, { kind: 'stall', fraction: 0.4 }, 1);
    await page.goto(burrow.host.url);
    const card = page.locator(`[data-testid="catalog-entry"][data-catalog-id="${TEST_ID}"]`);
    await expect(card.getByTestId('download-button')).toHaveText(/Download Burrow streaming-test model \(F32, about \d+ MB\)/);
    await card.getByTestId('download-button').click();

    const progress = card.getByTestId('download-progress');
    await expect(progress).toHaveAttribute('data-state', 'downloading');
    await expect(card.getByTestId('download-percent')).toHaveText('40%');
    await expect(card.getByTestId('download-detail')).toHaveText(/[\d.]+ MB of [\d.]+ MB/);
    await expect(card.getByRole('progressbar')).toHaveAttribute('aria-valuenow', '40');
    await inBothThemes(page, 'models-02-downloading');

    await card.getByTestId('download-pause').click();
    await expect(progress).toHaveAttribute('data-state', 'paused');
    await expect(card.getByTestId('download-percent')).toHaveText('40%');
    await card.getByTestId('download-resume').click();

    // Done, checked, loaded, and a chat is open with the new model.
    await expect(page.getByTestId('composer')).toBeVisible({ timeout: 30_000 });
    await expect(page.getByTestId('model-chip')).toContainText(/streaming-test/i);
    await expect(page.getByTestId('model-chip')).toHaveAttribute('data-state', 'ready');
    const saved = join(burrow.dataDir, 'models', TEST_FILE);
    expect(readFileSync(saved).equals(readFileSync(streamingModelPath())), 'the downloaded file is the served model, byte for byte').toBe(true);
    const ranges = modelServer.requests.filter((request) => request.path === SERVED_PATH).map((request) => request.range);
    expect(ranges.at(-1), 'the resumed request asked for the rest only').toMatch(/^bytes=[1-9]\d*-$/);

    await page.getByTestId('composer').fill('Tell me about burrows');
    await page.getByTestId('composer').press('Enter');
    const answer = page.locator('[data-testid="message"][data-role="assistant"]').last();
    await expect(answer).toHaveAttribute('data-status', 'streaming');
    await expect.poll(async () => (await answer.textContent())?.trim().length ?? 0).toBeGreaterThan(20);
    await page.getByTestId('stop').click();
    await expect(answer).toHaveAttribute('data-status', /cancelled|complete/);
  });

  test('a corrupted download says why, saves nothing and offers no "Use"; trying again works', async ({ page, burrow, modelServer }) => {
    modelServer.inject(SERVED_PATH, { kind: 'flip-byte' }, 1);
    await page.goto(burrow.host.url);
    const card = page.locator(`[data-testid="catalog-entry"][data-catalog-id="${TEST_ID}"]`);
    await card.getByTestId('download-button').click();

    const error = card.getByTestId('download-error');
    await expect(error).toBeVisible();
    await expect(error).toContainText('Nothing was saved.');
    await expect(error).toContainText(/corrupted|checksum|SHA-256/i);
    // Its words match its buttons: nothing about resuming where there is nothing to resume.
    await expect(error).not.toContainText(/resume/i);
    // The failed card offers to try again or dismiss, never to use what failed.
    await expect(card.getByRole('button')).toHaveText(['Try again', 'Dismiss']);
    await expect(page.getByTestId('model-chip')).toHaveAttribute('data-state', 'idle');
    expect(ggufFilesIn(join(burrow.dataDir, 'models'))).toEqual([]);
    await expect(page.getByTestId('first-run')).toBeVisible();
    await inBothThemes(page, 'models-03-download-failed');

    await card.getByTestId('download-retry').click();
    await expect(page.getByTestId('composer')).toBeVisible({ timeout: 30_000 });
    expect(ggufFilesIn(join(burrow.dataDir, 'models'))).toEqual([TEST_FILE]);
  });

  test('offline mode blocks even a download the user asks for; the network activity view lists every attempt, allowed or blocked', async ({ page, burrow, modelServer }) => {
    await page.goto(burrow.host.url);
    await page.getByTestId('open-settings').click();
    const activity = page.getByTestId('network-activity');
    await expect(activity.getByTestId('network-activity-empty')).toBeVisible();
    await expect(page.getByTestId('privacy-status')).toHaveText('Private · stays on this computer');
    await page.getByTestId('setting-offline-mode').check();
    await expect(page.getByTestId('privacy-status')).toHaveText('Offline mode · nothing leaves');
    await expect.poll(() => burrow.assistant.egress.offline, 'the egress gate itself is offline').toBe(true);

    await page.getByTestId('settings-back').click();
    const card = page.locator(`[data-testid="catalog-entry"][data-catalog-id="${TEST_ID}"]`);
    await card.getByTestId('download-button').click();
    await expect(card.getByTestId('download-error')).toContainText('Offline mode is on');
    expect(modelServer.requests, 'no request reached the model host').toEqual([]);

    await page.getByTestId('open-settings').click();
    const blocked = activity.locator('[data-testid="network-attempt"][data-allowed="false"]');
    await expect(blocked).toHaveCount(1);
    await expect(blocked).toContainText(`${modelServer.base}${SERVED_PATH}`);
    await expect(blocked).toContainText('Offline mode is on.');
    await page.getByTestId('settings-privacy').evaluate((element) => element.scrollIntoView({ block: 'start' }));
    await inBothThemes(page, 'privacy-network-activity');

    // Off again: the download the user retries goes through, and is logged as allowed.
    await page.getByTestId('setting-offline-mode').uncheck();
    await page.getByTestId('settings-back').click();
    await card.getByTestId('download-retry').click();
    await expect(page.getByTestId('composer')).toBeVisible({ timeout: 30_000 });
    await page.getByTestId('open-settings').click();
    await expect(activity.locator('[data-testid="network-attempt"][data-allowed="true"]').first()).toContainText(SERVED_PATH);
    await expect(blocked).toHaveCount(1);
  });
});

test.describe('import and library', () => {
  test('a .gguf dropped on the window is added, loaded and listed; the library shows its facts and deletes it after confirming', async ({ page, burrow }) => {
    await page.goto(burrow.host.url);
    await expect(page.getByTestId('first-run')).toBeVisible();
    await dropFile(page, 'dropped-model.gguf', readFileSync(tinyModelPath()), { screenshotOverlay: 'models-04-drop' });

    // The drop loads the model (none was loaded) and opens a chat.
    await expect(page.getByTestId('composer')).toBeVisible({ timeout: 30_000 });
    await expect(page.getByTestId('model-chip')).toContainText('Burrow tiny test model');
    await expect(page.getByTestId('import-progress')).toBeHidden();
    expect(ggufFilesIn(join(burrow.dataDir, 'models'))).toEqual(['dropped-model.gguf']);

    // The library, from the sidebar.
    await page.getByTestId('open-models').click();
    const view = page.getByTestId('models-view');
    await expect(view).toBeVisible();
    const row = view.locator('[data-testid="library-model"][data-file="dropped-model.gguf"]');
    await expect(row).toHaveAttribute('data-loaded', 'true');
    await expect(row).toContainText('Burrow tiny test model');
    await expect(row).toContainText('Added by drag and drop');
    await expect(row).toContainText('llama');
    await expect(row).toContainText('F32');
    await expect(row).toContainText('2,048 tokens');
    await expect(row.getByText('Yes', { exact: true })).toBeVisible();
    await expect(view.getByTestId('hardware-backend')).toHaveText('CPU');
    await expect(view.getByTestId('hardware-engine')).toHaveText(/^(Burrow’s build for this CPU|Burrow’s optimised build|Standard llama\.cpp build)$/);
    await expect(view.getByTestId('hardware-ram')).toContainText('free of');
    await expect(row.getByTestId('reveal-model'), 'the browser host cannot show a file in its folder').toHaveCount(0);

    // The loaded model says what memory it holds.
    await expect(row.getByTestId('memory-estimate')).toHaveAttribute('data-in-use', 'true');
    await expect(row.getByTestId('memory-estimate')).toContainText(/Uses about .* of memory while loaded/);
    // A second model from disk, to see the estimate shown before loading.
    await page.getByTestId('model-chip').click();
    await page.getByTestId('open-model').click();
    const other = view.locator('[data-testid="library-model"][data-loaded="true"]');
    await expect(other).toContainText('streaming-test');
    await expect(row.getByTestId('memory-estimate')).toContainText(/Needs about .* free/);
    await expect(row.getByTestId('load-model')).toBeVisible();
    await row.getByTestId('advanced').click();
    await expect(row.getByTestId('model-overrides')).toBeVisible();
    await inBothThemes(page, 'models-05-library');
    await inBothThemes(page, 'models-06-hardware', (name) => view.getByTestId('hardware-panel').screenshot({ path: join(root, 'test-results', 'screens', `${name}.png`) }).then(() => undefined));
    await row.getByTestId('advanced').click();

    // Each conversation can answer with its own model, chosen in the chat header; it loads before the answer.
    await page.getByTestId('back-to-chat').click();
    const picker = page.getByTestId('conversation-model');
    await expect(picker.locator('option')).toHaveText(['Default (Burrow streaming-test model)', 'Burrow streaming-test model', 'Burrow tiny test model']);
    await picker.selectOption({ label: 'Burrow tiny test model' });
    await page.getByTestId('composer').fill('Which model is this?');
    await page.getByTestId('composer').press('Enter');
    await expect(page.getByTestId('model-chip')).toContainText('Burrow tiny test model');
    await expect(page.locator('[data-testid="message"][data-role="assistant"]').last()).toHaveAttribute('data-status', /complete|cancelled|streaming/);
    await inBothThemes(page, 'models-07-conversation-model');
    await page.reload();
    await expect(page.getByTestId('conversation-model')).toHaveValue(/dropped-model\.gguf$/);

    // Delete, after confirming: the loaded model is unloaded first.
    await page.getByTestId('open-models').click();
    await expect(row).toHaveAttribute('data-loaded', 'true');
    await row.getByTestId('delete-model').click();
    const dialog = page.locator('dialog[open]');
    await expect(dialog).toContainText('Delete this model?');
    await expect(dialog).toContainText('“Burrow tiny test model”');
    await expect(dialog).toContainText('after it is unloaded');
    await dialog.getByRole('button', { name: 'Cancel' }).click();
    await expect(row).toBeVisible();
    await row.getByTestId('delete-model').click();
    await page.locator('dialog[open]').getByTestId('confirm-delete').click();
    await expect(row).toHaveCount(0);
    expect(ggufFilesIn(join(burrow.dataDir, 'models'))).toEqual([]);
    await expect(page.getByTestId('model-chip')).toHaveAttribute('data-state', 'idle');
    // The model opened from disk is never deletable, only listed.
    await expect(other.getByTestId('delete-model')).toHaveCount(0);
  });

  test('a PDF renamed .gguf is refused with the reason, and nothing is saved', async ({ page, burrow }) => {
    await page.goto(burrow.host.url);
    // Over a megabyte: full-size chunks cross the browser host's WebSocket before the check refuses it.
    const pdf = Buffer.concat([Buffer.from('%PDF-1.7\n%âãÏÓ\n1 0 obj\n<< /Type /Catalog >>\nendobj\n'), Buffer.alloc(1_200_000, 0x20)]);
    await dropFile(page, 'report.gguf', pdf);
    const error = page.getByTestId('import-error');
    await expect(error).toBeVisible();
    // The title says it was not added; the reason under it does not say so again.
    await expect(page.getByTestId('import-progress')).toContainText('“report.gguf” was not added');
    await expect(error).not.toContainText('was not added');
    await expect(error).toContainText('Nothing was saved.');
    await expect(page.getByTestId('import-progress')).toHaveAttribute('data-phase', 'failed');
    expect(ggufFilesIn(join(burrow.dataDir, 'models'))).toEqual([]);
    expect(existsSync(join(burrow.dataDir, 'models', '.import')) ? readdirSync(join(burrow.dataDir, 'models', '.import')) : []).toEqual([]);
    await expect(page.getByTestId('first-run')).toBeVisible();
  });
});

test.describe('choosing a model already on this computer', () => {
  /** Puts model files in the library's folder before the window opens, as if downloaded earlier and never loaded. */
  function intoLibrary(burrow: BurrowApp, files: Record<string, string>): void {
    const folder = join(burrow.dataDir, 'models');
    mkdirSync(folder, { recursive: true });
    for (const [name, source] of Object.entries(files)) copyFileSync(source, join(folder, name));
  }

  test('the model menu lists the library’s models with size, quantisation and memory fit, and loads the chosen one from the keyboard', async ({ page, burrow }) => {
    intoLibrary(burrow, { 'a-streaming.gguf': streamingModelPath(), 'b-tiny.gguf': tinyModelPath() });
    await page.setViewportSize({ width: 640, height: 760 });
    await page.goto(burrow.host.url);

    // The welcome offers the models on this computer rather than only "Open a .gguf file".
    const offered = page.getByTestId('welcome-model');
    await expect(offered).toHaveCount(2);
    await expect(offered.first()).toContainText('Burrow streaming-test model');
    await expect(offered.first()).toContainText(formatBytes(statSync(streamingModelPath()).size));
    await inBothThemes(page, 'models-08-welcome-library');

    const chip = page.getByTestId('model-chip');
    await expect(chip).toHaveAttribute('data-state', 'idle');
    await expect(chip).toContainText('Choose…');
    await chip.click();
    const choices = page.getByTestId('model-choice');
    await expect(choices).toHaveCount(2);
    const tiny = page.locator('[data-testid="model-choice"][data-file="b-tiny.gguf"]');
    await expect(tiny).toContainText('Burrow tiny test model');
    await expect(tiny).toContainText(formatBytes(statSync(tinyModelPath()).size));
    await expect(tiny).toContainText('F32');
    await expect(tiny.getByTestId('model-fit')).toHaveText('Fits in memory');
    await expect(choices.first().getByTestId('model-fit')).toHaveText('Fits in memory');
    await inBothThemes(page, 'models-09-chip-menu');
    await scanBothThemes(page, 'the open model menu');

    // The first choice has the focus; the arrow key reaches the second, Enter loads it.
    await expect(choices.first()).toBeFocused();
    await page.keyboard.press('ArrowDown');
    await expect(tiny).toBeFocused();
    await page.keyboard.press('Enter');
    await expect(chip).toHaveAttribute('data-state', 'ready', { timeout: 60_000 });
    await expect(chip).toContainText('Burrow tiny test model');
    await expect(page.locator('#model-menu')).toBeHidden();
    expect(burrow.assistant.engine.localStatus().model?.path).toBe(realpathSync(join(burrow.dataDir, 'models', 'b-tiny.gguf')));

    // Open again: the loaded one is marked and listed first, and Tab reaches the other one too.
    await chip.click();
    await expect(tiny).toHaveAttribute('aria-current', 'true');
    await expect(tiny).toContainText('Loaded');
    await expect(tiny).toBeFocused();
    await page.keyboard.press('Tab');
    const streaming = page.locator('[data-testid="model-choice"][data-file="a-streaming.gguf"]');
    await expect(streaming).toBeFocused();
    await page.keyboard.press('Enter');
    await expect(chip).toContainText('Burrow streaming-test model', { timeout: 60_000 });
    await expect(chip).toHaveAttribute('data-state', 'ready');
  });

  test('with one model in the library and none loaded, typing in the composer loads it and sending works', async ({ page, burrow }) => {
    intoLibrary(burrow, { 'only-model.gguf': streamingModelPath() });
    await page.setViewportSize({ width: 640, height: 760 });
    await page.goto(burrow.host.url);
    await expect(page.getByTestId('welcome-model')).toHaveCount(1);
    await fromSidebar(page, 'new-chat');

    const composer = page.getByTestId('composer');
    await expect(composer).toBeEnabled();
    await expect(page.getByTestId('will-load-model')).toContainText('Burrow streaming-test model loads when you start typing.');
    await expect(page.getByTestId('model-chip')).toHaveAttribute('data-state', 'idle');
    await inBothThemes(page, 'models-10-loads-when-typing');

    await composer.pressSequentially('Tell me');
    await expect(page.getByTestId('model-chip')).toHaveAttribute('data-state', 'ready', { timeout: 60_000 });
    await expect(page.getByTestId('model-chip')).toContainText('Burrow streaming-test model');
    await expect(composer).toHaveValue('Tell me');
    await composer.press('Enter');
    const answer = page.locator('[data-testid="message"][data-role="assistant"]').last();
    await expect.poll(async () => (await answer.textContent())?.trim().length ?? 0, { timeout: 30_000 }).toBeGreaterThan(10);
    if ((await answer.getAttribute('data-status')) === 'streaming') await page.getByTestId('stop').click();
    await expect(answer).toHaveAttribute('data-status', /cancelled|complete/);
  });

  test('“Start a chat” loads the only model at once', async ({ page, burrow }) => {
    intoLibrary(burrow, { 'only-model.gguf': tinyModelPath() });
    await page.goto(burrow.host.url);
    await page.getByTestId('start-chat').click();
    await expect(page.getByTestId('composer')).toBeEnabled();
    await expect(page.getByTestId('model-chip')).toHaveAttribute('data-state', 'ready', { timeout: 60_000 });
    await expect(page.getByTestId('model-chip')).toContainText('Burrow tiny test model');
  });
});

test.describe('a model file deleted while loaded', () => {
  test('the chip and the Models view say the file is gone and where it was, chat goes on from memory, Unload stays; after a restart the message names the file, and “Find it again…” replaces it', async ({ page, burrow }) => {
    const folder = join(burrow.dataDir, 'models');
    mkdirSync(folder, { recursive: true });
    const gone = join(folder, 'gone.gguf');
    copyFileSync(tinyModelPath(), gone);
    const where = realpathSync(folder);
    await page.setViewportSize({ width: 640, height: 760 });
    await page.goto(burrow.host.url);
    await page.getByTestId('start-chat').click();
    const chip = page.getByTestId('model-chip');
    await expect(chip).toHaveAttribute('data-state', 'ready', { timeout: 60_000 });
    await expect(chip).toContainText('Burrow tiny test model');

    rmSync(gone);
    await expect(chip).toContainText('file deleted', { timeout: 15_000 });
    await chip.click();
    const inMenu = page.locator('#model-menu').getByTestId('model-file-missing');
    await expect(inMenu).toContainText('The model file “gone.gguf” is gone.');
    await expect(inMenu).toContainText(`It was in ${where}`);
    await expect(page.getByTestId('chip-unload')).toBeVisible();
    await expect(page.locator('[data-testid="model-choice"][data-file="gone.gguf"]')).toContainText('File deleted');
    await inBothThemes(page, 'models-11-file-deleted-menu');
    await scanBothThemes(page, 'the model menu with the file deleted');
    await page.keyboard.press('Escape');

    // The engine answers from memory.
    await page.getByTestId('composer').fill('Are you still there?');
    await page.getByTestId('composer').press('Enter');
    const answer = page.locator('[data-testid="message"][data-role="assistant"]').last();
    await expect(answer).toHaveAttribute('data-status', /complete|cancelled/, { timeout: 30_000 });

    // The Models view lists it, loaded, with the file marked deleted and Unload.
    await fromSidebar(page, 'open-models');
    const row = page.locator('[data-testid="library-model"][data-file="gone.gguf"]');
    await expect(row).toHaveAttribute('data-missing', 'true');
    await expect(row).toHaveAttribute('data-loaded', 'true');
    await expect(row).toContainText('File deleted');
    await expect(row.getByTestId('model-file-missing')).toContainText(`It was in ${where}`);
    await expect(row.getByTestId('model-file-missing')).toContainText('Burrow answers from memory until the model is unloaded.');
    await expect(page.getByText('No models yet')).toHaveCount(0);
    await expect(row.getByTestId('delete-model')).toHaveCount(0);
    await inBothThemes(page, 'models-12-file-deleted-library');
    await scanBothThemes(page, 'the Models view with the file deleted');
    await row.getByTestId('unload-model').click();
    await expect(row).toHaveAttribute('data-loaded', 'false');
    await expect(row).toHaveAttribute('data-missing', 'true');
    await expect(chip).toContainText('file missing');

    // After a restart: the message names the file and where it was, not the generic one.
    await burrow.restart();
    await page.goto(burrow.host.url);
    await fromSidebar(page, 'conversation-item');
    const notice = page.getByTestId('engine-model-missing');
    await expect(notice).toContainText('The model file “gone.gguf” is gone.');
    await expect(notice).toContainText(`It was in ${where}`);
    await expect(page.getByTestId('no-model')).toHaveCount(0);
    await expect(chip).toContainText('file missing');
    await inBothThemes(page, 'models-13-file-missing-after-restart');
    await scanBothThemes(page, 'the chat after a restart with the file missing');

    // "Find it again…" opens the file picker (here: the streaming model), which takes its place.
    await notice.getByTestId('find-model-again').click();
    await expect(chip).toContainText('Burrow streaming-test model', { timeout: 60_000 });
    await expect(page.getByTestId('model-file-missing')).toHaveCount(0);
    await fromSidebar(page, 'open-models');
    await expect(page.locator('[data-testid="library-model"][data-file="gone.gguf"]')).toHaveCount(0);
    await expect(page.locator('[data-testid="library-model"][data-default="true"]')).toContainText('Burrow streaming-test model');
  });
});

test('after a restart, a default model whose file is gone is named on the welcome; “Choose another” opens the model menu and the one chosen takes over', async ({ page, burrow }) => {
  const folder = join(burrow.dataDir, 'models');
  mkdirSync(folder, { recursive: true });
  copyFileSync(tinyModelPath(), join(folder, 'gone.gguf'));
  copyFileSync(streamingModelPath(), join(folder, 'other.gguf'));
  const where = realpathSync(folder);
  await burrow.assistant.library.load(realpathSync(join(folder, 'gone.gguf')));
  await burrow.restart(() => rmSync(join(folder, 'gone.gguf')));
  await page.setViewportSize({ width: 640, height: 760 });
  await page.goto(burrow.host.url);

  const missing = page.getByTestId('welcome-model-missing');
  await expect(missing).toContainText('The model file “gone.gguf” is gone.');
  await expect(missing).toContainText(`It was in ${where}`);
  await expect(page.getByTestId('welcome-model')).toHaveCount(1);
  await inBothThemes(page, 'models-14-welcome-file-missing');
  await scanBothThemes(page, 'the welcome with the default model’s file missing');

  await missing.getByTestId('choose-another-model').click();
  const other = page.locator('[data-testid="model-choice"][data-file="other.gguf"]');
  await expect(other).toBeVisible();
  await other.click();
  await expect(page.getByTestId('model-chip')).toContainText('Burrow streaming-test model', { timeout: 60_000 });
  await expect(page.getByTestId('welcome-model-missing')).toHaveCount(0);
  const listed = await burrow.assistant.library.snapshot();
  expect(listed.models.map((model) => model.fileName)).toEqual(['other.gguf']);
});

test('when Burrow’s own engine build failed on this computer, This computer says the standard build is used, and why', async ({ page, burrow }) => {
  // The record the engine host writes when the own build dies (src/core/engine/build-fallback.ts), for this CPU and these recipes.
  await burrow.restart(() => fileBuildFallback(buildFallbackFile(burrow.dataDir)).write('Burrow’s engine build stopped with an illegal instruction at its first answer'));
  await page.goto(burrow.host.url);
  await fromSidebar(page, 'open-models');
  const view = page.getByTestId('models-view');
  await expect(view.getByTestId('hardware-engine')).toHaveText('Standard llama.cpp build', { timeout: 30_000 });
  const note = view.getByTestId('hardware-engine-fallback');
  await expect(note).toHaveText('Burrow’s faster build stopped on this computer, so it is not used.');
  await expect(note).toHaveAttribute('title', /illegal instruction/);
  await note.scrollIntoViewIfNeeded();
  await screenshot(page, 'models-09-engine-fallback');
  await page.setViewportSize({ width: 640, height: 800 });
  await note.scrollIntoViewIfNeeded();
  await expect(note).toBeVisible();
  await screenshot(page, 'models-09-engine-fallback-narrow');
});
