/**
 * Narrow windows (issue 18, item 2), through the browser host in Chromium against the real core:
 * every view fits from 480 px up in both themes (nothing scrolls sideways, the key controls sit
 * inside the window and nothing covers them, the accessibility scans pass), and the sidebar folds
 * away: ⌘/Ctrl+B and its buttons, the user's choice kept for wide windows, a drawer below 760 px
 * that Esc and choosing a conversation close.
 */
import type { Page } from '@playwright/test';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { scanAccessibility } from './accessibility';
import { expect, test, type BurrowApp } from './fixtures';
import { clientOf } from '../support/client';

const WIDTHS = [480, 640, 900, 1400] as const;
/** The width below which the sidebar is a drawer (NARROW_SIDEBAR_QUERY in lib/sidebar.svelte.ts). */
const DRAWER_BELOW = 761;

async function loadModelAndConversation(burrow: BurrowApp): Promise<void> {
  const { status } = await clientOf(burrow.assistant).call('models.openLocal', {});
  expect(status?.state).toBe('ready');
  const conversation = burrow.assistant.conversations.create('Where rabbits live, and why their burrows have so many doors');
  burrow.assistant.conversations.addMessage({ conversationId: conversation.id, role: 'user', content: 'Where do rabbits live?', status: 'complete' });
  burrow.assistant.conversations.addMessage({
    conversationId: conversation.id,
    role: 'assistant',
    content: 'Rabbits live in **burrows**: tunnels they dig in the ground, with several ways out.\n\n- warm in winter\n- safe from foxes',
    status: 'complete',
  });
  // A document in the conversation, not summarised: its card shows the summary options and the focus field.
  const notes = join(burrow.dataDir, 'burrow-notes.txt');
  writeFileSync(notes, 'Rabbits dig warrens with several entrances. They graze at dawn and dusk.\n'.repeat(20));
  await clientOf(burrow.assistant).call('documents.add', { path: burrow.assistant.grantDocument(notes), conversationId: conversation.id });
}

/**
 * What does not fit: the page scrolling sideways, and each control (by test id) outside the
 * window or covered at its centre by something else. One line per problem; empty passes.
 */
async function misfits(page: Page, testIds: string[]): Promise<string[]> {
  return page.evaluate((ids) => {
    const problems: string[] = [];
    const root = document.documentElement;
    if (root.scrollWidth > innerWidth) problems.push(`the page is ${root.scrollWidth} px wide in a ${innerWidth} px window`);
    for (const id of ids) {
      const element = document.querySelector(`[data-testid="${id}"]`);
      if (element === null) {
        problems.push(`${id}: missing`);
        continue;
      }
      const box = element.getBoundingClientRect();
      if (box.width === 0 || box.height === 0) problems.push(`${id}: has no size`);
      if (box.left < 0 || box.right > innerWidth + 0.5) problems.push(`${id}: ${Math.round(box.left)}–${Math.round(box.right)} px, outside the ${innerWidth} px window`);
      const x = Math.min(innerWidth - 1, Math.max(0, box.left + box.width / 2));
      const y = Math.min(innerHeight - 1, Math.max(0, box.top + box.height / 2));
      const hit = document.elementFromPoint(x, y);
      if (hit === null || !(element === hit || element.contains(hit))) {
        const by = hit === null ? 'nothing' : `<${hit.tagName.toLowerCase()}${hit.getAttribute('data-testid') ? ` data-testid="${hit.getAttribute('data-testid')}"` : ''}> “${(hit.textContent ?? '').trim().slice(0, 30)}”`;
        problems.push(`${id}: covered at its centre by ${by}`);
      }
    }
    return problems;
  }, testIds);
}

/** Goes to a sidebar link, through the drawer in a narrow window. */
async function throughSidebar(page: Page, width: number, testId: string): Promise<void> {
  if (width < DRAWER_BELOW) {
    await page.getByTestId('sidebar-toggle').click();
    await expect(page.getByTestId('sidebar')).toBeVisible();
  }
  await page.getByTestId(testId).click();
  await expect(page.getByTestId('sidebar-backdrop')).toHaveCount(0);
}

