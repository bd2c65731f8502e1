/**
 * Documents in the browser host, in real Chromium, against the real core (extraction process,
 * SQLite, the engine running the suite's tiny model — its summaries are gibberish, so these
 * tests check what a user sees of the plumbing: the drop, live progress, coverage, references
 * that open the right page, answers with references, cancel and resume, refusals).
 */
import type { Page } from '@playwright/test';
import type { EventPayload } from '../../src/shared/contract';
import { docx, pdf, sentences } from '../support/sample-documents';
import { scanAccessibility } from './accessibility';
import { expect, loadModelThroughUi, screenshot, test } from './fixtures';

const NEEDLE = 'zebrafinch';
const NEEDLE_PAGE = 3;

function fieldReport(pages: number): Buffer {
  return pdf(
    Array.from({ length: pages }, (_, i) => {
      const lines = sentences(`page${i + 1}`, 5, i + 1);
      if (i + 1 === NEEDLE_PAGE) lines.push(`The ${NEEDLE} nests beside the river.`);
      return lines;
    }),
    { title: 'Field report' },
  );
}

/** Screenshots in both themes; with `scan`, the accessibility scan must find nothing in either. */
async function inBothThemes(page: Page, name: string, options: { scan?: boolean } = {}): Promise<void> {
  for (const theme of ['light', 'dark'] as const) {
    await page.emulateMedia({ colorScheme: theme, reducedMotion: 'reduce' });
    await screenshot(page, `${name}-${theme}`);
    if (options.scan === true) expect(await scanAccessibility(page), `${name}, ${theme}`).toEqual([]);
  }
  await page.emulateMedia({ colorScheme: 'light', reducedMotion: 'no-preference' });
}

interface DroppedFile {
  name: string;
  bytes: Buffer;
  /** The MIME type a file manager would give it ('' for unknown kinds). */
  type: string;
}

/** Drags files over the window and drops them, as a file manager would. */
async function dropFiles(page: Page, files: DroppedFile[], options: { screenshotOverlay?: string } = {}): Promise<void> {
  const dataTransfer = await page.evaluateHandle((specs) => {
    const transfer = new DataTransfer();
    for (const { name, base64, type } of specs) {
      const binary = atob(base64);
      const data = new Uint8Array(binary.length);
      for (let index = 0; index < binary.length; index++) data[index] = binary.charCodeAt(index);
      transfer.items.add(new File([data], name, { type }));
    }
    return transfer;
  }, files.map((file) => ({ name: file.name, base64: file.bytes.toString('base64'), type: file.type })));
  await page.dispatchEvent('main', 'dragenter', { dataTransfer });
  await page.dispatchEvent('main', 'dragover', { dataTransfer });
  await expect(page.getByTestId('drop-overlay')).toBeVisible();
  if (options.screenshotOverlay) await inBothThemes(page, options.screenshotOverlay);
  await page.dispatchEvent('main', 'drop', { dataTransfer });
  await expect(page.getByTestId('drop-overlay')).toBeHidden();
}

/** Records every chunks-done count the progress element shows, from the page itself. */
async function recordProgress(page: Page): Promise<void> {
  await page.evaluate(() => {
    const seen: Array<{ done: number; total: number }> = [];
    (window as unknown as { __progress: typeof seen }).__progress = seen;
    const record = (): void => {
      for (const element of document.querySelectorAll<HTMLElement>('[data-testid="summary-progress"]')) {
        const entry = { done: Number(element.dataset.done), total: Number(element.dataset.total) };
        const last = seen.at(-1);
        if (!last || last.done !== entry.done || last.total !== entry.total) seen.push(entry);
      }
    };
    new MutationObserver(record).observe(document.body, { subtree: true, childList: true, attributes: true, attributeFilter: ['data-done', 'data-total'] });
  });
}

async function recordedProgress(page: Page): Promise<Array<{ done: number; total: number }>> {
  return page.evaluate(() => (window as unknown as { __progress: Array<{ done: number; total: number }> }).__progress);
}

function summaryMessage(page: Page) {
  return page.locator('[data-testid="message"][data-role="assistant"]').filter({ hasText: /Covers / }).last();
}

