/**
 * Documents end to end through the real router, SQLite, extraction process and engine process
 * running the suite's tiny model (its words are gibberish: these tests check the plumbing — what
 * is summarised, what fits, what is referenced, what is stored — not the prose).
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Client } from '../../src/shared/client';
import type { EventName, EventPayload, ProcedureOutput } from '../../src/shared/contract';
import { createAssistant, type Assistant, type AssistantHost } from '../../src/core/assistant';
import { spawnNodeEngine } from '../../src/core/process/node-spawn';
import type { GenerateRequest, GenerateResult } from '../../src/core/engine/types';
import { spawnNodeDocumentWorker } from '../../src/core/process/node-spawn';
import { FIT_MARGIN } from '../../src/core/documents/summarizer';
import { docx, pdf, sentences } from '../support/sample-documents';
import { clientOf } from '../support/client';
import { tinyModelPath } from '../support/tiny-model';

const PAGES = 40;
/** A distinctive word on one page only, for retrieval. */
const NEEDLE = 'zebrafinch';
const NEEDLE_PAGE = 17;

let dataDir: string;
let assistant: Assistant;
let events: Array<{ name: EventName; payload: unknown }>;
let calls: Array<{ request: GenerateRequest; promptTokens: number; contextSize: number; result: GenerateResult }>;

function start(extra: Partial<AssistantHost> = {}): Assistant {
  const created = createAssistant({
    dataDir,
    spawnEngine: spawnNodeEngine({ fromSource: true }),
    spawnDocumentWorker: spawnNodeDocumentWorker({ fromSource: true }),
    engineSettings: { seed: 1 },
    autoLoadLastModel: false,
    pickModelFile: () => Promise.resolve(tinyModelPath()),
    ...extra,
  });
  created.subscribe((name, payload) => events.push({ name, payload }));
  // Every prompt the engine is given is measured here too, independently of the summariser.
  const generate = created.engine.generate.bind(created.engine);
  created.engine.generate = async (request) => {
    const measured = await created.engine.measure({ history: [...request.history, { role: 'user', text: request.prompt }], ...(request.options?.systemPrompt === undefined ? {} : { systemPrompt: request.options.systemPrompt }) });
    const result = await generate(request);
    calls.push({ request, promptTokens: measured?.tokens ?? -1, contextSize: measured?.contextSize ?? -1, result });
    return result;
  };
  return created;
}

const call: Client['call'] = (name, input) => clientOf(assistant).call(name, input);

function waitFor<K extends EventName>(name: K, match: (payload: EventPayload<K>) => boolean): Promise<EventPayload<K>> {
  return new Promise((resolve) => {
    const find = (): EventPayload<K> | undefined => events.find((event) => event.name === name && match(event.payload as EventPayload<K>))?.payload as EventPayload<K> | undefined;
    const found = find();
    if (found) return resolve(found);
    const unsubscribe = assistant.subscribe(() => {
      const now = find();
      if (now) {
        unsubscribe();
        resolve(now);
      }
    });
  });
}

function progressOf(summaryId: string): Array<EventPayload<'document.progress'>> {
  return events.filter((event) => event.name === 'document.progress').map((event) => event.payload as EventPayload<'document.progress'>).filter((p) => p.summaryId === summaryId);
}

function writePdf(): string {
  const pages = Array.from({ length: PAGES }, (_, i) => {
    const lines = sentences(`page${i + 1}`, 5, i + 1);
    if (i + 1 === NEEDLE_PAGE) lines.push(`The ${NEEDLE} nests beside the river.`);
    return lines;
  });
  const path = join(dataDir, 'field-report.pdf');
  writeFileSync(path, pdf(pages, { title: 'Field report' }));
  return path;
}

async function addPdf(): Promise<ProcedureOutput<'documents.add'>> {
  await call('models.openLocal', {});
  return call('documents.add', { path: assistant.grantDocument(writePdf()) });
}

/** Map prompts that finished, by the chunk label they name. */
function finishedMaps(): string[] {
  return calls
    .filter((c) => c.request.sessionKey.startsWith('document:') && c.request.prompt.includes('Passage from') && c.result.reason === 'done')
    .map((c) => /\[(p\. [^\]]+)\]:/.exec(c.request.prompt)?.[1] ?? '?');
}

