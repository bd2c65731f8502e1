/**
 * The quick-prompt window and the settings, through the browser host (the real core, the
 * engine running the suite's tiny model) in Chromium: ask, stream, Esc, continue in the main
 * window, the clipboard actions; settings that apply at once (theme, answer length); the
 * keyboard sheet; an accessibility scan and screenshots of every view in both themes.
 */
import type { Page } from '@playwright/test';
import type { EventPayload, ProcedureInput, ProcedureName, ProcedureOutput } from '../../src/shared/contract';
import { accessibilityProblems, axeProblems, scanAccessibility } from './accessibility';
import { expect, screenshot, test, type BurrowApp } from './fixtures';
import { clientOf } from '../support/client';

/** The quick window's size in the app (src/main/desktop.ts): screenshots show what users see. */
const QUICK_WINDOW = { width: 680, height: 480 };

function call<K extends ProcedureName>(burrow: BurrowApp, name: K, input: ProcedureInput<K>): Promise<ProcedureOutput<K>> {
  return clientOf(burrow.assistant).call(name, input);
}

/** The host's file picker answers with the test model (fixtures.ts), so this loads it. */
async function loadModel(burrow: BurrowApp): Promise<void> {
  const { status } = await call(burrow, 'models.openLocal', {});
  expect(status?.state).toBe('ready');
}

function quickUrl(burrow: BurrowApp): string {
  return `${burrow.host.origin}/quick.html?token=${burrow.host.token}`;
}

async function openQuick(page: Page, burrow: BurrowApp): Promise<void> {
  await page.setViewportSize(QUICK_WINDOW);
  await page.goto(quickUrl(burrow));
  await expect(page.getByTestId('quick-input')).toBeFocused();
}

/** The next generation.end the core sends. */
function nextEnd(burrow: BurrowApp): Promise<EventPayload<'generation.end'>> {
  return new Promise((resolve) => {
    const unsubscribe = burrow.assistant.subscribe((name, payload) => {
      if (name !== 'generation.end') return;
      unsubscribe();
      resolve(payload as EventPayload<'generation.end'>);
    });
  });
}

const answerText = (page: Page) => page.getByTestId('quick-answer').locator('.markdown');

