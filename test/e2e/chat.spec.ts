import type { Locator, Page } from '@playwright/test';
import { scanAccessibility } from './accessibility';
import { expect, loadModelThroughUi, screenshot, test } from './fixtures';

/** Loads the model, asks `question` in a new chat, and returns its answer once text is streaming in. */
async function startLongAnswer(page: Page, url: string, question = 'Write a long story'): Promise<Locator> {
  await page.goto(url);
  await loadModelThroughUi(page);
  await page.getByTestId('new-chat').first().click();
  await page.getByTestId('composer').fill(question);
  await page.getByTestId('composer').press('Enter');
  const answer = page.locator('[data-testid="message"][data-role="assistant"]').last();
  await expect.poll(async () => (await answer.textContent())?.trim().length ?? 0).toBeGreaterThan(10);
  return answer;
}

test.describe('chat through the browser host', () => {
  test('first run: welcome, open a model, chat with a streaming answer, find it again after reload and restart', async ({ page, burrow }) => {
    await page.goto(burrow.host.url);
    await expect(page.getByText(/nothing you write leaves this computer/i).first()).toBeVisible();
    await screenshot(page, '01-welcome');

    await loadModelThroughUi(page);
    await page.getByTestId('new-chat').first().click();
    const composer = page.getByTestId('composer');
    await expect(composer).toBeFocused();
    await composer.fill('Tell me about burrows');
    await composer.press('Enter');

    const answer = page.locator('[data-testid="message"][data-role="assistant"]').last();
    await expect(answer).toHaveAttribute('data-status', 'streaming');
    // Tokens reach the DOM while the answer is still streaming.
    await expect.poll(async () => (await answer.textContent())?.trim().length ?? 0).toBeGreaterThan(20);
    await expect(answer).toHaveAttribute('data-status', 'streaming');
    await screenshot(page, '02-streaming');
    await page.getByTestId('stop').click();
    await expect(answer).toHaveAttribute('data-status', /cancelled|complete/);
    const shown = (await answer.textContent())?.trim() ?? '';
    expect(shown.length).toBeGreaterThan(20);
    await screenshot(page, '03-answered');

    // The user's message titles the conversation.
    await expect(page.getByTestId('conversation-item').first()).toContainText('Tell me about burrows');

    await page.reload();
    await page.getByTestId('conversation-item').first().click();
    await expect(page.locator('[data-testid="message"][data-role="user"]')).toContainText('Tell me about burrows');
    await expect(page.locator('[data-testid="message"][data-role="assistant"]')).toHaveCount(1);

    await burrow.restart();
    await page.goto(burrow.host.url);
    await page.getByTestId('conversation-item').first().click();
    await expect(page.locator('[data-testid="message"][data-role="user"]')).toContainText('Tell me about burrows');
    const saved = (await page.locator('[data-testid="message"][data-role="assistant"]').textContent())?.trim() ?? '';
    expect(saved.slice(0, 20)).toBe(shown.slice(0, 20));
  });

  test('stop ends the answer at once and keeps what was written', async ({ page, burrow }) => {
    const answer = await startLongAnswer(page, burrow.host.url);
    await page.getByTestId('stop').click();
    await expect(answer).toHaveAttribute('data-status', 'cancelled');
    await expect(page.getByTestId('send')).toBeVisible();
    const kept = (await answer.textContent())?.trim() ?? '';
    expect(kept.length).toBeGreaterThan(10);

    const { messages } = burrow.assistant.conversations.get(burrow.assistant.conversations.list()[0]!.id);
    expect(messages.map((message) => [message.role, message.status])).toEqual([
      ['user', 'complete'],
      ['assistant', 'cancelled'],
    ]);
    expect(messages[1]!.content.length).toBeGreaterThan(10);
  });

  test('nothing on the page animates while text streams in; a caret that stops receiving text blinks', async ({ page, burrow }) => {
    // The page's end of the event stream, held back on demand: a stream that stalls.
    let holding = false;
    const held: Array<string | Buffer> = [];
    let toPage: ((message: string | Buffer) => void) | undefined;
    await page.routeWebSocket(/.*/, (socket) => {
      const server = socket.connectToServer();
      socket.onMessage((message) => server.send(message));
      toPage = (message) => socket.send(message);
      server.onMessage((message) => (holding ? held.push(message) : socket.send(message)));
    });
    const answer = await startLongAnswer(page, burrow.host.url);
    await expect(answer).toHaveAttribute('data-status', 'streaming');
    // An animation makes the window draw a frame at every screen refresh, on the cores the
    // model's threads need: the caret and the model chip's dot hold still while text arrives.
    const running = (): Promise<string[]> => page.evaluate(() => document.getAnimations().map((animation) => (animation as CSSAnimation).animationName ?? 'a transition'));
    expect(await running()).toEqual([]);
    await expect(page.getByTestId('model-chip').locator('.dot')).toHaveCSS('animation-name', 'none');

    holding = true;
    await expect.poll(running, { timeout: 5000 }).toEqual([expect.stringMatching(/blink/)]);
    holding = false;
    for (const message of held.splice(0)) toPage?.(message);
    await expect.poll(running).toEqual([]);
    // The held messages may have held the answer's end: it is stopped only if it still runs.
    await page.getByTestId('stop').click({ timeout: 5000 }).catch(() => undefined);
    await expect(answer).toHaveAttribute('data-status', /cancelled|complete/);
  });

  test('the engine process is killed mid-answer: the UI says the model stopped, nothing is lost, the next message works', async ({ page, burrow }) => {
    const answer = await startLongAnswer(page, burrow.host.url, 'First question');

    const pid = burrow.assistant.engine.pid;
    expect(pid).toBeGreaterThan(0);
    process.kill(pid!, 'SIGKILL');

    await expect(page.getByTestId('engine-stopped')).toBeVisible();
    await expect(answer).toHaveAttribute('data-status', 'error');
    await screenshot(page, '04-engine-stopped');
    await expect(page.locator('[data-testid="message"][data-role="user"]')).toContainText('First question');

    await page.getByTestId('composer').fill('Second question');
    await page.getByTestId('composer').press('Enter');
    const second = page.locator('[data-testid="message"][data-role="assistant"]').last();
    // This message restarts the engine process and reloads the model first.
    await expect.poll(async () => (await second.textContent())?.trim().length ?? 0, { timeout: 60_000 }).toBeGreaterThan(10);
    await expect(page.getByTestId('engine-stopped')).toBeHidden();
    expect(burrow.assistant.engine.pid).not.toBe(pid);
    await page.getByTestId('stop').click();
    await expect(second).toHaveAttribute('data-status', 'cancelled');
    expect(() => process.kill(pid!, 0)).toThrow();
  });
});

