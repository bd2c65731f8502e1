/**
 * Settings → "Use a server" through the browser host in Chromium, against an OpenAI-compatible
 * server on loopback (test/support/openai-server.ts plays the GPU box): configure it, Test lists
 * its models, turn it on, the banner says where answers come from in the main and the quick
 * window, an answer streams from it, and offline mode blocks it with a message that says so.
 */
import type { Page } from '@playwright/test';
import type { ProcedureInput, ProcedureName, ProcedureOutput } from '../../src/shared/contract';
import { clientOf } from '../support/client';
import { startOpenAiServer, type OpenAiServer } from '../support/openai-server';
import { scanAccessibility } from './accessibility';
import { expect, screenshot, test, type BurrowApp } from './fixtures';

const KEY = 'sk-e2e-remote';

function call<K extends ProcedureName>(burrow: BurrowApp, name: K, input: ProcedureInput<K>): Promise<ProcedureOutput<K>> {
  return clientOf(burrow.assistant).call(name, input);
}

let server: OpenAiServer;

test.beforeEach(async () => {
  server = await startOpenAiServer({ apiKey: KEY, models: ['gpu-model-70b', 'small-model'], chunkDelayMs: 60 });
});

test.afterEach(async () => {
  await server.close();
});

async function turnOnThroughSettings(page: Page): Promise<void> {
  await page.getByTestId('open-settings').click();
  const panel = page.getByTestId('settings-remote');
  await panel.scrollIntoViewIfNeeded();
  await expect(page.getByTestId('remote-enabled')).not.toBeChecked();
  await page.getByTestId('remote-url').fill(server.baseUrl);
  await page.getByTestId('remote-test').click();
  // Without the key the server refuses, and the page says so.
  await expect(page.getByTestId('remote-problem')).toContainText(/refused the key \(401\)/);
  await page.getByTestId('remote-key').fill(KEY);
  await page.getByTestId('remote-test').click();
  await expect(page.getByTestId('remote-tested')).toContainText('2 models');
  await expect(page.getByTestId('remote-model').locator('option')).toHaveText(['gpu-model-70b', 'small-model']);
  await expect(page.getByTestId('remote-banner')).toHaveCount(0);
  await page.getByTestId('remote-enabled').check();
  await expect(page.getByTestId('remote-enabled')).toBeChecked();
}

test.describe('use a server', () => {
  test('configure, test, turn on: the banner shows, an answer streams from the server, offline mode blocks it', async ({ page, burrow }) => {
    await page.setViewportSize({ width: 1200, height: 860 });
    await page.goto(burrow.host.url);
    await turnOnThroughSettings(page);

    const host = new URL(server.baseUrl).host;
    const banner = page.getByTestId('remote-banner');
    await expect(banner).toContainText(`Answers now come from ${host}`);
    await expect(banner).toContainText('gpu-model-70b');
    await expect(page.getByTestId('privacy-status')).toContainText(`Answers from ${host}`);
    // The key never comes back to the page.
    await expect(page.getByTestId('remote-key')).toHaveValue('');
    expect(await page.content()).not.toContain(KEY);
    expect(await scanAccessibility(page), 'settings with the banner').toEqual([]);
    await screenshot(page, 'remote-settings-1200');
    await page.setViewportSize({ width: 640, height: 860 });
    await screenshot(page, 'remote-settings-640');
    await page.setViewportSize({ width: 1200, height: 860 });

    // An answer streams from the server.
    await page.getByTestId('settings-back').click();
    await page.getByTestId('new-chat').first().click();
    await page.getByTestId('composer').fill('Where do badgers live?');
    await page.getByTestId('composer').press('Enter');
    const answer = page.locator('[data-testid="message"][data-role="assistant"]').last();
    await expect(answer).toHaveAttribute('data-status', 'streaming');
    await expect(answer).toContainText('The loopback server');
    await expect(answer).toHaveAttribute('data-status', 'streaming');
    await expect(answer).toHaveAttribute('data-status', 'complete', { timeout: 15_000 });
    await expect(answer).toContainText('The loopback server heard: Where do badgers live?. That is all it knows.');
    await expect(banner).toBeVisible();
    expect(await scanAccessibility(page), 'chat with the banner').toEqual([]);
    await screenshot(page, 'remote-chat-1200');
    await page.setViewportSize({ width: 640, height: 860 });
    await screenshot(page, 'remote-chat-640');
    await page.setViewportSize({ width: 1200, height: 860 });
    expect((await call(burrow, 'network.log', {})).some((entry) => entry.reason === 'remote engine: chat' && entry.allowed)).toBe(true);

    // The quick window says it too.
    const quick = await page.context().newPage();
    await quick.setViewportSize({ width: 680, height: 480 });
    await quick.goto(`${burrow.host.origin}/quick.html?token=${burrow.host.token}`);
    await expect(quick.getByTestId('remote-banner')).toContainText(`Answers now come from ${host}`);
    await expect(quick.getByTestId('quick-model')).toContainText(`gpu-model-70b on ${host}`);
    await screenshot(quick, 'remote-quick');
    await quick.close();

    // Offline mode: the banner says it blocks the server, and an answer fails plainly without sending anything.
    const sent = server.requests.length;
    await call(burrow, 'settings.set', { patch: { offlineMode: true } });
    await expect(page.getByTestId('remote-banner-error')).toContainText('Offline mode is on');
    await page.getByTestId('composer').fill('And rabbits?');
    await page.getByTestId('composer').press('Enter');
    const blocked = page.locator('[data-testid="message"][data-role="assistant"]').last();
    await expect(blocked).toHaveAttribute('data-status', 'error');
    await expect(blocked).toContainText(`Offline mode is on, so nothing was sent to ${host}`);
    expect(server.requests.length).toBe(sent);
    expect(await scanAccessibility(page), 'the banner saying offline mode blocks the server').toEqual([]);
    await screenshot(page, 'remote-offline-1200');

    // Off again: the banner goes.
    await call(burrow, 'settings.set', { patch: { offlineMode: false } });
    await call(burrow, 'remote.configure', { enabled: false });
    await expect(banner).toHaveCount(0);
    await expect(page.getByTestId('privacy-status')).toContainText('Private');
  });

  test('a server that drops mid-answer: the partial answer stays, marked with the reason', async ({ page, burrow }) => {
    await call(burrow, 'remote.configure', { url: server.baseUrl, apiKey: KEY, model: 'gpu-model-70b', enabled: true });
    server.inject({ kind: 'drop', afterChunks: 4 });
    await page.goto(burrow.host.url);
    await page.getByTestId('new-chat').first().click();
    await page.getByTestId('composer').fill('Tell me everything');
    await page.getByTestId('composer').press('Enter');
    const answer = page.locator('[data-testid="message"][data-role="assistant"]').last();
    await expect(answer).toHaveAttribute('data-status', 'error');
    await expect(answer).toContainText('The loopback server heard:');
    await expect(answer).toContainText(/Failed: .*server at 127\.0\.0\.1/);
    await screenshot(page, 'remote-dropped-1200');
  });
});