test.describe('quick prompt', () => {
  test('ask: the answer streams; Esc closes the window and the answer goes on; Continue in Burrow opens the conversation', async ({ page, burrow }) => {
    await loadModel(burrow);
    await openQuick(page, burrow);
    await expect(page.getByTestId('quick-model')).toContainText(/tiny|streaming/i);
    await screenshot(page, 'quick-empty-light');

    await page.getByTestId('quick-input').fill('What is a burrow?');
    await page.getByTestId('quick-input').press('Enter');
    const answer = page.getByTestId('quick-answer');
    await expect(answer).toHaveAttribute('data-status', 'streaming');
    await expect.poll(async () => (await answerText(page).textContent())?.trim().length ?? 0).toBeGreaterThan(20);
    await expect(answer).toHaveAttribute('data-status', 'streaming');
    await expect(page.getByTestId('quick-announcer')).toHaveText(/writing an answer/i);
    await screenshot(page, 'quick-streaming-light');

    // Esc: the page shows it is closed (the app hides the window); by default the answer goes on and is saved.
    await page.keyboard.press('Escape');
    await expect(page.locator('html')).toHaveAttribute('data-quick-state', 'hidden');
    await expect(page.getByTestId('quick-closed')).toBeVisible();
    const [first] = burrow.assistant.conversations.list();
    expect(first?.title).toBe('What is a burrow?');
    expect(await call(burrow, 'quick.conversations', {})).toEqual([first!.id]);
    const stored = burrow.assistant.conversations.get(first!.id).messages;
    expect(stored.map((message) => message.role)).toEqual(['user', 'assistant']);
    expect(stored[1]!.status).not.toBe('cancelled');
    await burrow.assistant.chat.stopAll();

    // Open again (the shortcut, in the app): a new conversation; Ctrl+Enter asks and continues in the main window.
    await page.getByRole('button', { name: /open it again/i }).click();
    await expect(page.getByTestId('quick-input')).toBeFocused();
    await expect(page.getByTestId('quick-answer')).toHaveCount(0);
    await page.getByTestId('quick-input').fill('Tell me more about rabbits');
    await page.setViewportSize({ width: 1200, height: 800 });
    await page.keyboard.press('Control+Enter');
    await expect(page).toHaveURL(/\/index\.html\?token=/);
    await expect(page.locator('[data-testid="message"][data-role="user"]')).toContainText('Tell me more about rabbits');
    await expect(page.getByTestId('conversation-title')).toHaveText('Tell me more about rabbits');
    // The answer written for the quick window shows here as it goes on.
    const mainAnswer = page.locator('[data-testid="message"][data-role="assistant"]').last();
    await expect.poll(async () => (await mainAnswer.textContent())?.trim().length ?? 0, { timeout: 30_000 }).toBeGreaterThan(10);
    expect(burrow.assistant.conversations.list()).toHaveLength(2);
  });

  test('an answer cut off at its token limit says so and points to Continue in Burrow; the next question starts without the mark', async ({ page, burrow }) => {
    await loadModel(burrow);
    await call(burrow, 'settings.set', { patch: { maxTokens: 5 } });
    await openQuick(page, burrow);
    await page.getByTestId('quick-input').fill('Tell me a long story about burrows');
    await page.getByTestId('quick-input').press('Enter');
    await expect(page.getByTestId('quick-answer')).toHaveAttribute('data-status', 'done', { timeout: 30_000 });
    await expect(page.getByTestId('quick-token-limit')).toHaveText(/Stopped at the 5-token limit — Continue in Burrow to go on/);
    await screenshot(page, 'quick-token-limit-light');
    // The next question starts without the mark.
    await page.getByTestId('quick-input').fill('And another?');
    await page.getByTestId('quick-input').press('Enter');
    await expect(page.getByTestId('quick-token-limit')).toHaveCount(0);
    await expect(page.getByTestId('quick-answer')).toHaveAttribute('data-status', 'done', { timeout: 30_000 });
    await expect(page.getByTestId('quick-token-limit')).toBeVisible();
  });

  test('Esc stops the answer when the settings say so; with "don’t save quick prompts" the conversation is deleted', async ({ page, burrow }) => {
    await loadModel(burrow);
    await call(burrow, 'settings.set', { patch: { escCancelsQuickAnswer: true } });
    await openQuick(page, burrow);
    await page.getByTestId('quick-input').fill('Write a long story');
    await page.getByTestId('quick-input').press('Enter');
    await expect.poll(async () => (await answerText(page).textContent())?.trim().length ?? 0).toBeGreaterThan(10);
    const ended = nextEnd(burrow);
    await page.keyboard.press('Escape');
    expect((await ended).reason).toBe('cancelled');
    const [kept] = burrow.assistant.conversations.list();
    expect(burrow.assistant.conversations.get(kept!.id).messages[1]!.status).toBe('cancelled');

    await call(burrow, 'settings.set', { patch: { saveQuickPrompts: false } });
    await page.getByRole('button', { name: /open it again/i }).click();
    await page.getByTestId('quick-input').fill('Forget this one');
    await page.getByTestId('quick-input').press('Enter');
    await expect.poll(async () => (await answerText(page).textContent())?.trim().length ?? 0).toBeGreaterThan(5);
    expect(burrow.assistant.conversations.list()).toHaveLength(2);
    await page.keyboard.press('Escape');
    await expect(page.getByTestId('quick-closed')).toBeVisible();
    await expect.poll(() => burrow.assistant.conversations.list().map((conversation) => conversation.id)).toEqual([kept!.id]);
  });

  test('Use clipboard: one key brings in the copied text, a number runs an action on it', async ({ page, context, burrow }) => {
    await context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: burrow.host.origin });
    await loadModel(burrow);
    await call(burrow, 'settings.set', { patch: { translateTo: 'French', promptTemplates: [{ id: 'friendly', name: 'Make it friendlier', prompt: 'Rewrite this kindly: {text}' }] } });
    await openQuick(page, burrow);
    const copied = 'The rabbit dug a deep burrow under the old oak tree, where it stayed warm all winter.';
    await page.evaluate((text) => navigator.clipboard.writeText(text), copied);

    await page.keyboard.press('Control+Shift+V');
    const clipboard = page.getByTestId('quick-clipboard');
    await expect(clipboard).toContainText('The rabbit dug a deep burrow');
    await expect(clipboard.getByTestId('clipboard-action')).toHaveText([/Summarise/, /Explain/, /Translate to French/, /Fix grammar/, /Make it friendlier/]);
    await screenshot(page, 'quick-clipboard-light');

    await page.keyboard.press('3');
    await expect(page.getByTestId('quick-answer')).toContainText('Translate to French: the clipboard');
    await expect(page.getByTestId('quick-clipboard')).toHaveCount(0);
    const [conversation] = burrow.assistant.conversations.list();
    const question = burrow.assistant.conversations.get(conversation!.id).messages[0]!.content;
    expect(question).toContain('Translate the following text into French.');
    expect(question).toContain(copied);
    await burrow.assistant.chat.stopAll();

    // A follow-up in the same quick conversation, with the user's own template and the button.
    await expect(page.getByTestId('quick-stop')).toHaveCount(0);
    await page.getByTestId('quick-input').focus();
    await page.keyboard.press('Control+Shift+V');
    await page.getByRole('button', { name: /Make it friendlier/ }).click();
    await expect.poll(() => burrow.assistant.conversations.get(conversation!.id).messages.filter((message) => message.role === 'user').at(-1)?.content).toBe(`Rewrite this kindly: ${copied}`);
    await burrow.assistant.chat.stopAll();
  });
});

