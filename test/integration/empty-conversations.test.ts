/**
 * Empty "New chat" entries never pile up: "New chat" reuses the empty one on screen, leaving an
 * empty one deletes it, and a file dropped into an empty chat lands there and names it. The real
 * router, real SQLite and the real extraction process.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Client } from '../../src/shared/client';
import type { DocumentInfo, EventName } from '../../src/shared/contract';
import { createAssistant, type Assistant } from '../../src/core/assistant';
import { spawnNodeDocumentWorker, spawnNodeEngine } from '../../src/core/process/node-spawn';
import { clientOf } from '../support/client';
import { sentences } from '../support/sample-documents';
import { tinyModelPath } from '../support/tiny-model';

let dataDir: string;
let assistant: Assistant;
let events: Array<{ name: EventName; payload: unknown }>;

const call: Client['call'] = (name, input) => clientOf(assistant).call(name, input);

beforeEach(() => {
  dataDir = mkdtempSync(join(tmpdir(), 'burrow-empty-'));
  events = [];
  assistant = createAssistant({
    dataDir,
    spawnEngine: spawnNodeEngine({ fromSource: true }),
    spawnDocumentWorker: spawnNodeDocumentWorker({ fromSource: true }),
    autoLoadLastModel: false,
    pickModelFile: () => Promise.resolve(tinyModelPath()),
  });
  assistant.subscribe((name, payload) => events.push({ name, payload }));
});

afterEach(async () => {
  await assistant.dispose();
  rmSync(dataDir, { recursive: true, force: true });
});

async function upload(fileName: string, conversationId?: string): Promise<DocumentInfo> {
  const bytes = Buffer.from(sentences(fileName, 6, 3).join('\n'));
  const begun = await call('documents.uploadBegin', { fileName, sizeBytes: bytes.length, ...(conversationId === undefined ? {} : { conversationId }) });
  await call('documents.uploadChunk', { uploadId: begun.uploadId, offset: 0, dataBase64: bytes.toString('base64') });
  return call('documents.uploadFinish', { uploadId: begun.uploadId });
}

const titles = async (): Promise<string[]> => (await call('conversations.list', {})).map((conversation) => conversation.title);

describe('empty conversations', () => {
  it('"New chat" on an empty conversation reuses it; once it has a message, a new one is made', async () => {
    const first = await call('conversations.create', {});
    const again = await call('conversations.create', { reuseIfEmpty: first.id });
    expect(again.id).toBe(first.id);
    expect(await titles()).toEqual(['New chat']);

    assistant.conversations.addMessage({ conversationId: first.id, role: 'user', content: 'a question', status: 'complete' });
    const second = await call('conversations.create', { reuseIfEmpty: first.id });
    expect(second.id).not.toBe(first.id);
    expect(await call('conversations.list', {})).toHaveLength(2);
  });

  it('leaving an empty conversation deletes it; one with a message, a document (or one on its way), its own title, a pin or settings is kept', async () => {
    const empty = await call('conversations.create', {});
    expect(await call('conversations.discardIfEmpty', { id: empty.id })).toEqual({ deleted: true });
    expect(await call('conversations.list', {})).toEqual([]);
    expect(events.some((event) => event.name === 'conversations.changed' && (event.payload as { id: string }).id === empty.id)).toBe(true);
    expect(await call('conversations.discardIfEmpty', { id: empty.id }), 'already gone').toEqual({ deleted: false });

    const kept: string[] = [];
    const withMessage = await call('conversations.create', {});
    assistant.conversations.addMessage({ conversationId: withMessage.id, role: 'user', content: 'hello', status: 'complete' });
    const renamed = await call('conversations.create', {});
    await call('conversations.rename', { id: renamed.id, title: 'Ideas for spring' });
    const pinned = await call('conversations.create', {});
    await call('conversations.setPinned', { id: pinned.id, pinned: true });
    const tuned = await call('conversations.create', {});
    await call('conversations.setSettings', { id: tuned.id, systemPrompt: 'You are a rabbit.' });
    const withDocument = await call('conversations.create', {});
    await upload('notes.txt', withDocument.id);
    kept.push(withMessage.id, renamed.id, pinned.id, tuned.id, withDocument.id);
    for (const id of kept) expect(await call('conversations.discardIfEmpty', { id }), id).toEqual({ deleted: false });

    // A file still on its way into an empty chat keeps it; once the upload is given up, it goes.
    const receiving = await call('conversations.create', {});
    const begun = await call('documents.uploadBegin', { fileName: 'big.txt', sizeBytes: 10, conversationId: receiving.id });
    expect(await call('conversations.discardIfEmpty', { id: receiving.id })).toEqual({ deleted: false });
    await call('documents.uploadCancel', { uploadId: begun.uploadId });
    expect(await call('conversations.discardIfEmpty', { id: receiving.id })).toEqual({ deleted: true });
    expect((await call('conversations.list', {})).map((conversation) => conversation.id).sort()).toEqual([...kept].sort());
  });

  it('a file dropped into an empty new chat lands there and names it; a second file joins without renaming it', async () => {
    const chat = await call('conversations.create', {});
    const first = await upload('field-notes.txt', chat.id);
    expect(first.conversationId).toBe(chat.id);
    expect(await titles()).toEqual(['field-notes.txt']);
    const second = await upload('more-notes.txt', chat.id);
    expect(second.conversationId).toBe(chat.id);
    expect(await titles()).toEqual(['field-notes.txt']);
    expect(await call('conversations.discardIfEmpty', { id: chat.id })).toEqual({ deleted: false });

    // A conversation that already has something in it keeps its name.
    const talked = await call('conversations.create', {});
    assistant.conversations.addMessage({ conversationId: talked.id, role: 'user', content: 'hello', status: 'complete' });
    await upload('late.txt', talked.id);
    expect((await call('conversations.get', { id: talked.id })).conversation.title).toBe('New chat');

    // Dropped with no conversation: a new one, named after the file.
    const alone = await upload('report.txt');
    expect((await call('conversations.get', { id: alone.conversationId })).conversation.title).toBe('report.txt');
  });
});