test('an answer cut off at its token limit is marked, and Continue goes on in the same message, live, stoppable, saved', async ({ page, burrow }) => {
  await page.goto(burrow.host.url);
  await loadModelThroughUi(page);
  await page.getByTestId('new-chat').first().click();
  await page.getByTestId('conversation-menu').click();
  await page.getByRole('menuitem', { name: /system prompt and settings/i }).click();
  const panel = page.locator('dialog[data-testid="conversation-settings"]');
  await panel.getByTestId('setting-max-tokens').fill('1024');
  await panel.getByTestId('settings-save').click();
  await expect(panel).toBeHidden();

  await page.getByTestId('composer').fill('Tell me everything about burrows');
  await page.getByTestId('composer').press('Enter');
  const answers = page.locator('[data-testid="message"][data-role="assistant"]');
  const answer = answers.last();
  await expect(answer).toHaveAttribute('data-status', 'complete', { timeout: 60_000 });
  const limit = answer.getByTestId('token-limit');
  await expect(limit).toContainText('Stopped at the 1,024-token limit');
  const messageId = (await answer.getAttribute('data-message-id'))!;
  const stored = (): { content: string; status: string; tokenLimit: number | null } => burrow.assistant.conversations.getMessage(messageId);
  expect(stored()).toMatchObject({ status: 'complete', tokenLimit: 1024 });
  const first = stored().content;
  await screenshot(page, 'chat-05-token-limit');
  expect(await scanAccessibility(page), 'the mark and Continue, light').toEqual([]);
  // Reduced motion: the screenshot must not catch the buttons' colour transition half-way.
  await page.emulateMedia({ colorScheme: 'dark', reducedMotion: 'reduce' });
  await page.evaluate(() => new Promise<void>((resolve) => requestAnimationFrame(() => requestAnimationFrame(() => resolve()))));
  await screenshot(page, 'chat-05-token-limit-dark');
  expect(await scanAccessibility(page), 'the mark and Continue, dark').toEqual([]);
  await page.emulateMedia({ colorScheme: 'light', reducedMotion: 'no-preference' });

  // Continue, from the keyboard: the same message streams on and is marked again at the limit.
  const shownBefore = (await answer.textContent())?.length ?? 0;
  await answer.getByTestId('continue').focus();
  await page.keyboard.press('Enter');
  await expect(answer).toHaveAttribute('data-status', 'streaming');
  await expect(limit).toBeHidden();
  await expect.poll(async () => (await answer.textContent())?.length ?? 0).toBeGreaterThan(shownBefore + 20);
  await expect(answer).toHaveAttribute('data-status', 'streaming');
  await screenshot(page, 'chat-06-continuing');
  await expect(answer).toHaveAttribute('data-status', 'complete', { timeout: 60_000 });
  await expect(limit).toContainText('Stopped at the 1,024-token limit');
  await expect(answers).toHaveCount(1);
  await expect(answer).toHaveAttribute('data-message-id', messageId);
  const second = stored().content;
  expect(second.startsWith(first)).toBe(true);
  expect(second.length).toBeGreaterThan(first.length);

  // After a reload the mark and Continue are still there; Stop ends a continuation and keeps it all.
  await page.reload();
  await expect(page.locator('[data-testid="message"][data-role="assistant"]').last().getByTestId('token-limit')).toContainText('Stopped at the 1,024-token limit');
  const reloaded = page.locator('[data-testid="message"][data-role="assistant"]').last();
  await reloaded.getByTestId('continue').click();
  await expect(reloaded).toHaveAttribute('data-status', 'streaming');
  await expect.poll(() => burrow.assistant.conversations.getMessage(messageId).content.length).toBeGreaterThan(second.length);
  await page.getByTestId('stop').click();
  await expect(reloaded).toHaveAttribute('data-status', 'cancelled');
  await expect(reloaded.getByTestId('token-limit')).toHaveCount(0);
  expect(stored()).toMatchObject({ status: 'cancelled', tokenLimit: null });
  expect(stored().content.startsWith(second)).toBe(true);
});

