/**
 * History you can search and never lose (issue 6), through the UI: the search palette, edit and
 * regenerate with the branch switcher, copy and export, import, the context meter, restoring a
 * backup and the damaged-file screen. Conversations are seeded through the real core's store
 * where the test is not about writing them.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Page } from '@playwright/test';
import Database from 'better-sqlite3';
import type { Assistant } from '../../src/core/assistant';
import { DATABASE_FILE_NAME } from '../../src/core/store/database';
import { scanAccessibility } from './accessibility';
import { expect, loadModelThroughUi, screenshot, test } from './fixtures';

/** A conversation written straight into the store: alternating question and answer. */
function seed(assistant: Assistant, title: string, texts: string[]): { id: string; messageIds: string[] } {
  const conversation = assistant.conversations.create(title);
  const messageIds = texts.map(
    (content, index) => assistant.conversations.addMessage({ conversationId: conversation.id, role: index % 2 === 0 ? 'user' : 'assistant', content, status: 'complete' }).id,
  );
  return { id: conversation.id, messageIds };
}

const filler = (n: number): string[] => Array.from({ length: n }, (_, i) => (i % 2 === 0 ? `Question number ${i} about soil and roots.` : `Answer number ${i}: burrows keep rabbits cool in summer.`));

/** Switches the system theme and waits for two painted frames, so a screenshot shows it everywhere. */
async function useScheme(page: Page, colorScheme: 'light' | 'dark'): Promise<void> {
  await page.emulateMedia({ colorScheme });
  await page.evaluate(() => new Promise<void>((resolve) => requestAnimationFrame(() => requestAnimationFrame(() => resolve()))));
}

async function openSearch(page: Page): Promise<void> {
  await page.keyboard.press('Control+k');
  await expect(page.getByTestId('search-palette')).toBeVisible();
  await expect(page.getByTestId('search-input')).toBeFocused();
}

const assistantMessages = (page: Page) => page.locator('[data-testid="message"][data-role="assistant"]');
const userMessages = (page: Page) => page.locator('[data-testid="message"][data-role="user"]');
/** The last answer's own text (its Markdown), without its buttons and markers. */
const answerText = async (page: Page): Promise<string> => (await page.locator('[data-testid="message"][data-role="assistant"] .markdown').last().textContent())?.trim() ?? '';
const userTexts = (page: Page) => userMessages(page).getByTestId('message-text');

/** Waits until some answer text has streamed, then stops it: quick, and the text stays. */
async function stopAfterSomeText(page: Page): Promise<void> {
  const answer = assistantMessages(page).last();
  await expect.poll(async () => (await answer.textContent())?.trim().length ?? 0, { timeout: 60_000 }).toBeGreaterThan(5);
  if ((await answer.getAttribute('data-status')) === 'streaming') await page.getByTestId('stop').click();
  await expect(answer).not.toHaveAttribute('data-status', 'streaming');
}

