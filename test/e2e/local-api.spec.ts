/**
 * Settings → Local API through the browser host (the real core and its real API server on
 * loopback), in Chromium: turned on at a free port, the URL and the key shown and copied, a
 * request from this process answered and logged, the key rotated and the old one refused, off
 * again; a taken port explained with a free one offered; another listen address confirmed and
 * warned about. Never port 1337: the tests pick free ports.
 */
import type { Page } from '@playwright/test';
import type { Server } from 'node:net';
import type { ProcedureInput, ProcedureName, ProcedureOutput } from '../../src/shared/contract';
import { clientOf } from '../support/client';
import { freeLoopbackPort, occupyPort } from '../support/free-port';
import { expect, test, type BurrowApp } from './fixtures';
import { scanAccessibility } from './accessibility';

function call<K extends ProcedureName>(burrow: BurrowApp, name: K, input: ProcedureInput<K>): Promise<ProcedureOutput<K>> {
  return clientOf(burrow.assistant).call(name, input);
}

const closeServer = (server: Server): Promise<void> => new Promise((resolve) => server.close(() => resolve()));

async function openApiSettings(page: Page, burrow: BurrowApp): Promise<void> {
  await page.goto(burrow.host.url);
  await page.getByTestId('open-settings').click();
  await expect(page.getByTestId('settings-view')).toBeVisible();
  await page.getByTestId('settings-api').scrollIntoViewIfNeeded();
}

async function setPort(page: Page, port: number): Promise<void> {
  const field = page.getByTestId('setting-api-port');
  await field.fill(String(port));
  await field.press('Enter');
}

async function models(url: string, key: string): Promise<Response> {
  return fetch(`${url}/models`, { headers: { Authorization: `Bearer ${key}` } });
}

test.afterEach(async ({ burrow }) => {
  // The server must not outlive its test, whatever happened.
  await clientOf(burrow.assistant).invoke('api.configure', { enabled: false });
});

test('the local API: on at a free port, the key copied, a request answered and logged, the key rotated, off', async ({ page, burrow, context }) => {
  await context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: burrow.host.origin });
  await openApiSettings(page, burrow);
  const panel = page.getByTestId('settings-api');
  // Off by default: no URL, nothing listening, the log says so.
  await expect(page.getByTestId('setting-api-enabled')).not.toBeChecked();
  await expect(page.getByTestId('api-connection')).toHaveCount(0);
  await expect(page.getByTestId('api-request-log-empty')).toBeVisible();
  await expect(page.getByTestId('setting-api-save-history')).not.toBeChecked();
  await expect(page.getByTestId('setting-api-host')).toHaveValue('127.0.0.1');

  // A port field refuses what is not a port, with the reason.
  await setPort(page, 70000);
  await expect(panel.getByRole('alert').filter({ hasText: /1 to 65535/ })).toBeVisible();
  const port = await freeLoopbackPort();
  await setPort(page, port);
  await expect.poll(async () => (await call(burrow, 'api.status', {})).port).toBe(port);

  // On, from the keyboard. The switch is disabled while the port change is applied, and the core
  // reports the new port before the panel has finished: a key press then would be ignored.
  await expect(page.getByTestId('setting-api-enabled')).toBeEnabled();
  await page.getByTestId('setting-api-enabled').focus();
  await page.keyboard.press('Space');
  const url = `http://127.0.0.1:${port}/v1`;
  await expect(page.getByTestId('api-url')).toHaveText(url);
  await expect(page.getByTestId('api-curl')).toHaveText(`curl ${url}/models -H "Authorization: Bearer $BURROW_API_KEY"`);

  // The key: masked until shown; copied whole.
  const { key } = await call(burrow, 'api.status', {});
  expect(key.length).toBeGreaterThan(16);
  await expect(page.getByTestId('api-key')).not.toContainText(key);
  await page.getByTestId('api-copy-key').click();
  await expect(page.getByTestId('api-copy-key')).toContainText('Copied');
  const copied = await page.evaluate(() => navigator.clipboard.readText());
  expect(copied).toBe(key);
  await page.getByTestId('api-show-key').click();
  await expect(page.getByTestId('api-key')).toHaveText(key);
  await page.getByTestId('api-copy-url').click();
  expect(await page.evaluate(() => navigator.clipboard.readText())).toBe(url);

  // A client (this process) with the copied key is answered, and the request shows in the log.
  const answered = await models(url, copied);
  expect(answered.status).toBe(200);
  expect(Array.isArray(((await answered.json()) as { data?: unknown }).data)).toBe(true);
  const firstRow = page.getByTestId('api-request').first();
  await expect(firstRow).toContainText('/v1/models');
  await expect(firstRow).toHaveAttribute('data-status', '200');

  // Rotate asks first; Cancel keeps the key.
  await page.getByTestId('api-rotate-key').click();
  const dialog = page.getByRole('dialog', { name: /Rotate the API key/ });
  await expect(dialog).toContainText(/stop working/);
  await dialog.getByRole('button', { name: 'Cancel' }).click();
  expect((await call(burrow, 'api.status', {})).key).toBe(key);
  await page.getByTestId('api-rotate-key').click();
  await dialog.getByRole('button', { name: 'Rotate key' }).click();
  await expect(page.getByTestId('api-key')).not.toHaveText(key);
  const rotated = (await call(burrow, 'api.status', {})).key;
  expect(rotated).not.toBe(key);
  await expect(page.getByTestId('api-key')).toHaveText(rotated);

  // The old key is refused, the new one answered; both are logged, newest first.
  expect((await models(url, key)).status).toBe(401);
  await expect(page.getByTestId('api-request').first()).toHaveAttribute('data-status', '401');
  expect((await models(url, rotated)).status).toBe(200);
  await expect(page.getByTestId('api-request').first()).toHaveAttribute('data-status', '200');
  await expect(page.getByTestId('api-request')).toHaveCount(3);

  expect(await scanAccessibility(page), 'settings with the local API on').toEqual([]);

  // Opened again, the panel reads the log from the core: the same three, newest first.
  await openApiSettings(page, burrow);
  await expect(page.getByTestId('api-request')).toHaveCount(3);
  await expect(page.getByTestId('api-request').last()).toHaveAttribute('data-status', '200');
  await expect(page.getByTestId('api-request').nth(1)).toHaveAttribute('data-status', '401');

  // Off: the URL goes, nothing answers any more.
  await page.getByTestId('setting-api-enabled').click();
  await expect(page.getByTestId('api-connection')).toHaveCount(0);
  await expect.poll(async () => (await call(burrow, 'api.status', {})).state).toBe('off');
  await expect(models(url, rotated)).rejects.toThrow();
});

