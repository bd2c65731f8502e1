/**
 * SECURITY.md item 28: no answer up to 200 KB blocks the renderer's main thread for more than
 * 50 ms or blanks a conversation. Long tasks are observed in Chromium itself
 * (PerformanceObserver 'longtask') from the click that opens the conversation until its
 * answer has finished rendering.
 */
import { PATHOLOGICAL_ANSWERS, PATHOLOGICAL_LIMIT } from '../support/pathological-answers';
import { expect, test } from './fixtures';

const SHAPES = PATHOLOGICAL_ANSWERS;

test('answers up to 200 KB of any shape render without a main-thread task over 50 ms', async ({ page, burrow }) => {
  test.setTimeout(240_000);
  for (const [name, { answer }] of Object.entries(SHAPES)) {
    expect(answer.length, name).toBeLessThanOrEqual(PATHOLOGICAL_LIMIT + 10);
    const conversation = burrow.assistant.conversations.create(name);
    burrow.assistant.conversations.addMessage({ conversationId: conversation.id, role: 'user', content: `Show me ${name}`, status: 'complete' });
    burrow.assistant.conversations.addMessage({ conversationId: conversation.id, role: 'assistant', content: answer, status: 'complete' });
  }
  // Each answer is opened from a short conversation: leaving a long answer costs its own
  // task (the browser removing tens of thousands of nodes), which this test does not measure.
  const short = burrow.assistant.conversations.create('A short one');
  burrow.assistant.conversations.addMessage({ conversationId: short.id, role: 'user', content: 'Hi', status: 'complete' });
  burrow.assistant.conversations.addMessage({ conversationId: short.id, role: 'assistant', content: 'Hello **there**.', status: 'complete' });
  await page.addInitScript(() => {
    const tasks: { start: number; duration: number }[] = [];
    (window as unknown as { __longTasks: typeof tasks }).__longTasks = tasks;
    new PerformanceObserver((list) => {
      for (const entry of list.getEntries()) tasks.push({ start: entry.startTime, duration: entry.duration });
    }).observe({ type: 'longtask', buffered: true });
  });
  await page.goto(burrow.host.url);
  await expect(page.getByTestId('conversation-item').first()).toBeVisible();
  // Whatever conversation the app reopened on its own has finished rendering before measuring.
  await page.waitForFunction(() => document.querySelector('.markdown[aria-busy="true"]') === null, null, { polling: 250 });

  for (const [name, { visible }] of Object.entries(SHAPES)) {
    await test.step(name, async () => {
      // Task durations are wall-clock time: on a shared build machine another process can
      // stretch one task past 50 ms. Such noise rarely strikes three openings running; a real
      // regression (a task of 100 ms or a second, every time) fails all three.
      const attempts: number[][] = [];
      for (let attempt = 0; attempt < 3; attempt++) {
        await page.getByTestId('conversation-item').filter({ hasText: 'A short one' }).click();
        await expect(page.locator('[data-testid="message"][data-role="assistant"] strong')).toHaveText('there');
        const since = await page.evaluate(() => performance.now());
        await page.getByTestId('conversation-item').filter({ hasText: new RegExp(`^\\s*${name}`) }).first().click();
        // Polled on a timer, not every frame: Playwright's own per-frame checks force layouts
        // that would be counted in the page's tasks.
        const done = await page.waitForFunction(
          (expected) => {
            const user = document.querySelector('[data-testid="message"][data-role="user"]');
            const rendered = document.querySelector('[data-testid="message"][data-role="assistant"] .markdown[aria-busy="false"]');
            return user?.textContent?.includes(expected) === true && rendered !== null ? performance.now() : false;
          },
          `Show me ${name}`,
          { polling: 250, timeout: 30_000 },
        );
        const until = (await done.jsonValue()) as number;
        // Long-task entries arrive after their task: wait for two frames and a task.
        const longTasks = await page.evaluate(
          async ([start, end]) => {
            await new Promise((resolve) => requestAnimationFrame(() => requestAnimationFrame(() => setTimeout(resolve, 0))));
            return (window as unknown as { __longTasks: { start: number; duration: number }[] }).__longTasks.filter((task) => task.start >= start! && task.start <= end!).map((task) => Math.round(task.duration));
          },
          [since, until],
        );
        attempts.push(longTasks);
        if (longTasks.length === 0) break;
      }
      expect(attempts.at(-1), `tasks over 50 ms while opening "${name}", each attempt: ${JSON.stringify(attempts)}`).toEqual([]);
      const answer = page.locator('[data-testid="message"][data-role="assistant"]');
      await expect(answer).toContainText(visible);
      if (name === '10 000 links') await expect(answer.locator('a[href^="https://x.io/"]')).toHaveCount(10_000);
    });
  }
});

test('a pathological answer never blanks the conversation', async ({ page, burrow }) => {
  const conversation = burrow.assistant.conversations.create('Pathological');
  burrow.assistant.conversations.addMessage({ conversationId: conversation.id, role: 'user', content: 'First question', status: 'complete' });
  burrow.assistant.conversations.addMessage({ conversationId: conversation.id, role: 'assistant', content: 'A **fine** first answer.', status: 'complete' });
  burrow.assistant.conversations.addMessage({ conversationId: conversation.id, role: 'user', content: 'Second question', status: 'complete' });
  burrow.assistant.conversations.addMessage({ conversationId: conversation.id, role: 'assistant', content: '>'.repeat(2000) + '\n\n<img src=x onerror="window.__pwned=1">', status: 'complete' });
  await page.goto(burrow.host.url);
  await page.getByTestId('conversation-item').filter({ hasText: 'Pathological' }).click();
  await expect(page.getByText('First question')).toBeVisible();
  await expect(page.locator('.markdown strong')).toHaveText('fine');
  const last = page.locator('[data-testid="message"][data-role="assistant"]').last();
  await expect(last).toContainText('>>>>>>>>');
  await expect(last).toContainText('<img src=x onerror="window.__pwned=1">');
  await expect(last.locator('img')).toHaveCount(0);
  expect(await page.evaluate(() => (window as unknown as { __pwned?: number }).__pwned)).toBeUndefined();
});