test.describe('settings', () => {
  test('the theme applies at once; a shorter answer length applies to the next answer; Ctrl+, and the sidebar open the view', async ({ page, burrow }) => {
    await loadModel(burrow);
    await page.goto(burrow.host.url);
    await page.getByTestId('open-settings').click();
    await expect(page.getByTestId('settings-view')).toBeVisible();
    await expect(page.getByRole('heading', { name: 'Settings', level: 1 })).toBeFocused();

    await page.getByText('Dark', { exact: true }).click();
    await expect(page.locator('html')).toHaveAttribute('data-theme', 'dark');
    await expect.poll(() => page.evaluate(() => getComputedStyle(document.body).backgroundColor)).toBe('rgb(28, 27, 25)');
    expect((await call(burrow, 'settings.get', {})).theme).toBe('dark');
    await page.getByText('Light', { exact: true }).click();
    await expect(page.locator('html')).toHaveAttribute('data-theme', 'light');
    await expect.poll(() => page.evaluate(() => getComputedStyle(document.body).backgroundColor)).toBe('rgb(252, 251, 249)');
    await page.getByText('System', { exact: true }).click();
    await expect(page.locator('html')).not.toHaveAttribute('data-theme', /./);

    const maxTokens = page.getByTestId('setting-maxTokens');
    await maxTokens.fill('0');
    await maxTokens.press('Enter');
    await expect(page.getByRole('alert').filter({ hasText: /whole number from 1/i })).toBeVisible();
    await maxTokens.fill('5');
    await maxTokens.press('Enter');
    await expect.poll(async () => (await call(burrow, 'settings.get', {})).maxTokens).toBe(5);

    // No restart: the next answer stops at 5 tokens.
    await page.getByTestId('settings-back').click();
    await page.getByTestId('new-chat').first().click();
    const ended = nextEnd(burrow);
    await page.getByTestId('composer').fill('Tell me a long story about burrows');
    await page.getByTestId('composer').press('Enter');
    const end = await ended;
    expect(end.reason).toBe('done');
    expect(end.stats?.generatedTokens).toBeLessThanOrEqual(5);
    await expect(page.locator('[data-testid="message"][data-role="assistant"]').last()).toContainText(/[1-5] tokens/);

    await page.keyboard.press('Control+,');
    await expect(page.getByTestId('settings-view')).toBeVisible();
    await page.keyboard.press('Control+,');
    await expect(page.getByTestId('settings-view')).toHaveCount(0);
  });

  test('the shortcut: recorded from a key press, turned off; in the browser the page says global shortcuts need the app', async ({ page, burrow }) => {
    await page.goto(burrow.host.url);
    await page.keyboard.press('Control+,');
    await expect(page.getByTestId('shortcut-unavailable')).toContainText(/Burrow app/);
    await page.getByTestId('shortcut-recorder').click();
    await page.keyboard.press('Control+Alt+K');
    await expect.poll(async () => (await call(burrow, 'settings.get', {})).shortcut).toBe('CommandOrControl+Alt+K');
    await expect(page.getByTestId('shortcut-recorder')).toContainText('Alt');
    // A key without Ctrl or Alt would be taken from every other app: refused, with the reason.
    await page.getByTestId('shortcut-recorder').click();
    await page.keyboard.press('Shift+J');
    await expect(page.getByText(/Add Ctrl, Alt or ⌘/)).toBeVisible();
    await page.keyboard.press('Escape');
    await page.getByTestId('setting-shortcut-enabled').click();
    await expect.poll(async () => (await call(burrow, 'settings.get', {})).shortcutEnabled).toBe(false);
    // The switch says what it is for here, and why the tab itself has no global shortcut, on or off.
    await expect(page.getByText('Use a global shortcut in the desktop app')).toBeVisible();
    await expect(page.locator('#setting-shortcut-enabled-hint')).toContainText('a web page cannot see keys pressed in other apps');
    await expect(page.getByTestId('shortcut-unavailable')).toContainText(/Burrow app/);
    await expect(page.getByTestId('data-folder-path')).toHaveText(burrow.dataDir);
    await expect(page.getByTestId('reveal-data-folder')).toHaveCount(0);
  });
});