test('a taken port: the reason is shown, and the free port offered is one click away', async ({ page, burrow }) => {
  const taken = await freeLoopbackPort();
  const server = await occupyPort(taken);
  try {
    await openApiSettings(page, burrow);
    await setPort(page, taken);
    await expect.poll(async () => (await call(burrow, 'api.status', {})).port).toBe(taken);
    await page.getByTestId('setting-api-enabled').click();
    const problem = page.getByTestId('api-error');
    await expect(problem).toBeVisible();
    await expect(problem).toContainText(String(taken));
    await expect(page.getByTestId('api-connection')).toHaveCount(0);

    const offer = page.getByTestId('api-use-free-port');
    await expect(offer).toHaveText(/Use port \d+/);
    const offered = Number((await offer.textContent())?.match(/\d+/)?.[0]);
    expect(offered).not.toBe(taken);
    await offer.click();
    await expect(page.getByTestId('api-url')).toHaveText(`http://127.0.0.1:${offered}/v1`);
    await expect(problem).toHaveCount(0);
    await expect(page.getByTestId('setting-api-port')).toHaveValue(String(offered));
    const { key } = await call(burrow, 'api.status', {});
    expect((await models(`http://127.0.0.1:${offered}/v1`, key)).status).toBe(200);
  } finally {
    await closeServer(server);
  }
});

test('a confirmation that closes after focus has moved on leaves the focus where it went', async ({ page, burrow }) => {
  await openApiSettings(page, burrow);
  const host = page.getByTestId('setting-api-host');
  const origins = page.getByTestId('setting-api-origins');
  const dialog = page.getByRole('dialog', { name: /Listen on 0\.0\.0\.0/ });
  await host.fill('0.0.0.0');
  await host.press('Enter');
  await expect(dialog).toBeVisible();
  // The dialog's close event comes a task after it closes; here focus moves to another field
  // just before its handler runs, as a quick click or keystroke can.
  await page.evaluate(() => {
    window.addEventListener('close', () => document.getElementById('setting-api-origins')?.focus(), { capture: true, once: true });
  });
  await dialog.getByRole('button', { name: 'Cancel' }).click();
  await expect(dialog).toBeHidden();
  await page.evaluate(() => new Promise((resolve) => setTimeout(resolve, 50)));
  await expect(origins).toBeFocused();
  await expect(host).toHaveValue('127.0.0.1');
});

test('another listen address is confirmed first, then warned about until it is back to this computer', async ({ page, burrow }) => {
  await openApiSettings(page, burrow);
  const host = page.getByTestId('setting-api-host');
  const dialog = page.getByRole('dialog', { name: /Listen on 0\.0\.0\.0/ });

  await host.fill('example.com');
  await host.press('Enter');
  await expect(page.getByRole('alert').filter({ hasText: /IP address/ })).toBeVisible();

  await host.fill('0.0.0.0');
  await host.press('Enter');
  await expect(dialog).toContainText(/Other machines on your network/);
  await dialog.getByRole('button', { name: 'Cancel' }).click();
  await expect(host).toHaveValue('127.0.0.1');
  expect((await call(burrow, 'api.status', {})).host).toBe('127.0.0.1');
  await expect(page.getByTestId('api-exposed-warning')).toHaveCount(0);

  await host.fill('0.0.0.0');
  await host.press('Enter');
  await dialog.getByRole('button', { name: 'Listen on the network' }).click();
  await expect(host).toBeFocused();
  await expect.poll(async () => (await call(burrow, 'api.status', {})).host).toBe('0.0.0.0');
  await expect(page.getByTestId('api-exposed-warning')).toContainText(/other machines on your network can use the model/);

  // Allowed origins: a wrong one is explained; a right one saved.
  const origins = page.getByTestId('setting-api-origins');
  await origins.fill('localhost:5173');
  await origins.blur();
  await expect(page.getByRole('alert').filter({ hasText: /not an origin/ })).toBeVisible();
  await origins.fill('http://localhost:5173/');
  await origins.blur();
  await expect.poll(async () => (await call(burrow, 'api.status', {})).origins).toEqual(['http://localhost:5173']);

  await page.getByTestId('api-exposed-warning').getByRole('button', { name: 'Only this computer' }).click();
  await expect(page.getByTestId('api-exposed-warning')).toHaveCount(0);
  await expect(host).toHaveValue('127.0.0.1');
  expect((await call(burrow, 'api.status', {})).host).toBe('127.0.0.1');
});