test('past the cap on answers at once, sending says Burrow is busy and what to do', async ({ page, burrow }) => {
  await page.goto(burrow.host.url);
  await loadModelThroughUi(page);
  // Other faces (quick prompts, scripts) keep MAX_GENERATIONS answers running. The streaming
  // model finishes an answer every few seconds, so the slots are filled again right before each
  // send: a slot freed while the page was being prepared would let the send through.
  const running: string[] = [];
  const fillSlots = async (): Promise<void> => {
    for (;;) {
      const result = await burrow.assistant.router.call('quick.ask', { conversationId: null, text: `Busy ${running.length}` });
      if (!result.ok) return;
      running.push((result.value as { generationId: string }).generationId);
    }
  };
  await page.getByTestId('new-chat').first().click();
  const composer = page.getByTestId('composer');
  await composer.fill('One more question');
  await fillSlots();
  expect(running.length).toBeGreaterThan(0);
  // The page lets this conversation send (nothing of its own is being answered): only the core knows the cap.
  const send = page.getByTestId('send');
  await expect(send).toBeEnabled();
  await composer.press('Enter');
  const toast = page.getByTestId('toast').filter({ hasText: 'Burrow is busy' });
  await expect(toast).toBeVisible();
  await expect(toast).toContainText(/already writing \d+ answers\. Wait for one to finish, or stop one, then ask again\./);
  // Asked again: the same notice is counted, not stacked, and it stays clear of the message box.
  await composer.fill('One more question');
  await fillSlots();
  await expect(send).toBeEnabled();
  await composer.press('Enter');
  await expect(toast).toHaveCount(1);
  await expect(toast.getByTestId('toast-count')).toHaveText('×2');
  const [toastBox, composerBox] = [await toast.boundingBox(), await page.locator('.composer-area').boundingBox()];
  expect((toastBox?.y ?? Infinity) + (toastBox?.height ?? 0)).toBeLessThanOrEqual(composerBox?.y ?? 0);
  for (const generationId of running) await burrow.assistant.router.call('chat.cancel', { generationId });
});

test('every open tab streams the same answer live and can stop it; a tab opened mid-answer catches up', async ({ page, burrow }) => {
  await page.goto(burrow.host.url);
  await loadModelThroughUi(page);
  await page.getByTestId('new-chat').first().click();
  const second = await page.context().newPage();
  await second.goto(burrow.host.url);
  await expect(second.getByTestId('composer')).toBeVisible();

  await page.getByTestId('composer').fill('Write a long story');
  await page.getByTestId('composer').press('Enter');
  const answerIn = (tab: typeof page) => tab.locator('[data-testid="message"][data-role="assistant"]').last();
  const lengthIn = async (tab: typeof page): Promise<number> => (await answerIn(tab).textContent())?.trim().length ?? 0;

  // The other tab shows the question and the answer as it is written, with Stop.
  await expect(second.locator('[data-testid="message"][data-role="user"]').last()).toContainText('Write a long story');
  await expect(answerIn(second)).toHaveAttribute('data-status', 'streaming');
  await expect.poll(() => lengthIn(second)).toBeGreaterThan(10);
  const seen = await lengthIn(second);
  await expect.poll(() => lengthIn(second), 'it grows live, not in one jump at the end').toBeGreaterThan(seen);
  await expect(answerIn(second)).toHaveAttribute('data-status', 'streaming');
  await expect(second.getByTestId('stop')).toBeVisible();

  // A tab opened now catches up with what was written, then follows.
  const late = await page.context().newPage();
  await late.goto(burrow.host.url);
  await expect(answerIn(late)).toHaveAttribute('data-status', 'streaming');
  await expect.poll(() => lengthIn(late)).toBeGreaterThanOrEqual(seen);
  await expect(late.getByTestId('stop')).toBeVisible();

  // Stopped from the late tab: every tab shows it stopped, with the same text, as saved.
  await late.getByTestId('stop').click();
  for (const tab of [page, second, late]) {
    await expect(answerIn(tab)).toHaveAttribute('data-status', 'cancelled');
    await expect(tab.getByTestId('send')).toBeVisible();
  }
  const conversation = burrow.assistant.conversations.list()[0]!;
  const stored = burrow.assistant.conversations.get(conversation.id).messages.at(-1)!;
  expect(stored.status).toBe('cancelled');
  for (const tab of [page, second, late]) await expect.poll(async () => (await answerIn(tab).textContent())?.includes(stored.content.trim().slice(-40))).toBe(true);
  await second.close();
  await late.close();
});