beforeEach(() => {
  dataDir = mkdtempSync(join(tmpdir(), 'burrow-documents-'));
  events = [];
  calls = [];
  assistant = start();
});

afterEach(async () => {
  await assistant.dispose();
  rmSync(dataDir, { recursive: true, force: true });
});

// A whole summary is dozens of generations: minutes when the machine is busy with the rest of the suite.
describe('documents', { timeout: 300_000 }, () => {
  it('summarises a whole PDF map-reduce, every prompt within the context, every point referenced to real pages', async () => {
    const added = await addPdf();
    expect(added).toMatchObject({ fileName: 'field-report.pdf', format: 'pdf', title: 'Field report', pageCount: PAGES, pagesRead: PAGES, notices: [] });
    expect(added.outline.map((entry) => entry.label)).toEqual(Array.from({ length: PAGES }, (_, i) => `p. ${i + 1}`));

    const started = await call('documents.summarize', { documentId: added.id, style: 'key-points' });
    expect(started.conversationId).toBe(added.conversationId);
    const end = await waitFor('document.summary', (p) => p.summaryId === started.summaryId);
    expect(end).toMatchObject({ status: 'done', coverage: { text: `all ${PAGES} pages`, complete: true } });

    const view = await call('documents.get', { documentId: added.id });
    const summary = view.summaries[0];
    const chunksTotal = summary?.coverage.chunksTotal ?? 0;
    expect(chunksTotal).toBeGreaterThanOrEqual(6);

    // Coverage: every chunk summarised exactly once, in order.
    const maps = finishedMaps();
    expect(maps).toHaveLength(chunksTotal);
    expect(new Set(maps).size).toBe(chunksTotal);

    // The reduce tree: more than one level of combining, and every prompt of every level fits.
    const documentCalls = calls.filter((c) => c.request.sessionKey === `document:${added.id}`);
    const reduces = documentCalls.filter((c) => c.request.prompt.startsWith('Combine these notes'));
    expect(reduces.length).toBeGreaterThanOrEqual(2);
    expect(reduces.filter((c) => c.request.prompt.includes('into one summary of the whole'))).toHaveLength(1);
    for (const c of documentCalls) {
      expect(c.contextSize).toBe(2048);
      expect(c.promptTokens + (c.request.options?.maxTokens ?? Infinity) + FIT_MARGIN).toBeLessThanOrEqual(c.contextSize);
    }

    // References point at real pages, and each one shows its passage.
    expect(summary?.points.length).toBeGreaterThan(0);
    for (const point of summary?.points ?? []) {
      expect(point.references.length).toBeGreaterThan(0);
      for (const reference of point.references) {
        expect(reference.pageStart).toBeGreaterThanOrEqual(1);
        expect(reference.pageEnd).toBeLessThanOrEqual(PAGES);
        expect(reference.chunkIds.every((id) => id >= 0 && id < chunksTotal)).toBe(true);
      }
    }
    const first = summary?.points[0]?.references[0];
    const passage = await call('documents.passage', { documentId: added.id, reference: first?.label ?? '' });
    expect(passage.text).toContain(`— ${first?.pageStart} —`);
    expect(passage.text).toContain(`The page${first?.pageStart} note 1 says`);
    const byChunk = await call('documents.passage', { documentId: added.id, chunkId: 0 });
    expect(byChunk.reference.pageStart).toBe(1);

    // Progress: counters only move forward; time left is unknown only until the first step was
    // measured, then always known; it ends at 100 % with nothing left.
    const progress = progressOf(started.summaryId);
    expect(progress.length).toBeGreaterThan(chunksTotal);
    for (let i = 1; i < progress.length; i++) {
      const [before, after] = [progress[i - 1], progress[i]];
      expect(after?.percent).toBeGreaterThanOrEqual(before?.percent ?? 0);
      expect(after?.chunksDone).toBeGreaterThanOrEqual(before?.chunksDone ?? 0);
      if (before?.secondsLeft != null) expect(after?.secondsLeft).not.toBeNull();
    }
    expect(progress.filter((p) => p.stage === 'map' || p.stage === 'reduce').slice(1).every((p) => p.secondsLeft !== null)).toBe(true);
    expect(progress.at(-1)).toMatchObject({ percent: 100, secondsLeft: 0 });
    expect(progress.some((p) => p.stage === 'map' && p.section?.startsWith('p. '))).toBe(true);

    // The summary opens as a conversation with the document attached.
    const conversation = await call('conversations.get', { id: added.conversationId });
    expect(conversation.conversation.title).toBe('field-report.pdf');
    expect(conversation.messages.map((m) => m.role)).toEqual(['user', 'assistant']);
    expect(conversation.messages[1]?.id).toBe(summary?.messageId);
    expect(conversation.messages[1]?.content).toMatch(/\[p\. \d+(–\d+)?\]/);
    expect(conversation.messages[1]?.content).toContain(`_Covers all ${PAGES} pages._`);
    expect((await call('documents.list', { conversationId: added.conversationId })).map((d) => d.id)).toEqual([added.id]);
  });

  it('cancels at any moment, and resumes to the same coverage with every chunk summarised once', async () => {
    const added = await addPdf();
    const started = await call('documents.summarize', { documentId: added.id, style: 'brief', focus: 'rivers' });
    await waitFor('document.progress', (p) => p.summaryId === started.summaryId && p.chunksDone >= 2);
    expect(await call('documents.cancel', { summaryId: started.summaryId })).toEqual({ cancelled: true });
    const cancelled = await waitFor('document.summary', (p) => p.summaryId === started.summaryId);
    expect(cancelled.status).toBe('cancelled');
    expect(cancelled.coverage.text).toMatch(new RegExp(`^pages 1–\\d+ of ${PAGES} — cancelled$`));
    expect(cancelled.coverage.complete).toBe(false);
    const view = await call('documents.get', { documentId: added.id });
    expect(view.summaries[0]).toMatchObject({ status: 'cancelled', points: [], messageId: null });

    events = [];
    const resumed = await call('documents.summarize', { documentId: added.id, style: 'brief', focus: 'rivers' });
    expect(resumed.summaryId).toBe(started.summaryId);
    const done = await waitFor('document.summary', (p) => p.summaryId === resumed.summaryId);
    expect(done.coverage).toMatchObject({ text: `all ${PAGES} pages`, complete: true });
    const maps = finishedMaps();
    expect(maps).toHaveLength(done.coverage.chunksTotal);
    expect(new Set(maps).size).toBe(done.coverage.chunksTotal);
    expect(calls.some((c) => c.request.prompt.includes('Pay particular attention to: rivers'))).toBe(true);
    // A different style is a different summary.
    const other = await call('documents.summarize', { documentId: added.id, style: 'outline' });
    expect(other.summaryId).not.toBe(started.summaryId);
    await call('documents.cancel', { summaryId: other.summaryId });
    await waitFor('document.summary', (p) => p.summaryId === other.summaryId);
  });

  it('resumes after Burrow restarts, from the partial summaries in the database', async () => {
    const added = await addPdf();
    const started = await call('documents.summarize', { documentId: added.id });
    await waitFor('document.progress', (p) => p.summaryId === started.summaryId && p.chunksDone >= 2);
    await assistant.dispose();

    calls = [];
    events = [];
    assistant = start();
    const view = await call('documents.get', { documentId: added.id });
    expect(view.summaries[0]?.status).toBe('interrupted');
    const doneBefore = view.summaries[0]?.coverage.chunksDone ?? 0;
    expect(doneBefore).toBeGreaterThanOrEqual(2);
    expect(view.summaries[0]?.coverage.text).toMatch(/ — interrupted$/);

    await call('models.openLocal', {});
    const resumed = await call('documents.summarize', { documentId: added.id });
    expect(resumed.summaryId).toBe(started.summaryId);
    const done = await waitFor('document.summary', (p) => p.summaryId === started.summaryId);
    expect(done.status).toBe('done');
    // Only the chunks not yet summarised were summarised after the restart.
    expect(finishedMaps()).toHaveLength(done.coverage.chunksTotal - doneBefore);
    const levelZero = Number(assistant.storage.db.prepare('SELECT count(*) FROM document_summary_parts WHERE summary_id = ? AND level = 0').pluck().get(started.summaryId));
    expect(levelZero).toBe(done.coverage.chunksTotal);
  });

  it('answers a follow-up question from the passages that match it, with references, without breaking chat', async () => {
    const added = await addPdf();
    const sent = await call('chat.send', { conversationId: added.conversationId, text: `Where does the ${NEEDLE} nest?` });
    const end = await waitFor('generation.end', (p) => p.generationId === sent.generationId);
    expect(end.reason).toBe('done');
    const turn = calls.find((c) => c.request.sessionKey === added.conversationId);
    expect(turn?.request.prompt).toContain(`The ${NEEDLE} nests beside the river.`);
    expect(turn?.request.prompt).toMatch(/\[p\. \d+(–\d+)?\] \(field-report\.pdf\)/);
    expect(turn?.request.options?.systemPrompt).toMatch(/Cite the passages/);
    expect((turn?.promptTokens ?? Infinity) + FIT_MARGIN).toBeLessThanOrEqual(2048);
    const answer = (await call('conversations.get', { id: added.conversationId })).messages.at(-1);
    const sources = /Sources: (.+)$/.exec(answer?.content ?? '')?.[1] ?? '';
    const labels = [...sources.matchAll(/\[(p\. (\d+)(?:–(\d+))?)\]/g)];
    expect(labels.length).toBeGreaterThan(0);
    expect(labels.some((m) => Number(m[2]) <= NEEDLE_PAGE && Number(m[3] ?? m[2]) >= NEEDLE_PAGE)).toBe(true);
    // The saved question is the user's own words, not the prompt with passages.
    expect((await call('conversations.get', { id: added.conversationId })).messages.at(-2)?.content).toBe(`Where does the ${NEEDLE} nest?`);

    // A plain conversation is untouched by documents.
    const plain = await call('conversations.create', {});
    const plainSent = await call('chat.send', { conversationId: plain.id, text: 'hello' });
    await waitFor('generation.end', (p) => p.generationId === plainSent.generationId);
    expect(calls.find((c) => c.request.sessionKey === plain.id)?.request.prompt).toBe('hello');
  });

  it('an answer from the documents cut off at its limit keeps its sources; Continue goes on from the answer itself and ends with them once', async () => {
    const added = await addPdf();
    await call('conversations.setSettings', { id: added.conversationId, maxTokens: 4 });
    const sent = await call('chat.send', { conversationId: added.conversationId, text: `Where does the ${NEEDLE} nest?` });
    const end = await waitFor('generation.end', (p) => p.generationId === sent.generationId);
    expect(end).toMatchObject({ reason: 'done', finishReason: 'length', tokenLimit: 4 });
    const cut = assistant.conversations.getMessage(sent.assistantMessage.id).content;
    const footer = /\n\nSources: \[[^\n]*\]$/.exec(cut)?.[0] ?? '';
    expect(footer.length, 'the cut-off answer shows its sources').toBeGreaterThan(0);

    const continued = await call('chat.continue', { messageId: sent.assistantMessage.id });
    const answerSoFar = cut.slice(0, -footer.length);
    expect(continued.assistantMessage.content).toBe(answerSoFar);
    const continuedEnd = await waitFor('generation.end', (p) => p.generationId === continued.generationId);
    expect(continuedEnd.reason).toBe('done');
    // The model went on from the answer itself, not from its line of sources.
    expect(calls.at(-1)?.request.responsePrefix).toBe(answerSoFar);
    const grown = assistant.conversations.getMessage(sent.assistantMessage.id).content;
    expect(grown.startsWith(answerSoFar)).toBe(true);
    expect(grown.endsWith(footer)).toBe(true);
    expect(grown.length).toBeGreaterThan(cut.length);
    expect(grown.split('Sources: ')).toHaveLength(2);
  });

  it('deleting the conversation deletes its document, text, chunks, search entries and summaries', async () => {
    const added = await addPdf();
    const started = await call('documents.summarize', { documentId: added.id });
    await waitFor('document.summary', (p) => p.summaryId === started.summaryId);
    const db = assistant.storage.db;
    const count = (table: string): number => Number(db.prepare(`SELECT count(*) FROM ${table}`).pluck().get());
    expect(count('document_chunks')).toBeGreaterThan(0);
    await call('conversations.delete', { id: added.conversationId });
    for (const table of ['documents', 'document_units', 'document_chunks', 'document_summaries', 'document_summary_parts']) expect(count(table)).toBe(0);
    expect(Number(db.prepare(`SELECT count(*) FROM document_chunks_fts WHERE document_chunks_fts MATCH '${NEEDLE}'`).pluck().get())).toBe(0);
    await expect(call('documents.get', { documentId: added.id })).rejects.toMatchObject({ code: 'not_found' });
  });

  it('takes a dropped file streamed in chunks, and reads only what it can use of a huge text', async () => {
    await assistant.dispose();
    assistant = start({ documentCaps: { maxChars: 1000 } });
    const file = docx([{ heading: 'Costs' }, { paragraph: 'Three seeds.' }, { table: [['Moss', '3']] }]);
    const begun = await call('documents.uploadBegin', { fileName: 'plan.docx', sizeBytes: file.length });
    expect(begun.acceptBytes).toBe(file.length);
    for (let offset = 0; offset < file.length; offset += 700) {
      await call('documents.uploadChunk', { uploadId: begun.uploadId, offset, dataBase64: file.subarray(offset, offset + 700).toString('base64') });
    }
    const info = await call('documents.uploadFinish', { uploadId: begun.uploadId });
    expect(info).toMatchObject({ fileName: 'plan.docx', format: 'docx', notices: [] });
    expect(info.outline.map((entry) => entry.label)).toEqual(['§ "Costs"']);
    expect((await call('documents.passage', { documentId: info.id, reference: '§ "Costs"' })).text).toBe('Three seeds.\n\nMoss | 3');

    const huge = await call('documents.uploadBegin', { fileName: 'log.txt', sizeBytes: 2 * 1024 ** 3, conversationId: info.conversationId });
    expect(huge.acceptBytes).toBe(4004);
    await expect(call('documents.uploadChunk', { uploadId: huge.uploadId, offset: 5, dataBase64: 'AAAA' })).rejects.toMatchObject({ code: 'invalid_input' });
    await call('documents.uploadChunk', { uploadId: huge.uploadId, offset: 0, dataBase64: Buffer.alloc(4004, 0x61).toString('base64') });
    const text = await call('documents.uploadFinish', { uploadId: huge.uploadId });
    expect(text.conversationId).toBe(info.conversationId);
    expect(text.notices).toEqual(['Only the first 4.0 kB of this 2.1 GB file were read.', 'Only the first 1 000 characters were read.']);
    expect((await call('documents.list', { conversationId: info.conversationId })).map((d) => d.fileName)).toEqual(['plan.docx', 'log.txt']);

    await expect(call('documents.uploadBegin', { fileName: 'big.pdf', sizeBytes: 300 * 1024 ** 2 })).rejects.toThrow(/too large/);
  });

  it('refuses paths nobody handed over, before reading them', async () => {
    for (const path of ['/etc/passwd', join(homedir(), '.ssh', 'id_rsa'), '../../etc/passwd', `${dataDir}/../../etc/passwd`, '/dev/zero', dataDir]) {
      const result = await assistant.router.call('documents.add', { path });
      expect(result.ok).toBe(false);
      if (!result.ok) expect(['refused', 'not_found']).toContain(result.error.code);
    }
    expect(await call('conversations.list', {})).toEqual([]);
  });

  it('reports an unreadable document plainly and creates nothing', async () => {
    const path = join(dataDir, 'locked.pdf');
    writeFileSync(path, pdf([['secret']], { userPassword: 'pw' }));
    const result = await assistant.router.call('documents.add', { path: assistant.grantDocument(path) });
    expect(result).toEqual({ ok: false, error: { code: 'document_unreadable', message: 'Password-protected PDFs are not supported. Remove the password and drop it again.' } });
    expect(await call('conversations.list', {})).toEqual([]);
  });
});
