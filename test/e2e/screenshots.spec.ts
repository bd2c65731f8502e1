/**
 * The README's screenshot set: every view at 640 px (the app's minimum width) in both themes,
 * through the browser host against the real core. It runs with the suite (the pictures go to
 * test-results/screens); to refresh the committed set in docs/screenshots/:
 *
 *   npm run build && BURROW_SCREENSHOTS_DIR=docs/screenshots node scripts/run-e2e.mjs test/e2e/screenshots.spec.ts --project browser-host
 *
 * The conversation is written into the store rather than by the suite's tiny model, whose
 * answers are gibberish, and the document is shown before its summary for the same reason;
 * everything else is the app as it runs.
 */
import type { Page } from '@playwright/test';
import { mkdirSync, writeFileSync } from 'node:fs';
import { isAbsolute, join } from 'node:path';
import { findProjectRoot } from '../../src/core/process/project-root';
import { clientOf } from '../support/client';
import { expect, SCREENSHOTS, test } from './fixtures';

const SIZE = { width: 640, height: 720 };
const requested = process.env.BURROW_SCREENSHOTS_DIR;
const FOLDER = requested === undefined || requested === '' ? SCREENSHOTS : isAbsolute(requested) ? requested : join(findProjectRoot(), requested);

async function shoot(page: Page, name: string): Promise<void> {
  mkdirSync(FOLDER, { recursive: true });
  // The caret and any animation would make each run's pictures differ.
  await page.screenshot({ path: join(FOLDER, `${name}.png`), animations: 'disabled', caret: 'hide' });
}

const ANSWER = [
  'Rabbits live in **burrows**: networks of tunnels they dig in the ground, called a *warren* when many families share them.',
  '',
  '- **Warm in winter, cool in summer**: the soil keeps the temperature steady.',
  '- **Safe from foxes and birds**: a warren has several entrances, so there is always a way out.',
  '- **Close to food**: rabbits graze on the grass around the entrances at dawn and dusk.',
  '',
  'Wild European rabbits dig their own; cottontails in America prefer shallow nests in long grass.',
].join('\n');

test('the screenshot set: every view at 640 px in light and dark', async ({ page, burrow }) => {
  test.setTimeout(180_000);
  await page.setViewportSize(SIZE);
  for (const theme of ['light', 'dark'] as const) {
    await page.emulateMedia({ colorScheme: theme, reducedMotion: 'reduce' });
    await page.goto(burrow.host.url);
    await expect(page.getByTestId('first-run')).toBeVisible();
    await expect(page.locator('[data-testid="catalog-entry"]').first()).toBeVisible();
    await shoot(page, `welcome-${theme}`);
  }

  const { status } = await clientOf(burrow.assistant).call('models.openLocal', {});
  expect(status?.state).toBe('ready');
  const conversation = burrow.assistant.conversations.create('Where rabbits live');
  burrow.assistant.conversations.addMessage({ conversationId: conversation.id, role: 'user', content: 'Where do rabbits live, and why there?', status: 'complete' });
  burrow.assistant.conversations.addMessage({ conversationId: conversation.id, role: 'assistant', content: ANSWER, status: 'complete' });
  burrow.assistant.conversations.create('Carrot soup for four');
  // A document read into a conversation of its own (named after it), its summary not asked for yet.
  const notes = join(burrow.dataDir, 'warren-survey.txt');
  writeFileSync(notes, 'The warren on the north slope has eleven entrances. Rabbits graze there at dawn and dusk.\n'.repeat(40));
  await clientOf(burrow.assistant).call('documents.add', { path: burrow.assistant.grantDocument(notes) });

  for (const theme of ['light', 'dark'] as const) {
    await page.emulateMedia({ colorScheme: theme, reducedMotion: 'reduce' });
    await page.goto(burrow.host.url);
    await page.getByTestId('sidebar-toggle').click();
    await page.getByTestId('conversation-item').filter({ hasText: 'Where rabbits live' }).click();
    await expect(page.locator('[data-testid="message"][data-role="assistant"]')).toContainText('warren');
    await page.getByTestId('composer').blur();
    await shoot(page, `chat-${theme}`);

    await page.getByTestId('sidebar-toggle').click();
    await expect(page.getByTestId('sidebar')).toBeVisible();
    await shoot(page, `sidebar-${theme}`);

    await page.getByTestId('conversation-item').filter({ hasText: 'warren-survey' }).click();
    await expect(page.getByTestId('summary-focus')).toBeVisible();
    await page.getByTestId('composer').blur();
    await shoot(page, `document-${theme}`);

    await page.getByTestId('sidebar-toggle').click();

    await page.getByTestId('open-models').click();
    await expect(page.locator('[data-testid="library-model"]').first()).toBeVisible();
    await shoot(page, `models-${theme}`);

    await page.getByTestId('sidebar-toggle').click();
    await page.getByTestId('open-settings').click();
    await expect(page.getByTestId('data-folder-size')).toBeVisible();
    await shoot(page, `settings-${theme}`);

    await page.keyboard.press('Control+/');
    await expect(page.getByTestId('keyboard-help')).toBeVisible();
    await shoot(page, `keyboard-${theme}`);
    await page.keyboard.press('Escape');

    // The quick window is a small one of its own (680 × 480 in the app).
    await page.setViewportSize({ width: SIZE.width, height: 480 });
    await page.goto(`${burrow.host.origin}/quick.html?token=${burrow.host.token}`);
    await expect(page.getByTestId('quick-input')).toBeFocused();
    await page.getByTestId('quick-input').fill('How long do rabbits sleep?');
    await shoot(page, `quick-${theme}`);
    await page.setViewportSize(SIZE);
  }
});