test('keyboard: the shortcuts sheet opens with ? and Ctrl+/, and lists what the keys do', async ({ page, burrow }) => {
  await page.goto(burrow.host.url);
  await expect(page.getByTestId('open-settings')).toBeVisible();
  await page.keyboard.press('?');
  const sheet = page.getByTestId('keyboard-help');
  await expect(sheet).toBeVisible();
  for (const action of ['New chat', 'Search your conversations', 'Stop the answer being written', 'Write the last answer again', 'Copy the last answer', 'Go to the message box', 'Previous or next conversation']) {
    await expect(sheet).toContainText(action);
  }
  await screenshot(page, 'keyboard-help-light');
  await page.keyboard.press('Escape');
  await expect(sheet).toBeHidden();
  await page.keyboard.press('Control+/');
  await expect(sheet).toBeVisible();
  await page.getByRole('button', { name: 'Close keyboard shortcuts' }).click();
  await expect(sheet).toBeHidden();
});

test('keyboard: switch conversations, stop with Esc, focus the composer, copy the last answer; answers are announced once', async ({ page, context, burrow }) => {
  await context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: burrow.host.origin });
  await loadModel(burrow);
  const older = burrow.assistant.conversations.create('Older chat');
  burrow.assistant.conversations.addMessage({ conversationId: older.id, role: 'user', content: 'An old question', status: 'complete' });
  await page.goto(burrow.host.url);
  await page.getByTestId('new-chat').first().click();
  await page.getByTestId('composer').fill('Write a long story');
  await page.getByTestId('composer').press('Enter');
  const answer = page.locator('[data-testid="message"][data-role="assistant"]').last();
  await expect(page.getByTestId('answer-announcer')).toHaveText(/writing an answer/i);
  await expect.poll(async () => (await answer.textContent())?.trim().length ?? 0).toBeGreaterThan(10);
  await page.keyboard.press('Escape');
  await expect(answer).toHaveAttribute('data-status', 'cancelled');
  await expect(page.getByTestId('answer-announcer')).toHaveText(/stopped/i);

  await page.keyboard.press('Control+Shift+C');
  const copied = await page.evaluate(() => navigator.clipboard.readText());
  expect(copied.length).toBeGreaterThan(10);
  expect((await answer.textContent()) ?? '').toContain(copied.trim().slice(0, 10));

  // Write the last answer again (the view has no regenerate of its own yet: the key does it), then stop it with Esc.
  const story = () => burrow.assistant.conversations.list().find((conversation) => conversation.title === 'Write a long story')!;
  const firstAnswer = burrow.assistant.conversations.get(story().id).messages[1]!.id;
  await page.keyboard.press('Control+Shift+R');
  await expect.poll(() => burrow.assistant.conversations.get(story().id).messages[1]?.id).not.toBe(firstAnswer);
  await expect(answer).toHaveAttribute('data-status', 'streaming');
  await expect.poll(async () => (await answer.textContent())?.trim().length ?? 0).toBeGreaterThan(10);
  await page.keyboard.press('Escape');
  await expect.poll(() => burrow.assistant.conversations.get(story().id).messages[1]?.status).toBe('cancelled');
  await expect(answer).toHaveAttribute('data-status', 'cancelled');

  await page.keyboard.press('Alt+ArrowDown');
  await expect(page.getByTestId('conversation-title')).toHaveText('Older chat');
  await page.keyboard.press('Control+1');
  await expect(page.getByTestId('conversation-title')).toHaveText('Write a long story');
  await page.getByTestId('new-chat').first().focus();
  await page.keyboard.press('Shift+Escape');
  await expect(page.getByTestId('composer')).toBeFocused();
});