test('every view fits from 480 px up, in both themes, and passes the accessibility scans', async ({ page, burrow }) => {
  test.setTimeout(300_000);
  await loadModelAndConversation(burrow);
  for (const theme of ['light', 'dark'] as const) {
    await page.emulateMedia({ colorScheme: theme, reducedMotion: 'reduce' });
    for (const width of WIDTHS) {
      const where = `${width} px, ${theme}`;
      await page.setViewportSize({ width, height: 760 });
      await page.goto(burrow.host.url);
      await expect(page.getByTestId('conversation-title')).toContainText('Where rabbits live');
      await expect(page.locator('[data-testid="message"][data-role="assistant"]')).toContainText('burrows');
      // Below 760 px the sidebar is folded away; above, it shows.
      await expect(page.getByTestId('sidebar')).toBeVisible({ visible: width >= DRAWER_BELOW });
      await expect(page.getByTestId('summary-focus')).toBeVisible();
      const chatControls = ['conversation-title', 'model-chip', 'conversation-menu', 'composer', 'summary-focus', 'summarise', width < DRAWER_BELOW ? 'sidebar-toggle' : 'new-chat'];
      expect(await misfits(page, chatControls), `chat, ${where}`).toEqual([]);
      // The focus field keeps room for its placeholder's first words (it once shrank to “Focu”).
      expect((await page.getByTestId('summary-focus').boundingBox())?.width ?? 0, `the focus field, ${where}`).toBeGreaterThanOrEqual(180);
      expect(await scanAccessibility(page), `chat, ${where}`).toEqual([]);

      await throughSidebar(page, width, 'open-models');
      await expect(page.locator('[data-testid="library-model"]').first()).toBeVisible();
      expect(await misfits(page, ['back-to-chat', 'model-chip', 'library-model']), `models, ${where}`).toEqual([]);
      expect(await scanAccessibility(page), `models, ${where}`).toEqual([]);

      await throughSidebar(page, width, 'open-settings');
      await expect(page.getByTestId('settings-view')).toBeVisible();
      expect(await misfits(page, ['settings-back', 'setting-theme', 'theme-dark']), `settings, ${where}`).toEqual([]);
      // The appearance control stays inside its card.
      const [card, control] = await Promise.all([
        page.getByTestId('setting-theme').locator('xpath=ancestor::*[contains(@class, "card")][1]').boundingBox(),
        page.getByTestId('setting-theme').boundingBox(),
      ]);
      expect(card !== null && control !== null && control.x >= card.x && control.x + control.width <= card.x + card.width, `appearance inside its card, ${where}`).toBe(true);
      // A stacked setting's field sits right under its explanation (a 220 px flex basis once
      // became a height in the column and left an empty band between them)…
      const [hint, prompt] = await Promise.all([page.locator('#setting-system-prompt-hint').boundingBox(), page.getByTestId('setting-system-prompt').boundingBox()]);
      if (hint === null || prompt === null) throw new Error(`the system prompt or its hint is not laid out, ${where}`);
      const gap = prompt.y - (hint.y + hint.height);
      expect(gap, `the system prompt under its hint, ${where}`).toBeGreaterThanOrEqual(0);
      expect(gap, `the system prompt under its hint, ${where}`).toBeLessThanOrEqual(16);
      // …and as wide as the row (an auto margin once pushed it right at its own narrow width).
      expect(Math.round(prompt.x - hint.x), `the system prompt's left edge, ${where}`).toBe(0);
      expect(prompt.width - hint.width, `the system prompt's width, ${where}`).toBeGreaterThanOrEqual(-1);
      expect(await scanAccessibility(page), `settings, ${where}`).toEqual([]);
    }
  }
});

