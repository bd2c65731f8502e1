/**
 * Found by the documents e2e: clicking Resume right after Burrow starts, while it loads the last
 * model again, failed with "No model is loaded" — the summary's own load and the start-up load
 * of the same model both ran, and the second unloaded the model the summary was measuring with.
 * Loads of the same model at once now share one load.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, expect, it } from 'vitest';
import type { DocumentInfo, EventPayload } from '../../src/shared/contract';
import { createAssistant, type Assistant, type AssistantHost } from '../../src/core/assistant';
import { spawnNodeDocumentWorker } from '../../src/core/process/node-spawn';
import { spawnNodeEngine } from '../../src/core/process/node-spawn';
import { pdf, sentences } from '../support/sample-documents';
import { tinyModelPath } from '../support/tiny-model';

let dataDir: string | undefined;
let assistant: Assistant | undefined;

afterEach(async () => {
  await assistant?.dispose();
  if (dataDir !== undefined) rmSync(dataDir, { recursive: true, force: true });
});

it('a summary started while Burrow loads the last model at start waits for that model and completes; the model is loaded once', async () => {
  dataDir = mkdtempSync(join(tmpdir(), 'burrow-load-at-start-'));
  const host: AssistantHost = {
    dataDir,
    spawnEngine: spawnNodeEngine({ fromSource: true }),
    spawnDocumentWorker: spawnNodeDocumentWorker({ fromSource: true }),
    engineSettings: { seed: 1 },
    pickModelFile: () => Promise.resolve(tinyModelPath()),
  };
  assistant = createAssistant({ ...host, autoLoadLastModel: false });
  expect((await assistant.router.call('models.openLocal', {})).ok).toBe(true);
  const path = join(dataDir, 'report.pdf');
  writeFileSync(path, pdf([sentences('moss', 5, 1), sentences('stones', 5, 2)]));
  const added = await assistant.router.call('documents.add', { path: assistant.grantDocument(path) });
  if (!added.ok) throw new Error(added.error.message);
  const documentId = (added.value as DocumentInfo).id;
  await assistant.dispose();

  // Started again: the last model loads in the background, and a summary is asked for at once.
  assistant = createAssistant(host);
  const states: string[] = [];
  const ended = new Promise<EventPayload<'document.summary'>>((resolve) =>
    assistant?.subscribe((name, payload) => {
      if (name === 'engine.state') states.push((payload as EventPayload<'engine.state'>).state);
      if (name === 'document.summary') resolve(payload as EventPayload<'document.summary'>);
    }),
  );
  const started = await assistant.router.call('documents.summarize', { documentId });
  expect(started.ok).toBe(true);
  const end = await ended;
  expect(end).toMatchObject({ status: 'done', coverage: { text: 'all 2 pages', complete: true } });
  expect(states.filter((state) => state === 'loading')).toHaveLength(1);
}, 60_000);