test('accessibility: every view passes the scan in light and dark; screenshots of both themes', async ({ page, burrow }) => {
  await loadModel(burrow);
  const conversation = burrow.assistant.conversations.create('Rabbit facts');
  burrow.assistant.conversations.addMessage({ conversationId: conversation.id, role: 'user', content: 'Where do rabbits live?', status: 'complete' });
  burrow.assistant.conversations.addMessage({
    conversationId: conversation.id,
    role: 'assistant',
    content: 'Rabbits live in **burrows**: tunnels they dig in the ground.\n\n- warm in winter\n- safe from foxes\n\n`dig()`',
    status: 'complete',
  });
  await call(burrow, 'settings.set', { patch: { promptTemplates: [{ id: 'friendly', name: 'Make it friendlier', prompt: 'Rewrite this kindly: {text}' }] } });

  for (const theme of ['light', 'dark'] as const) {
    await page.emulateMedia({ colorScheme: theme });
    await page.setViewportSize({ width: 1200, height: 800 });
    await page.goto(burrow.host.url);
    await page.getByTestId('conversation-item').filter({ hasText: 'Rabbit facts' }).click();
    await expect(page.locator('[data-testid="message"][data-role="assistant"]')).toContainText('burrows');
    expect(await scanAccessibility(page), `chat, ${theme}`).toEqual([]);

    await page.getByTestId('open-settings').click();
    await expect(page.getByTestId('settings-view')).toBeVisible();
    await expect(page.getByTestId('data-folder-size')).toBeVisible();
    await screenshot(page, `settings-${theme}`);
    await page.getByTestId('settings-advanced').locator('summary').click();
    expect(await scanAccessibility(page), `settings, ${theme}`).toEqual([]);
    await page.getByTestId('settings-answers').evaluate((element) => element.scrollIntoView({ block: 'start' }));
    await screenshot(page, `settings-answers-${theme}`);

    await page.keyboard.press('Control+/');
    await expect(page.getByTestId('keyboard-help')).toBeVisible();
    expect(await scanAccessibility(page), `keyboard sheet, ${theme}`).toEqual([]);
    if (theme === 'dark') await screenshot(page, 'keyboard-help-dark');
    await page.keyboard.press('Escape');

    await page.setViewportSize(QUICK_WINDOW);
    await page.goto(quickUrl(burrow));
    await expect(page.getByTestId('quick-input')).toBeFocused();
    expect(await scanAccessibility(page), `quick prompt, ${theme}`).toEqual([]);
    if (theme === 'dark') await screenshot(page, 'quick-empty-dark');
    await page.getByTestId('quick-input').fill('Where do rabbits sleep?');
    await page.getByTestId('quick-input').press('Enter');
    await expect.poll(async () => (await answerText(page).textContent())?.trim().length ?? 0).toBeGreaterThan(40);
    await burrow.assistant.chat.stopAll();
    await expect(page.getByTestId('quick-answer')).toHaveAttribute('data-status', 'cancelled');
    expect(await scanAccessibility(page), `quick answer, ${theme}`).toEqual([]);
    await screenshot(page, `quick-answer-${theme}`);
  }
});