test('the welcome, before there is a model, fits from 480 px up in both themes: the download button inside its card', async ({ page, burrow }) => {
  for (const theme of ['light', 'dark'] as const) {
    await page.emulateMedia({ colorScheme: theme, reducedMotion: 'reduce' });
    for (const width of WIDTHS) {
      const where = `${width} px, ${theme}`;
      await page.setViewportSize({ width, height: 760 });
      await page.goto(burrow.host.url);
      await expect(page.getByTestId('first-run')).toBeVisible();
      const card = page.locator('[data-testid="catalog-entry"]').first();
      await card.getByTestId('download-button').scrollIntoViewIfNeeded();
      expect(await misfits(page, ['model-chip', 'download-button']), `welcome, ${where}`).toEqual([]);
      const [cardBox, buttonBox] = await Promise.all([card.boundingBox(), card.getByTestId('download-button').boundingBox()]);
      expect(cardBox !== null && buttonBox !== null && buttonBox.x >= cardBox.x && buttonBox.x + buttonBox.width <= cardBox.x + cardBox.width, `download inside its card, ${where}`).toBe(true);
      expect(await scanAccessibility(page), `welcome, ${where}`).toEqual([]);
    }
  }
});

test('the sidebar: Ctrl+B hides and shows it, the choice is kept, and below 760 px it is a drawer that Esc or a conversation closes', async ({ page, burrow }) => {
  await loadModelAndConversation(burrow);
  burrow.assistant.conversations.create('Carrots');
  const sidebar = page.getByTestId('sidebar');

  await page.setViewportSize({ width: 1400, height: 800 });
  await page.goto(burrow.host.url);
  await expect(sidebar).toBeVisible();
  await expect(page.getByTestId('sidebar-hide')).toHaveAttribute('aria-expanded', 'true');
  await expect(page.getByTestId('sidebar-toggle')).toHaveCount(0);
  await page.keyboard.press('Control+b');
  await expect(sidebar).toBeHidden();
  await expect(page.getByTestId('sidebar-toggle')).toHaveAttribute('aria-expanded', 'false');
  await expect(page.getByTestId('sidebar-toggle')).toHaveAccessibleName('Show sidebar');
  // Typing in the message box does not stop the shortcut.
  await page.getByTestId('composer').focus();
  await page.keyboard.press('Control+b');
  await expect(sidebar).toBeVisible();
  await page.getByTestId('sidebar-hide').click();
  await expect(sidebar).toBeHidden();

  // Kept for the next time the window opens.
  await page.reload();
  await expect(page.getByTestId('conversation-title')).toBeVisible();
  await expect(sidebar).toBeHidden();
  await page.getByTestId('sidebar-toggle').focus();
  await page.keyboard.press('Enter');
  await expect(sidebar).toBeVisible();

  // Narrow: folded away at once whatever the choice, then a drawer over the chat.
  await page.setViewportSize({ width: 640, height: 800 });
  await expect(sidebar).toBeHidden();
  const toggle = page.getByTestId('sidebar-toggle');
  await expect(toggle).toHaveAttribute('aria-expanded', 'false');
  await toggle.click();
  await expect(sidebar).toBeVisible();
  await expect(page.getByTestId('sidebar-hide')).toBeFocused();
  await expect(page.locator('main')).toHaveAttribute('inert', '');
  expect(await scanAccessibility(page), 'the drawer').toEqual([]);
  await page.keyboard.press('Escape');
  await expect(sidebar).toBeHidden();
  await expect(toggle).toBeFocused();

  await page.keyboard.press('Control+b');
  await expect(sidebar).toBeVisible();
  await expect(page.getByTestId('conversation-title')).toHaveText('Carrots');
  await page.getByTestId('conversation-item').filter({ hasText: 'Where rabbits live' }).click();
  await expect(sidebar).toBeHidden();
  await expect(page.getByTestId('conversation-title')).toContainText('Where rabbits live');
  await page.getByTestId('sidebar-toggle').click();
  await page.getByTestId('sidebar-backdrop').click({ position: { x: 620, y: 400 } });
  await expect(sidebar).toBeHidden();

  // Wide again: the sidebar is back beside the chat.
  await page.setViewportSize({ width: 1400, height: 800 });
  await expect(sidebar).toBeVisible();
  await expect(page.getByTestId('sidebar-backdrop')).toHaveCount(0);

  // The keyboard sheet lists the shortcut.
  await page.keyboard.press('Control+/');
  await expect(page.getByTestId('keyboard-help')).toContainText('Show or hide the sidebar');
});