test.describe('history', () => {
  // Screenshots right after a theme change would catch the buttons' colour transitions half-way.
  test.use({ reducedMotion: 'reduce' });

  test('search: prefix matches while typing, grouped and highlighted; Enter jumps to the message and highlights it; phrases; empty state; Esc', async ({ page, burrow }) => {
    const long = seed(burrow.assistant, 'Garden notes', [...filler(30), 'Where did I put the orange marmalade recipe?', 'In the blue folder, next to the seed packets.', ...filler(10)]);
    seed(burrow.assistant, 'Marmalade tasting', ['Which marmalade is best?', 'Seville orange marmalade, for most people.']);
    seed(burrow.assistant, 'Unrelated', ['Tell me about badgers', 'Badgers dig setts.']);

    await page.goto(burrow.host.url);
    await expect(page.getByTestId('conversation-item')).toHaveCount(3);
    // Open another conversation, so the jump has somewhere to go.
    await page.getByTestId('conversation-item').filter({ hasText: 'Unrelated' }).getByRole('button').first().click();

    await openSearch(page);
    await page.getByTestId('search-input').pressSequentially('marmal');
    const groups = page.getByTestId('search-group');
    await expect(groups).toHaveCount(2);
    // The title match and the message matches are marked, as text in <mark>.
    await expect(page.getByTestId('search-title').filter({ hasText: 'Marmalade tasting' }).locator('mark')).toHaveText('Marmalade');
    const hit = page.getByTestId('search-hit').filter({ hasText: 'recipe' });
    await expect(hit.locator('mark')).toHaveText(['marmalade']);
    await expect(hit).toContainText('You');
    await screenshot(page, 'history-01-search-palette-light');
    expect(await scanAccessibility(page), 'search palette, light').toEqual([]);

    // Arrow keys choose, Enter jumps to the message on its branch and highlights it.
    await page.getByTestId('search-input').fill('marmalade recipe');
    await expect(page.getByTestId('search-hit')).toHaveCount(1);
    await expect(page.getByTestId('search-hit')).toHaveAttribute('aria-selected', 'true');
    await page.keyboard.press('ArrowUp');
    await expect(page.getByTestId('search-title')).toHaveAttribute('aria-selected', 'true');
    await page.keyboard.press('ArrowDown');
    await page.keyboard.press('Enter');
    await expect(page.getByTestId('search-palette')).toBeHidden();
    await expect(page.getByTestId('conversation-title')).toHaveText('Garden notes');
    const target = page.locator(`[data-testid="message"][data-message-id="${long.messageIds[30]}"]`);
    await expect(target).toHaveAttribute('data-highlighted', 'true');
    await expect(target).toBeInViewport();
    await screenshot(page, 'history-02-search-jumped');

    // Quotes: the words together and in order.
    await openSearch(page);
    await page.getByTestId('search-input').fill('"orange marmalade"');
    await expect(page.getByTestId('search-group')).toHaveCount(2);
    await page.getByTestId('search-input').fill('"marmalade orange"');
    await expect(page.getByTestId('search-empty')).toContainText('No conversations match');

    await useScheme(page, 'dark');
    await page.getByTestId('search-input').fill('marmalade');
    await expect(page.getByTestId('search-group')).toHaveCount(2);
    await screenshot(page, 'history-03-search-palette-dark');
    expect(await scanAccessibility(page), 'search palette, dark').toEqual([]);

    await page.keyboard.press('Escape');
    await expect(page.getByTestId('search-palette')).toBeHidden();
  });

  test('edit a sent message → a branch; switch back; regenerate → 2 / 2; the context meter and its overflow notice', async ({ page, burrow }) => {
    await page.goto(burrow.host.url);
    await loadModelThroughUi(page);
    await page.getByTestId('new-chat').first().click();
    await page.getByTestId('composer').fill('First question');
    await page.getByTestId('composer').press('Enter');
    await stopAfterSomeText(page);
    const firstAnswer = await answerText(page);

    // The meter counts the conversation against the loaded model's context.
    await expect(page.getByTestId('context-meter')).toBeVisible();
    await expect(page.getByTestId('context-meter')).toHaveAttribute('aria-valuetext', /tokens of the model’s context used/);

    // Edit: Enter resends as a new branch.
    await userMessages(page).last().hover();
    await page.getByTestId('edit-message').click();
    const editor = page.getByTestId('edit-input');
    await expect(editor).toBeFocused();
    await expect(editor).toHaveValue('First question');
    // Esc cancels and keeps the message as it was.
    await editor.press('Escape');
    await expect(editor).toBeHidden();
    await expect(userTexts(page)).toHaveText(['First question']);
    await page.getByTestId('edit-message').click();
    await page.getByTestId('edit-input').fill('Second version');
    await page.getByTestId('edit-input').press('Enter');
    await expect(userTexts(page)).toHaveText(['Second version']);
    await stopAfterSomeText(page);
    const userSwitcher = userMessages(page).getByTestId('branch-switcher');
    await expect(userSwitcher.getByTestId('branch-position')).toHaveText('2 / 2');

    // Back to the first branch: its question and its answer.
    await userSwitcher.getByRole('button', { name: 'Previous version of this message' }).click();
    await expect(userTexts(page)).toHaveText(['First question']);
    await expect(userSwitcher.getByTestId('branch-position')).toHaveText('1 / 2');
    await expect(assistantMessages(page)).toHaveCount(1);
    expect(await answerText(page)).toBe(firstAnswer);

    // Regenerate: a second answer beside the first, switchable.
    await assistantMessages(page).hover();
    await page.getByTestId('regenerate').click();
    await stopAfterSomeText(page);
    const answerSwitcher = assistantMessages(page).getByTestId('branch-switcher');
    await expect(answerSwitcher.getByTestId('branch-position')).toHaveText('2 / 2');
    await assistantMessages(page).hover();
    await screenshot(page, 'history-04-branch-switcher-light');
    expect(await scanAccessibility(page), 'branch switchers, light').toEqual([]);
    await useScheme(page, 'dark');
    await screenshot(page, 'history-05-branch-switcher-dark');
    expect(await scanAccessibility(page), 'branch switchers, dark').toEqual([]);
    await useScheme(page, 'light');
    await answerSwitcher.getByRole('button', { name: 'Previous answer' }).focus();
    await page.keyboard.press('Enter');
    await expect(answerSwitcher.getByTestId('branch-position')).toHaveText('1 / 2');
    expect(await answerText(page)).toBe(firstAnswer);

    // What the store holds: both questions, and two answers to the first.
    const stored = burrow.assistant.conversations.list()[0]!;
    expect(stored.messageCount).toBe(5);

    // A conversation longer than the context: the meter is full and the notice says what Burrow does.
    const huge = seed(burrow.assistant, 'Very long', ['word '.repeat(6000), 'ok']);
    await page.reload();
    await page.locator(`[data-testid="conversation-item"][data-id="${huge.id}"]`).getByRole('button').first().click();
    await expect(page.getByTestId('context-meter')).toHaveAttribute('data-level', 'full', { timeout: 60_000 });
    await expect(page.getByTestId('context-overflow')).toContainText('keeps your system prompt and the newest messages');
    await screenshot(page, 'history-06-context-overflow');
    expect(await scanAccessibility(page), 'context overflow').toEqual([]);
  });

  test('copy a message and the conversation as Markdown, export it, export everything, delete, import it back', async ({ page, burrow, context }) => {
    const seeded = seed(burrow.assistant, 'Rabbit facts', ['How deep do burrows go?', 'Usually **about 3 metres**, with several exits.']);
    await context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: burrow.host.origin });
    await page.goto(burrow.host.url);
    await expect(page.getByTestId('conversation-title')).toHaveText('Rabbit facts');

    await assistantMessages(page).hover();
    await assistantMessages(page).getByTestId('copy-message').click();
    expect(await page.evaluate(() => navigator.clipboard.readText())).toBe('Usually **about 3 metres**, with several exits.');

    await page.getByTestId('conversation-menu').click();
    await page.getByTestId('copy-conversation').click();
    await expect.poll(() => page.evaluate(() => navigator.clipboard.readText())).toContain('How deep do burrows go?');
    const markdown = await page.evaluate(() => navigator.clipboard.readText());
    expect(markdown).toContain('Rabbit facts');
    expect(markdown).toContain('Usually **about 3 metres**, with several exits.');

    // Export as Markdown: a download with the same text.
    await page.getByTestId('conversation-menu').click();
    const [mdDownload] = await Promise.all([page.waitForEvent('download'), page.getByTestId('export-markdown').click()]);
    expect(mdDownload.suggestedFilename()).toMatch(/^Rabbit facts.*\.md$/);
    // The same text but for the moment of export in its header, which may have ticked to the next minute.
    const exportedAt = (text: string): string => text.replace(/^\*Exported from Burrow on [^·]*·/m, '*Exported from Burrow on … ·');
    expect(exportedAt(readFileSync((await mdDownload.path())!, 'utf8'))).toBe(exportedAt(markdown));

    await page.getByTestId('conversation-menu').click();
    const [jsonDownload] = await Promise.all([page.waitForEvent('download'), page.getByTestId('export-json').click()]);
    expect(JSON.parse(readFileSync((await jsonDownload.path())!, 'utf8'))).toMatchObject({ conversations: [expect.objectContaining({ title: 'Rabbit facts' })] });

    // Export everything from Settings.
    await page.getByTestId('open-settings').click();
    const [allDownload] = await Promise.all([page.waitForEvent('download'), page.getByTestId('export-all').click()]);
    const archivePath = join(burrow.dataDir, 'everything.json');
    writeFileSync(archivePath, readFileSync((await allDownload.path())!));

    // Delete, with confirmation.
    await page.getByTestId('settings-back').click();
    const item = page.locator(`[data-testid="conversation-item"][data-id="${seeded.id}"]`);
    await item.hover();
    await item.getByTestId('delete-conversation').click();
    // The open dialog's button: the document panel keeps its own (closed) confirmation on the page too.
    await page.locator('dialog[open]').getByTestId('confirm-delete').click();
    await expect(page.getByTestId('conversation-item')).toHaveCount(0);

    // Import the archive back through the file picker.
    await page.getByTestId('open-settings').click();
    const [chooser] = await Promise.all([page.waitForEvent('filechooser'), page.getByTestId('import-history').click()]);
    await chooser.setFiles(archivePath);
    await expect(page.getByTestId('import-result')).toHaveText('1 conversation and 2 messages imported from a Burrow archive.');
    await screenshot(page, 'history-07-settings-data-light');
    await useScheme(page, 'dark');
    await screenshot(page, 'history-08-settings-data-dark');
    expect(await scanAccessibility(page), 'settings with import result, dark').toEqual([]);
    await useScheme(page, 'light');
    await page.getByTestId('settings-back').click();
    await page.getByTestId('conversation-item').filter({ hasText: 'Rabbit facts' }).getByRole('button').first().click();
    await expect(userTexts(page)).toHaveText(['How deep do burrows go?']);
    await expect(assistantMessages(page)).toContainText('about 3 metres');

    // A ChatGPT export too.
    const chatgpt = join(burrow.dataDir, 'conversations.json');
    writeFileSync(
      chatgpt,
      JSON.stringify([
        {
          title: 'From ChatGPT',
          create_time: 1_700_000_000,
          update_time: 1_700_000_100,
          current_node: 'b',
          mapping: {
            a: { id: 'a', parent: null, children: ['b'], message: { id: 'a', author: { role: 'user' }, create_time: 1_700_000_000, content: { content_type: 'text', parts: ['Hello there'] } } },
            b: { id: 'b', parent: 'a', children: [], message: { id: 'b', author: { role: 'assistant' }, create_time: 1_700_000_050, content: { content_type: 'text', parts: ['General Kenobi'] } } },
          },
        },
      ]),
    );
    await page.getByTestId('open-settings').click();
    const [chooser2] = await Promise.all([page.waitForEvent('filechooser'), page.getByTestId('import-history').click()]);
    await chooser2.setFiles(chatgpt);
    await expect(page.getByTestId('import-result')).toHaveText('1 conversation and 2 messages imported from a ChatGPT export.');
  });

  test('empty "New chat" entries never pile up: New chat reuses the empty one, leaving it deletes it, one with a message stays', async ({ page, burrow }) => {
    seed(burrow.assistant, 'Rabbit facts', filler(2));
    await page.goto(burrow.host.url);
    await loadModelThroughUi(page);
    const items = page.getByTestId('conversation-item');
    await expect(items).toHaveText(['Rabbit facts']);
    await page.getByTestId('new-chat').first().click();
    await expect(items).toHaveText(['New chat', 'Rabbit facts']);
    // Again, by button and by shortcut: the empty chat on screen is reused, and the composer has the focus.
    await page.getByTestId('new-chat').first().click();
    await page.keyboard.press('Control+N');
    await expect(page.getByTestId('composer')).toBeFocused();
    await expect(items).toHaveText(['New chat', 'Rabbit facts']);
    expect(burrow.assistant.conversations.list()).toHaveLength(2);

    // Leaving it for another conversation deletes it.
    await items.filter({ hasText: 'Rabbit facts' }).click();
    await expect(page.getByTestId('conversation-title')).toHaveText('Rabbit facts');
    await expect(items).toHaveText(['Rabbit facts']);
    expect(burrow.assistant.conversations.list().map((conversation) => conversation.title)).toEqual(['Rabbit facts']);

    // One with a message stays; the empty one made after it goes when left, after a reload too.
    await page.getByTestId('new-chat').first().click();
    await page.getByTestId('composer').fill('Hello there');
    await page.getByTestId('composer').press('Enter');
    await stopAfterSomeText(page);
    await page.getByTestId('new-chat').first().click();
    await expect(items).toHaveText(['New chat', 'Hello there', 'Rabbit facts']);
    await screenshot(page, 'history-11-one-new-chat');
    await page.reload();
    await expect(page.getByTestId('conversation-title')).toHaveText('New chat');
    await items.filter({ hasText: 'Rabbit facts' }).click();
    await expect(items).toHaveText(['Hello there', 'Rabbit facts']);
    expect(burrow.assistant.conversations.list().map((conversation) => conversation.title)).toEqual(['Hello there', 'Rabbit facts']);
  });

  test('pin and rename in the sidebar', async ({ page, burrow }) => {
    const older = seed(burrow.assistant, 'Older one', ['a', 'b']);
    seed(burrow.assistant, 'Newer one', ['c', 'd']);
    await page.goto(burrow.host.url);
    await expect(page.getByTestId('conversation-item').first()).toContainText('Newer one');
    const item = page.locator(`[data-testid="conversation-item"][data-id="${older.id}"]`);
    await item.hover();
    await item.getByTestId('pin-conversation').click();
    await expect(page.getByTestId('conversation-item').first()).toHaveAttribute('data-id', older.id);
    await expect(page.getByRole('heading', { name: 'Pinned' })).toBeVisible();
    expect(burrow.assistant.conversations.list()[0]).toMatchObject({ id: older.id, pinned: true });
    await item.hover();
    await item.getByTestId('rename-conversation').click();
    await page.getByTestId('rename-input').fill('Pinned and renamed');
    await page.getByTestId('rename-input').press('Enter');
    await expect(item).toContainText('Pinned and renamed');
    await item.hover();
    await item.getByRole('button', { name: /^Unpin/ }).click();
    await expect(page.getByRole('heading', { name: 'Pinned' })).toHaveCount(0);
  });

  test('conversation settings: system prompt and sampling saved, out-of-range refused', async ({ page, burrow }) => {
    const seeded = seed(burrow.assistant, 'Tuned', ['hi', 'hello']);
    await page.goto(burrow.host.url);
    await page.getByTestId('conversation-menu').click();
    await page.getByRole('menuitem', { name: /system prompt and settings/i }).click();
    const panel = page.locator('dialog[data-testid="conversation-settings"]');
    await expect(panel).toBeVisible();
    await panel.getByTestId('setting-system-prompt').fill('You are a rabbit.');
    await panel.getByTestId('setting-temperature').fill('3');
    await panel.getByTestId('settings-save').click();
    await expect(panel.getByTestId('settings-error')).toHaveText('Temperature must be between 0 and 2.');
    await panel.getByTestId('setting-temperature').fill('0.4');
    await panel.getByTestId('setting-max-tokens').fill('300');
    await screenshot(page, 'history-09-conversation-settings-light');
    expect(await scanAccessibility(page), 'conversation settings, light').toEqual([]);
    await useScheme(page, 'dark');
    await screenshot(page, 'history-09-conversation-settings-dark');
    expect(await scanAccessibility(page), 'conversation settings, dark').toEqual([]);
    await useScheme(page, 'light');
    await panel.getByTestId('settings-save').click();
    await expect(panel).toBeHidden();
    expect(burrow.assistant.conversations.settings(seeded.id)).toEqual({ systemPrompt: 'You are a rabbit.', temperature: 0.4, topP: null, maxTokens: 300 });
  });

  test('restore from backup in Settings, and the damaged-file screen at start', async ({ page, burrow }) => {
    seed(burrow.assistant, 'Kept in the backup', ['one', 'two']);
    const backup = await burrow.assistant.storage.makeDailyBackup();
    expect(backup).not.toBeNull();
    seed(burrow.assistant, 'Written after the backup', ['three', 'four']);

    await page.goto(burrow.host.url);
    await expect(page.getByTestId('conversation-item')).toHaveCount(2);
    await page.getByTestId('open-settings').click();
    await expect(page.getByTestId('backup')).toHaveCount(1);
    await page.getByTestId('restore-backup').click();
    await expect(page.getByRole('dialog', { name: 'Restore this backup?' })).toBeVisible();
    await page.getByRole('button', { name: 'Restore', exact: true }).click();
    await expect(page.getByText('History restored')).toBeVisible();
    await page.getByTestId('settings-back').click();
    await expect(page.getByTestId('conversation-item')).toHaveText(['Kept in the backup']);

    // The data file is scribbled over while Burrow is closed: at start it is set aside, and the user chooses.
    await burrow.restart(() => {
      const file = join(burrow.dataDir, DATABASE_FILE_NAME);
      const bytes = readFileSync(file);
      bytes.fill(0x5a, 0, 100);
      writeFileSync(file, bytes);
    });
    await page.goto(burrow.host.url);
    const recovery = page.getByTestId('store-recovery');
    await expect(recovery).toBeVisible();
    await expect(recovery).toContainText('damaged');
    await expect(recovery).toContainText(/burrow\.sqlite\.damaged/);
    await screenshot(page, 'history-10-damaged-file');
    expect(await scanAccessibility(page), 'damaged-file screen').toEqual([]);
    await recovery.locator(`[data-testid="backup"][data-name="${backup}"]`).getByTestId('restore-backup').click();
    await expect(recovery).toBeHidden();
    await expect(page.getByTestId('conversation-item')).toHaveText(['Kept in the backup']);
  });

  test('an answer the disk refuses to save stays on screen with "Retry save", and retrying saves it', async ({ page, burrow }) => {
    await page.goto(burrow.host.url);
    await loadModelThroughUi(page);
    await page.getByTestId('new-chat').first().click();
    // A long answer, so it is still being written when the lock is taken.
    burrow.assistant.conversations.setSettings(burrow.assistant.conversations.list()[0]!.id, { maxTokens: 32_768 });
    await page.getByTestId('composer').fill('Save me');
    await page.getByTestId('composer').press('Enter');
    const answer = assistantMessages(page).last();
    await expect.poll(async () => (await answer.textContent())?.trim().length ?? 0, { timeout: 60_000 }).toBeGreaterThan(5);

    // Another connection holds the write lock: Burrow's saves wait, then fail with SQLITE_BUSY.
    const blocker = new Database(join(burrow.dataDir, DATABASE_FILE_NAME));
    try {
      blocker.exec('BEGIN EXCLUSIVE');
      // Each refused save holds this process for the busy timeout, so the answer may end first.
      await page
        .getByTestId('stop')
        .click({ timeout: 10_000 })
        .catch(() => undefined);
      await expect(answer.getByTestId('unsaved')).toBeVisible({ timeout: 60_000 });
      await expect(answer.getByTestId('unsaved')).toContainText('could not save this answer');
      await expect(answer).toHaveAttribute('data-saved', 'false');
      await screenshot(page, 'history-11-retry-save');
      blocker.exec('ROLLBACK');
    } finally {
      blocker.close();
    }
    const shown = await answerText(page);
    expect(shown.length).toBeGreaterThan(5);

    await answer.getByTestId('retry-save').click();
    await expect(answer.getByTestId('unsaved')).toBeHidden();
    await expect(answer).toHaveAttribute('data-saved', 'true');
    const id = burrow.assistant.conversations.list()[0]!.id;
    const stored = burrow.assistant.conversations.get(id).messages.at(-1)!;
    expect(['cancelled', 'complete']).toContain(stored.status);
    expect(stored.content.trim()).toBe(shown);
  });
});