test.describe('documents', () => {
  test('a PDF dropped on the window is summarised with live progress, coverage and references that open their page; a follow-up is answered with references', async ({ page, burrow }) => {
    await page.goto(burrow.host.url);
    await loadModelThroughUi(page);
    await recordProgress(page);

    const events: Array<EventPayload<'document.progress'>> = [];
    const off = burrow.assistant.subscribe((name, payload) => {
      if (name === 'document.progress') events.push(payload as EventPayload<'document.progress'>);
    });

    await dropFiles(page, [{ name: 'field-report.pdf', bytes: fieldReport(6), type: 'application/pdf' }], { screenshotOverlay: 'documents-01-drop' });
    await expect(page.getByTestId('drop-overlay')).toBeHidden();

    // A conversation named after the file opens, with the document in it.
    await expect(page.getByTestId('conversation-title')).toHaveText('field-report.pdf', { timeout: 30_000 });
    await expect(page.getByTestId('document-name')).toHaveText('field-report.pdf');
    const summary = summaryMessage(page);
    await expect(summary).toBeVisible({ timeout: 60_000 });
    off();

    // Progress: shown, counts never went backwards, and the core's events agree.
    const shown = await recordedProgress(page);
    expect(shown.length).toBeGreaterThan(0);
    for (let i = 1; i < shown.length; i++) expect(shown[i]!.done).toBeGreaterThanOrEqual(shown[i - 1]!.done);
    const mapped = events.filter((event) => event.stage !== 'chunking');
    expect(mapped.length).toBeGreaterThan(0);
    for (let i = 1; i < events.length; i++) {
      expect(events[i]!.percent).toBeGreaterThanOrEqual(events[i - 1]!.percent);
      if (events[i]!.stage === events[i - 1]!.stage) expect(events[i]!.chunksDone).toBeGreaterThanOrEqual(events[i - 1]!.chunksDone);
    }

    // Coverage, in the message and beside the document.
    await expect(summary).toContainText('Covers all 6 pages.');
    await expect(page.getByTestId('summary-done').getByTestId('summary-coverage')).toHaveText('all 6 pages');
    await expect(page.getByTestId('summary-progress')).toHaveCount(0);

    // References are buttons; each opens the passage of its pages.
    const references = summary.locator('button.reference');
    expect(await references.count()).toBeGreaterThan(0);
    await inBothThemes(page, 'documents-02-summary', { scan: true });
    const first = references.first();
    const label = (await first.getAttribute('data-reference')) ?? '';
    const [, from] = /^p\. (\d+)/.exec(label) ?? [];
    expect(from).toBeDefined();
    await first.focus();
    await page.keyboard.press('Enter');
    const dialog = page.getByTestId('passage-dialog');
    await expect(dialog).toBeVisible();
    await expect(page.getByTestId('passage-title')).toHaveText(label);
    await expect(page.getByTestId('passage-text')).toContainText(`— ${from} —`);
    await expect(page.getByTestId('passage-text')).toContainText(sentences(`page${from}`, 5, Number(from))[0]!);
    // The PDF's printed lines are read as a paragraph: one line runs on into the next.
    const [line1, line2] = sentences(`page${from}`, 5, Number(from));
    expect(await page.getByTestId('passage-text').textContent()).toContain(`${line1} ${line2}`);
    await inBothThemes(page, 'documents-03-passage', { scan: true });
    await page.keyboard.press('Escape');
    await expect(dialog).toBeHidden();
    await expect(first).toBeFocused();

    // A follow-up question: answered from the page that has the answer, with references.
    const composer = page.getByTestId('composer');
    // The new answer, not the summary above it (which is already complete): wait for it to appear.
    const assistants = page.locator('[data-testid="message"][data-role="assistant"]');
    const before = await assistants.count();
    await composer.fill(`Where does the ${NEEDLE} nest?`);
    await composer.press('Enter');
    await expect(assistants).toHaveCount(before + 1);
    const answer = assistants.nth(before);
    await expect(answer).toHaveAttribute('data-status', 'complete', { timeout: 60_000 });
    await expect(answer).toContainText('Sources:');
    const sources = answer.locator('button.reference');
    expect(await sources.count()).toBeGreaterThan(0);
    const labels = await sources.evaluateAll((buttons) => buttons.map((button) => (button as HTMLElement).dataset.reference ?? ''));
    const needleSource = labels.find((text) => {
      const match = /^p\. (\d+)(?:–(\d+))?$/.exec(text);
      return match !== null && Number(match[1]) <= NEEDLE_PAGE && Number(match[2] ?? match[1]) >= NEEDLE_PAGE;
    });
    expect(needleSource, `one of ${labels.join(', ')} covers page ${NEEDLE_PAGE}`).toBeDefined();
    await answer.locator(`button.reference[data-reference="${needleSource}"]`).click();
    await expect(page.getByTestId('passage-text')).toContainText(`The ${NEEDLE} nests beside the river.`);
    await inBothThemes(page, 'documents-04-answer-passage');
    await page.getByRole('button', { name: 'Close the passage' }).click();
    await expect(dialog).toBeHidden();

    // Search (Ctrl+K) finds the document's passage too; Enter opens it.
    await page.keyboard.press('Control+k');
    await page.getByTestId('search-input').fill(`${NEEDLE} river`);
    const passageHit = page.locator('[data-testid="search-hit"][data-kind="passage"]').first();
    await expect(passageHit).toContainText(`The ${NEEDLE} nests beside the river.`);
    // The chunk's pages, e.g. "p. 1–4", covering the page with the answer.
    const hitLabel = ((await passageHit.locator('.who').textContent()) ?? '').trim();
    const pages = /^p\. (\d+)(?:–(\d+))?$/.exec(hitLabel);
    expect(pages !== null && Number(pages[1]) <= NEEDLE_PAGE && Number(pages[2] ?? pages[1]) >= NEEDLE_PAGE, `${hitLabel} covers page ${NEEDLE_PAGE}`).toBe(true);
    await passageHit.click();
    await expect(page.getByTestId('passage-title')).toHaveText(hitLabel);
    await expect(page.getByTestId('passage-text')).toContainText(`The ${NEEDLE} nests beside the river.`);
  });

  test('several files dropped at once join one conversation; a Word file is summarised by its sections', async ({ page, burrow }) => {
    await page.goto(burrow.host.url);
    await loadModelThroughUi(page);
    const word = docx([
      { heading: 'Costs' },
      { paragraph: sentences('costs', 4, 3).join(' ') },
      { heading: 'Timeline' },
      { paragraph: sentences('timeline', 4, 4).join(' ') },
    ]);
    const markdown = Buffer.from(`# Notes\n\n${sentences('notes', 4, 5).join(' ')}\n\n## Birds\n\n${sentences('birds', 4, 6).join(' ')}\n`);
    await dropFiles(page, [
      { name: 'plan.docx', bytes: word, type: 'application/vnd.openxmlformats-officedocument.wordprocessingml.document' },
      { name: 'notes.md', bytes: markdown, type: 'text/markdown' },
    ]);
    await expect(page.getByTestId('conversation-title')).toHaveText('plan.docx', { timeout: 30_000 });
    await expect(page.getByTestId('document-name')).toHaveText(['plan.docx', 'notes.md'], { timeout: 30_000 });
    // Both are summarised, one after the other.
    await expect(page.locator('[data-testid="message"][data-role="assistant"]').filter({ hasText: /Covers / })).toHaveCount(2, { timeout: 90_000 });
    const wordSummary = page.locator('[data-testid="message"][data-role="assistant"]').filter({ hasText: /Covers / }).first();
    await inBothThemes(page, 'documents-09-two-documents', { scan: true });
    await expect(wordSummary).toContainText(/Covers all /);
    const reference = wordSummary.locator('button.reference').first();
    const label = (await reference.getAttribute('data-reference')) ?? '';
    await reference.click();
    const passage = page.getByTestId('passage-text');
    await expect(passage).toBeVisible();
    // A section reference shows that section; a heading-less cut shows its part of the text.
    const section = /^§ "(.+)"$/.exec(label)?.[1];
    if (section === 'Costs') await expect(passage).toContainText(sentences('costs', 4, 3)[0]!);
    else if (section === 'Timeline') await expect(passage).toContainText(sentences('timeline', 4, 4)[0]!);
    else await expect(passage).toContainText(sentences('costs', 4, 3)[0]!);
    await page.keyboard.press('Escape');
  });

  test('a file dropped into an empty new chat lands in it and names it after the file: no second conversation', async ({ page, burrow }) => {
    await page.goto(burrow.host.url);
    await loadModelThroughUi(page);
    await page.getByTestId('new-chat').first().click();
    await expect(page.getByTestId('conversation-item')).toHaveText(['New chat']);
    const opened = burrow.assistant.conversations.list()[0]!.id;
    await dropFiles(page, [{ name: 'field-notes.txt', bytes: Buffer.from(sentences('notes', 12, 4).join('\n')), type: 'text/plain' }]);
    await expect(page.getByTestId('document-name')).toHaveText('field-notes.txt', { timeout: 30_000 });
    await expect(page.getByTestId('conversation-title')).toHaveText('field-notes.txt');
    await expect(page.getByTestId('conversation-item')).toHaveText(['field-notes.txt']);
    expect(burrow.assistant.conversations.list().map((conversation) => [conversation.id, conversation.title])).toEqual([[opened, 'field-notes.txt']]);
    await expect(summaryMessage(page)).toBeVisible({ timeout: 60_000 });
    await screenshot(page, 'documents-10-dropped-into-new-chat');
    // It has a document now: "New chat" makes another, and leaving that empty one deletes it.
    await page.getByTestId('new-chat').first().click();
    await expect(page.getByTestId('conversation-item')).toHaveCount(2);
    await page.getByTestId('conversation-item').filter({ hasText: 'field-notes.txt' }).click();
    await expect(page.getByTestId('conversation-item')).toHaveText(['field-notes.txt']);
    expect(burrow.assistant.conversations.list()).toHaveLength(1);
  });

  test('a summary cancelled mid-way says what it covers, and resumes to the whole document', async ({ page, burrow }) => {
    await page.goto(burrow.host.url);
    await loadModelThroughUi(page);
    let summaryId = '';
    const twoDone = new Promise<void>((resolve) => {
      const off = burrow.assistant.subscribe((name, payload) => {
        const progress = payload as EventPayload<'document.progress'>;
        if (name === 'document.progress' && progress.stage === 'map' && progress.chunksDone >= 2) {
          summaryId = progress.summaryId;
          off();
          resolve();
        }
      });
    });
    await dropFiles(page, [{ name: 'long-report.pdf', bytes: fieldReport(40), type: 'application/pdf' }]);
    await expect(page.getByTestId('summary-progress')).toBeVisible({ timeout: 60_000 });
    await twoDone;
    await expect(page.getByTestId('summary-progress-text')).toContainText(/parts done/);
    // Two steps measured: the time left is priced from them, and counted down between reports.
    await expect(page.getByTestId('summary-time-left')).toHaveText(/^· (\d+ s left|about \d+ min left|finishing…)$/);
    await inBothThemes(page, 'documents-05-progress');
    await page.getByTestId('cancel-summary').click();

    const unfinished = page.getByTestId('summary-unfinished');
    await expect(unfinished).toBeVisible({ timeout: 30_000 });
    await expect(unfinished.getByTestId('summary-coverage')).toHaveText(/^pages 1–\d+ of 40 — cancelled$/);
    await inBothThemes(page, 'documents-06-cancelled', { scan: true });
    expect(summaryId).not.toBe('');

    await page.getByTestId('resume-summary').click();
    await expect(summaryMessage(page)).toContainText('Covers all 40 pages.', { timeout: 120_000 });
    await expect(page.getByTestId('summary-unfinished')).toHaveCount(0);
    await expect(page.getByTestId('summary-done').getByTestId('summary-coverage')).toHaveText('all 40 pages');
  });

  test('a hostile file (random bytes named .pdf) gets a clear refusal, and the app stays usable', async ({ page, burrow }) => {
    await page.goto(burrow.host.url);
    await loadModelThroughUi(page);
    const bytes = Buffer.from(Array.from({ length: 20_000 }, (_, i) => (i * 7919 + 13) % 256));
    await dropFiles(page, [{ name: 'invoice.pdf', bytes, type: 'application/pdf' }]);
    const error = page.getByTestId('document-error');
    await expect(error).toBeVisible({ timeout: 30_000 });
    await expect(error).toContainText(/could not be read/i);
    await expect(page.getByTestId('document-arrival')).toHaveAttribute('data-phase', 'failed');
    await inBothThemes(page, 'documents-07-refused');
    // Nothing was created; chat still works.
    expect(burrow.assistant.conversations.list()).toHaveLength(0);
    await page.getByRole('button', { name: 'Dismiss' }).click();
    await expect(error).toBeHidden();
    await page.getByTestId('new-chat').first().click();
    await page.getByTestId('composer').fill('still here?');
    await page.getByTestId('composer').press('Enter');
    await expect(page.locator('[data-testid="message"][data-role="assistant"]').last()).toHaveAttribute('data-status', 'complete', { timeout: 60_000 });
  });

  test('the Attach button reads a chosen file into the open conversation', async ({ page, burrow }) => {
    await page.goto(burrow.host.url);
    await loadModelThroughUi(page);
    await page.getByTestId('new-chat').first().click();
    await expect(page.getByTestId('attach')).toBeVisible();
    // Where the file's "Opening / Reading" notice appears, seen from the page itself.
    await page.evaluate(() => {
      const places: string[] = [];
      (window as unknown as { __arrivalPlaces: string[] }).__arrivalPlaces = places;
      new MutationObserver(() => {
        for (const card of document.querySelectorAll('[data-testid="document-arrival"]')) places.push(card.closest('[data-testid="document-panel"]') ? 'panel' : 'floating');
      }).observe(document.body, { subtree: true, childList: true });
    });
    await page.getByTestId('attach-input').setInputFiles({ name: 'notes.txt', mimeType: 'text/plain', buffer: Buffer.from(sentences('notes', 12, 9).join('\n')) });
    await expect(page.getByTestId('document-name')).toHaveText('notes.txt', { timeout: 30_000 });
    // A file going into the open conversation is shown in its own document card, not over the message box.
    const places = await page.evaluate(() => (window as unknown as { __arrivalPlaces: string[] }).__arrivalPlaces);
    expect(places.length).toBeGreaterThan(0);
    expect(new Set(places)).toEqual(new Set(['panel']));
    await expect(summaryMessage(page)).toBeVisible({ timeout: 60_000 });
    // Attached to the conversation that was open, not a new one.
    expect(burrow.assistant.conversations.list()).toHaveLength(1);
    // Removed after confirming: the document goes, the conversation and its messages stay.
    await page.getByTestId('remove-document').click();
    await page.getByRole('dialog', { name: /^Remove “notes.txt”/ }).getByTestId('confirm-delete').click();
    await expect(page.getByTestId('document-panel')).toHaveCount(0);
    await expect(summaryMessage(page)).toBeVisible();
    expect(burrow.assistant.conversations.list()).toHaveLength(1);
  });

  test('a document dropped on the quick-prompt window is summarised there, and opens in Burrow', async ({ page, burrow }) => {
    const loaded = await burrow.assistant.router.call('models.openLocal', {});
    expect(loaded.ok).toBe(true);
    await page.setViewportSize({ width: 680, height: 480 });
    await page.goto(`${burrow.host.origin}/quick.html?token=${burrow.host.token}`);
    await expect(page.getByTestId('quick-input')).toBeFocused();
    const dataTransfer = await page.evaluateHandle((base64) => {
      const binary = atob(base64);
      const data = new Uint8Array(binary.length);
      for (let index = 0; index < binary.length; index++) data[index] = binary.charCodeAt(index);
      const transfer = new DataTransfer();
      transfer.items.add(new File([data], 'field-report.pdf', { type: 'application/pdf' }));
      return transfer;
    }, fieldReport(4).toString('base64'));
    await page.dispatchEvent('main', 'dragenter', { dataTransfer });
    await expect(page.getByTestId('quick-drop-overlay')).toBeVisible();
    await page.dispatchEvent('main', 'drop', { dataTransfer });
    await expect(page.getByTestId('quick-drop-overlay')).toBeHidden();
    await expect(page.getByTestId('quick-document')).toHaveAttribute('data-phase', 'done', { timeout: 60_000 });
    await expect(page.getByTestId('quick-document-summary')).toContainText('Covers all 4 pages.');
    await inBothThemes(page, 'documents-08-quick');
    await page.getByTestId('quick-open-document').click();
    await expect(page).toHaveURL(/index\.html/);
    await expect(page.getByTestId('conversation-title')).toHaveText('field-report.pdf');
    await expect(page.getByTestId('document-name')).toHaveText('field-report.pdf');
  });

  test('a summary interrupted by a restart is offered to resume, and resumes where it stopped', async ({ page, burrow }) => {
    await page.goto(burrow.host.url);
    await loadModelThroughUi(page);
    const twoDone = new Promise<void>((resolve) => {
      const off = burrow.assistant.subscribe((name, payload) => {
        const progress = payload as EventPayload<'document.progress'>;
        if (name === 'document.progress' && progress.stage === 'map' && progress.chunksDone >= 2) {
          off();
          resolve();
        }
      });
    });
    await dropFiles(page, [{ name: 'long-report.pdf', bytes: fieldReport(40), type: 'application/pdf' }]);
    await twoDone;
    await burrow.restart();
    await page.goto(burrow.host.url);
    await expect(page.getByTestId('conversation-title')).toHaveText('long-report.pdf');
    const unfinished = page.getByTestId('summary-unfinished');
    await expect(unfinished).toContainText('interrupted');
    await expect(unfinished.getByTestId('summary-coverage')).toHaveText(/^pages 1–\d+ of 40 — interrupted$/);
    // At once, while Burrow loads the last model again (test/integration/model-load-at-start.test.ts).
    await page.getByTestId('resume-summary').click();
    await expect(summaryMessage(page)).toContainText('Covers all 40 pages.', { timeout: 120_000 });
    await expect(page.getByTestId('document-announcer')).toHaveText('The summary is ready. It covers all 40 pages.');
  });
});
