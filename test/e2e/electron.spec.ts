/**
 * The same journey in the real Electron app. Runs wherever the Electron binary is installed;
 * elsewhere (ELECTRON_SKIP_BINARY_DOWNLOAD=1, as on our build machines) it reports itself
 * skipped with the reason.
 */
import { _electron as electron, expect, test } from '@playwright/test';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { findProjectRoot } from '../../src/core/process/project-root';
import { streamingModelPath } from '../support/tiny-model';

const require = createRequire(import.meta.url);
const root = findProjectRoot();

function electronBinary(): string | { missing: string } {
  try {
    const path = require('electron') as unknown as string;
    return existsSync(path) ? path : { missing: `the Electron binary is not at ${path}` };
  } catch (error) {
    return { missing: `the Electron binary is not installed (${(error as Error).message.split('\n')[0]})` };
  }
}

function electronNativeReady(): boolean {
  try {
    const version = (require('electron/package.json') as { version: string }).version;
    return existsSync(join(root, '.native', `electron-${version}-${process.platform}-${process.arch}`, 'better_sqlite3.node'));
  } catch {
    return false;
  }
}

const binary = electronBinary();
const skipReason =
  typeof binary !== 'string'
    ? `Electron suite skipped: ${binary.missing}. Install it with network access (node node_modules/electron/install.js).`
    : !electronNativeReady()
      ? 'Electron suite skipped: better-sqlite3 has no Electron build yet. Run `node scripts/ensure-electron-native.mjs` (npm start does).'
      : undefined;

// Say why in the run's output too: the list reporter shows a skip without its reason.
if (skipReason !== undefined) console.log(skipReason);

test.describe('Electron app', () => {
  test.skip(skipReason !== undefined, skipReason);

  test('secure window, chat with a streaming answer, reopen and find it', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'burrow-electron-'));
    const env = { ...process.env, BURROW_DATA_DIR: dataDir } as Record<string, string>;
    try {
      let app = await electron.launch({ executablePath: binary as string, args: [join(root, 'out', 'main', 'index.js')], env });
      await app.evaluate(({ dialog }, model) => {
        dialog.showOpenDialog = (() => Promise.resolve({ canceled: false, filePaths: [model] })) as typeof dialog.showOpenDialog;
      }, streamingModelPath());
      let page = await app.firstWindow();
      expect(await page.evaluate(() => [typeof (globalThis as { require?: unknown }).require, typeof (globalThis as { process?: unknown }).process])).toEqual(['undefined', 'undefined']);
      expect(await page.evaluate(() => Object.keys((globalThis as unknown as { burrow: object }).burrow).sort())).toEqual(['grantFile', 'invoke', 'on']);
      expect(page.url()).toMatch(/^app:\/\/burrow\//);

      await page.getByTestId('model-chip').click();
      await page.getByRole('menuitem', { name: /open a \.gguf/i }).or(page.getByRole('button', { name: /open a \.gguf/i })).first().click();
      await page.getByTestId('new-chat').first().click();
      await page.getByTestId('composer').fill('Hello from Electron');
      await page.getByTestId('composer').press('Enter');
      const answer = page.locator('[data-testid="message"][data-role="assistant"]').last();
      await expect.poll(async () => (await answer.textContent())?.trim().length ?? 0).toBeGreaterThan(10);
      await page.getByTestId('stop').click();
      await expect(answer).toHaveAttribute('data-status', 'cancelled');
      await app.close();

      app = await electron.launch({ executablePath: binary as string, args: [join(root, 'out', 'main', 'index.js')], env });
      page = await app.firstWindow();
      await page.getByTestId('conversation-item').first().click();
      await expect(page.locator('[data-testid="message"][data-role="user"]')).toContainText('Hello from Electron');
      await app.close();
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});
