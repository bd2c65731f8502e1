/**
 * Desktop life in the real Electron app: the quick-prompt window and its global shortcut, the
 * tray, the application menu, a second launch with --quick, and the shortcut released on quit.
 * Runs wherever an Electron binary is installed; elsewhere it reports itself skipped with the
 * reason (our build machines have none: the same behaviour is unit-tested with fakes in
 * test/unit/main). The app exposes a few read-only hooks for this suite when BURROW_E2E_HOOKS=1
 * (src/main/desktop.ts): the tray menu cannot be read through Electron's API.
 */
import { _electron as electron, expect, test, type ElectronApplication, type Page } from '@playwright/test';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { findProjectRoot } from '../../src/core/process/project-root';
import { electronBinary, electronSkipReason } from './electron-binary';

const root = findProjectRoot();
const skipReason = electronSkipReason('Electron desktop suite');
if (skipReason !== undefined) console.log(skipReason);

interface DesktopHooks {
  toggleQuick(): void;
  quickVisible(): boolean;
  /** The tray menu's labels; null when this desktop has no tray. */
  trayMenu(): string[] | null;
  shortcutRegistered(accelerator: string): boolean;
}

type WithHooks = typeof globalThis & { __burrowDesktop: DesktopHooks };

/** The shell's test hooks, called in the main process. */
function desktop(app: ElectronApplication) {
  return {
    toggleQuick: () => app.evaluate(() => (globalThis as WithHooks).__burrowDesktop.toggleQuick()),
    quickVisible: () => app.evaluate(() => (globalThis as WithHooks).__burrowDesktop.quickVisible()),
    trayMenu: () => app.evaluate(() => (globalThis as WithHooks).__burrowDesktop.trayMenu()),
    shortcutRegistered: (accelerator: string) => app.evaluate((_electron, key) => (globalThis as WithHooks).__burrowDesktop.shortcutRegistered(key), accelerator),
  };
}

async function windowCount(app: ElectronApplication): Promise<number> {
  return app.evaluate(({ BrowserWindow }) => BrowserWindow.getAllWindows().length);
}

async function quickPage(app: ElectronApplication): Promise<Page> {
  for (let attempt = 0; attempt < 100; attempt++) {
    const page = app.windows().find((candidate) => candidate.url().endsWith('/quick.html'));
    if (page) return page;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error('no quick window');
}

test.describe('Electron desktop life', () => {
  test.skip(skipReason !== undefined, skipReason);

  let dataDir: string;
  let userData: string;
  let app: ElectronApplication;
  const launchArgs = (): string[] => [join(root, 'out', 'main', 'index.js'), `--user-data-dir=${userData}`];

  test.beforeEach(async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'burrow-desktop-'));
    userData = mkdtempSync(join(tmpdir(), 'burrow-user-data-'));
    app = await electron.launch({
      executablePath: electronBinary() as string,
      args: launchArgs(),
      env: { ...process.env, BURROW_DATA_DIR: dataDir, BURROW_E2E_HOOKS: '1' } as Record<string, string>,
    });
    await app.firstWindow();
  });

  test.afterEach(async () => {
    await app.close().catch(() => undefined);
    rmSync(dataDir, { recursive: true, force: true });
    rmSync(userData, { recursive: true, force: true });
  });

  test('the quick window exists hidden from the start; 50 presses of the shortcut leave exactly one; Esc hides it', async () => {
    expect(await windowCount(app)).toBe(2);
    expect(await desktop(app).quickVisible()).toBe(false);
    const started = Date.now();
    await desktop(app).toggleQuick();
    expect(await desktop(app).quickVisible()).toBe(true);
    expect(Date.now() - started).toBeLessThan(1000);
    const quick = await quickPage(app);
    await expect(quick.getByTestId('quick-input')).toBeFocused();
    for (let press = 0; press < 50; press++) await desktop(app).toggleQuick();
    expect(await windowCount(app)).toBe(2);
    expect(await desktop(app).quickVisible()).toBe(true);
    await quick.keyboard.press('Escape');
    await expect.poll(() => desktop(app).quickVisible()).toBe(false);
  });

  test('the global shortcut is registered (or its conflict shown in settings), and turned off and on from the settings', async () => {
    const page = await app.firstWindow();
    const registered = await desktop(app).shortcutRegistered('CommandOrControl+Shift+Space');
    await page.keyboard.press('Control+,');
    if (registered) await expect(page.getByText('Works from any app.')).toBeVisible();
    else await expect(page.getByTestId('shortcut-conflict').or(page.getByTestId('shortcut-unavailable'))).toBeVisible();
    await page.getByTestId('setting-shortcut-enabled').click();
    await expect.poll(() => desktop(app).shortcutRegistered('CommandOrControl+Shift+Space')).toBe(false);
    await page.getByTestId('setting-shortcut-enabled').click();
    if (registered) await expect.poll(() => desktop(app).shortcutRegistered('CommandOrControl+Shift+Space')).toBe(true);
  });

  test('the tray menu and the application menu', async () => {
    expect(await desktop(app).trayMenu()).toEqual(['Open Burrow', 'Quick prompt', 'New chat', 'Unload model', 'Quit Burrow']);
    const labels = await app.evaluate(({ Menu }) => Menu.getApplicationMenu()?.items.map((item) => item.label.replace('&', '')) ?? []);
    expect(labels).toEqual(expect.arrayContaining(['File', 'Edit', 'View', 'Help']));
  });

  test('a second launch with --quick opens the quick window in the running Burrow and exits', async () => {
    const second = spawnSync(electronBinary() as string, [...launchArgs(), '--quick'], { env: { ...process.env, BURROW_DATA_DIR: dataDir }, timeout: 30_000 });
    expect(second.status).toBe(0);
    await expect.poll(() => desktop(app).quickVisible()).toBe(true);
    expect(await windowCount(app)).toBe(2);
  });
});