test('accessibility: the first-run and Models views pass the scans in light and dark', async ({ page, burrow }) => {
  for (const theme of ['light', 'dark'] as const) {
    await page.emulateMedia({ colorScheme: theme });
    await page.goto(burrow.host.url);
    await expect(page.getByTestId('first-run')).toBeVisible();
    await expect(page.locator('[data-testid="catalog-entry"]').first()).toBeVisible();
    expect(await scanAccessibility(page), `first run, ${theme}`).toEqual([]);
    await screenshot(page, `first-run-${theme}`);
  }
  await loadModel(burrow);
  for (const theme of ['light', 'dark'] as const) {
    await page.emulateMedia({ colorScheme: theme });
    await page.goto(burrow.host.url);
    await page.getByTestId('open-models').click();
    await expect(page.getByTestId('models-view')).toBeVisible();
    await expect(page.locator('[data-testid="library-model"]').first()).toBeVisible();
    expect(await scanAccessibility(page), `models, ${theme}`).toEqual([]);
    await screenshot(page, `models-${theme}`);
  }
});

test('the accessibility scans find what they look for (they are not silently passing)', async ({ page, burrow }) => {
  await loadModel(burrow);
  await page.goto(burrow.host.url);
  await expect(page.getByTestId('open-settings')).toBeVisible();
  expect(await scanAccessibility(page)).toEqual([]);
  await page.evaluate(() => {
    const trap = document.createElement('div');
    trap.innerHTML = `
      <button id="nameless"><svg width="10" height="10"></svg></button>
      <input id="unlabelled">
      <span tabindex="3">jump</span>
      <p style="color:#bbbbbb;background:#ffffff">pale words</p>
      <img src="data:," width="4" height="4">`;
    document.body.prepend(trap);
  });
  const problems = (await accessibilityProblems(page)).join('\n');
  expect(problems).toContain('no accessible name: <button#nameless>');
  expect(problems).toContain('no accessible name: <input#unlabelled>');
  expect(problems).toContain('positive tabindex');
  expect(problems).toContain('svg neither hidden nor named');
  expect(problems).toMatch(/contrast 1\.\d+:1 < 4\.5:1 .*pale words/);
  expect(problems).toContain('image without alt');
  const axe = (await axeProblems(page)).join('\n');
  expect(axe).toContain('axe button-name (critical): #nameless');
  expect(axe).toContain('axe color-contrast (serious)');
});
