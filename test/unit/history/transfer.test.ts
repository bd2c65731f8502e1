import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { Archive } from '../../../src/core/history/archive-format';
import { exportAll, exportConversation, parseImport, safeFileName } from '../../../src/core/history/transfer';
import { ArchiveStore, type ConversationRecord } from '../../../src/core/store/archive-store';
import { ConversationStore } from '../../../src/core/store/conversations';
import { databasePath, type Database } from '../../../src/core/store/database';
import { BurrowError } from '../../../src/shared/errors';
import { useTempDataDir } from '../store/helpers';

const temp = useTempDataDir();

function freshDatabase(name: string): Database {
  const dir = join(temp.dir, name);
  mkdirSync(dir, { recursive: true });
  return temp.open(databasePath(dir));
}

/** A history with branches, settings, a pin and every message status. */
function writeHistory(db: Database): void {
  let time = 1_700_000_000_000;
  const store = new ConversationStore(db, { now: () => (time += 1000) });
  const rabbits = store.create('Rabbit facts');
  const q1 = store.addExchange({ conversationId: rabbits.id, text: 'Where do rabbits live?' });
  store.updateMessage(q1.assistantMessage.id, { content: 'In burrows.', status: 'complete' });
  const regenerated = store.addMessage({ conversationId: rabbits.id, parentId: q1.userMessage.id, role: 'assistant', content: 'Underground, in warrens.', status: 'complete' });
  const q2 = store.addExchange({ conversationId: rabbits.id, text: 'How deep?' });
  store.updateMessage(q2.assistantMessage.id, { content: 'About a metre, then it was cut', status: 'interrupted' });
  const edited = store.addExchange({ conversationId: rabbits.id, parentId: regenerated.id, text: 'How deep do they dig?' });
  store.updateMessage(edited.assistantMessage.id, { content: 'It failed', status: 'error', error: 'The model stopped.' });
  store.switchBranch(q2.userMessage.id);
  store.setSettings(rabbits.id, { systemPrompt: 'Answer briefly.', temperature: 0.3, maxTokens: 200 });
  store.setPinned(rabbits.id, true);
  store.create('Empty chat');
  const other = store.create('Moss');
  const moss = store.addExchange({ conversationId: other.id, text: 'Is moss soft? "Yes" — with ünïcödé and 🐇' });
  // Cut off at its length limit: the mark travels with the archive.
  store.updateMessage(moss.assistantMessage.id, { content: 'Very.\n\n```\ncode\n```', status: 'complete', tokenLimit: 1024 });
}

/** The tree with ids replaced by positions, so two databases can be compared. */
function normalise(records: ConversationRecord[]) {
  return records.map((record) => {
    const position = new Map(record.messages.map((message, index) => [message.key, index]));
    return {
      ...record,
      key: undefined,
      activeLeafKey: record.activeLeafKey === null ? null : position.get(record.activeLeafKey),
      messages: record.messages.map((message) => ({ ...message, key: position.get(message.key), parentKey: message.parentKey === null ? null : position.get(message.parentKey) })),
    };
  });
}

function expectInvalid(action: () => unknown, message: RegExp): void {
  let thrown: unknown;
  try {
    action();
  } catch (error) {
    thrown = error;
  }
  expect(thrown).toBeInstanceOf(BurrowError);
  expect((thrown as BurrowError).code).toBe('invalid_input');
  expect((thrown as BurrowError).message).toMatch(message);
}

describe('archive export and import', () => {
  it('a round trip into a fresh database reproduces conversations, messages, branches, settings and pins', () => {
    const source = freshDatabase('source');
    writeHistory(source);
    const exported = exportAll(new ArchiveStore(source).readAll(), Date.UTC(2024, 4, 1));
    expect(exported).toMatchObject({ fileName: 'burrow-history-2024-05-01.json', mimeType: 'application/json' });
    const archive = Archive.parse(JSON.parse(exported.content));
    expect(archive).toMatchObject({ format: 'burrow-archive', version: 1, exportedAt: '2024-05-01T00:00:00.000Z' });
    expect(archive.conversations.map((c) => [c.title, c.messages.length])).toEqual([
      ['Rabbit facts', 7],
      ['Empty chat', 0],
      ['Moss', 2],
    ]);

    const target = freshDatabase('target');
    const parsed = parseImport(exported.content, 'burrow-history-2024-05-01.json');
    expect(parsed).toMatchObject({ format: 'burrow-archive', skipped: 0 });
    const inserted = new ArchiveStore(target).insertAll(parsed.records);
    expect(inserted.messages).toBe(9);
    expect(archive.conversations[2]?.messages.map((message) => message.tokenLimit)).toEqual([undefined, 1024]);
    expect(archive.conversations[0]?.messages.every((message) => !('tokenLimit' in message))).toBe(true);

    expect(normalise(new ArchiveStore(target).readAll())).toEqual(normalise(new ArchiveStore(source).readAll()));
    // What the user sees is the same too: branch on screen, alternatives, settings, pin.
    const view = (db: Database) =>
      new ConversationStore(db).list().map((conversation) => {
        const { messages, settings } = new ConversationStore(db).get(conversation.id);
        return { ...conversation, id: undefined, settings, messages: messages.map((m) => [m.role, m.content, m.status, m.error, m.siblingIds.length, m.tokenLimit]) };
      });
    expect(view(target)).toEqual(view(source));
    expect(view(target)[0]).toMatchObject({ title: 'Rabbit facts', pinned: true, settings: { systemPrompt: 'Answer briefly.', temperature: 0.3, topP: null, maxTokens: 200 } });
  });

  it('skips conversations already here (the same archive imported twice), and repeats within a file, counting them', () => {
    const db = freshDatabase('twice');
    writeHistory(db);
    const records = parseImport(exportAll(new ArchiveStore(db).readAll(), 0).content).records;
    const archive = new ArchiveStore(db);
    expect(archive.insertAll(records)).toEqual({ conversationIds: [], messages: 0, duplicates: 3 });
    expect(new ConversationStore(db).list()).toHaveLength(3);
    // Same title and start but another message: a different conversation, imported under a new id.
    const [first] = records;
    if (first?.messages[0] === undefined) throw new Error('fixture changed');
    const changed = { ...first, messages: [{ ...first.messages[0], content: `${first.messages[0].content} (edited)` }, ...first.messages.slice(1)] };
    const again = archive.insertAll([changed, changed]);
    expect(again.conversationIds).toHaveLength(1);
    expect(again.duplicates).toBe(1);
    expect(new ConversationStore(db).list()).toHaveLength(4);
  });

  it('imports all or nothing: a broken conversation late in the file leaves the database unchanged', () => {
    const db = freshDatabase('atomic');
    writeHistory(db);
    const archive = JSON.parse(exportAll(new ArchiveStore(db).readAll(), 0).content) as Archive;
    const broken = archive.conversations[2];
    if (broken?.messages[1] === undefined) throw new Error('fixture changed');
    broken.messages[1].parentId = 'not-in-this-file';
    const before = new ConversationStore(db).list();
    expectInvalid(() => new ArchiveStore(db).insertAll(parseImport(JSON.stringify(archive)).records), /answers one that is not before it.*Nothing was imported/);
    expect(new ConversationStore(db).list()).toEqual(before);
  });

  it('refuses what it cannot read, saying what the file is not', () => {
    expectInvalid(() => parseImport('not json at all', 'notes.txt'), /"notes\.txt" is not a JSON file/);
    expectInvalid(() => parseImport('{"hello": "world"}'), /neither a Burrow archive nor ChatGPT's conversations\.json/);
    expectInvalid(() => parseImport('{"format": "burrow-archive", "version": 2, "conversations": []}'), /newer version of Burrow/);
    expectInvalid(() => parseImport('{"format": "burrow-archive", "version": 1, "exportedAt": "x", "conversations": [{"id": 1}]}'), /damaged or incomplete at conversations\.0/);
  });

  it('marks an answer that was streaming in the file as interrupted', () => {
    const records = parseImport(
      JSON.stringify({
        format: 'burrow-archive',
        version: 1,
        exportedAt: '2024-01-01T00:00:00.000Z',
        futureField: 'ignored',
        conversations: [
          {
            id: 'c',
            title: 'T',
            createdAt: 1,
            updatedAt: 2,
            pinned: false,
            settings: { systemPrompt: null, temperature: null, topP: null, maxTokens: null },
            activeLeafId: null,
            messages: [{ id: 'm', parentId: null, role: 'assistant', content: 'half', status: 'streaming', error: null, createdAt: 1 }],
          },
        ],
      }),
    ).records;
    expect(records[0]?.messages[0]?.status).toBe('interrupted');
  });
});

describe('ChatGPT import', () => {
  /** Shaped like ChatGPT's data export: a mapping tree, hidden system and tool nodes, a regenerated answer, an image part. */
  const chatGptExport = [
    {
      title: 'Rabbit care',
      create_time: 1_700_000_000.5,
      update_time: 1_700_000_600.25,
      conversation_id: 'abc',
      current_node: 'n4',
      mapping: {
        root: { id: 'root', message: null, parent: null, children: ['sys'] },
        sys: {
          id: 'sys',
          message: { id: 'sys', author: { role: 'system', name: null, metadata: {} }, create_time: null, content: { content_type: 'text', parts: [''] }, status: 'finished_successfully', metadata: { is_visually_hidden_from_conversation: true } },
          parent: 'root',
          children: ['n1'],
        },
        n1: { id: 'n1', message: { id: 'n1', author: { role: 'user' }, create_time: 1_700_000_010, content: { content_type: 'text', parts: ['How do I care for a rabbit?'] }, metadata: {} }, parent: 'sys', children: ['n2', 'n2b'] },
        n2: { id: 'n2', message: { id: 'n2', author: { role: 'assistant' }, create_time: 1_700_000_020, content: { content_type: 'text', parts: ['Give it hay.'] }, metadata: {} }, parent: 'n1', children: ['n3'] },
        n2b: { id: 'n2b', message: { id: 'n2b', author: { role: 'assistant' }, create_time: 1_700_000_500, content: { content_type: 'text', parts: ['Hay, water and space.'] }, metadata: {} }, parent: 'n1', children: [] },
        n3: { id: 'n3', message: { id: 'n3', author: { role: 'user' }, create_time: 1_700_000_030, content: { content_type: 'text', parts: ['And treats?'] }, metadata: {} }, parent: 'n2', children: ['tool'] },
        tool: { id: 'tool', message: { id: 'tool', author: { role: 'tool', name: 'browser' }, create_time: 1_700_000_031, content: { content_type: 'text', parts: ['search results'] }, metadata: {} }, parent: 'n3', children: ['n4'] },
        n4: {
          id: 'n4',
          message: { id: 'n4', author: { role: 'assistant' }, create_time: 1_700_000_040, content: { content_type: 'multimodal_text', parts: [{ content_type: 'image_asset_pointer', asset_pointer: 'file-service://x' }, 'Carrots, sometimes.'] }, metadata: {} },
          parent: 'tool',
          children: [],
        },
      },
    },
    { title: 'Only a system prompt', create_time: 1_700_000_000, mapping: { root: { id: 'root', message: null, parent: null, children: [] } } },
    { title: 'Broken', mapping: 'not a mapping' },
  ];

  it('keeps user and assistant text, re-attaches around dropped nodes, keeps regenerated answers as branches', () => {
    const db = freshDatabase('chatgpt');
    const parsed = parseImport(JSON.stringify(chatGptExport), 'conversations.json');
    expect(parsed).toMatchObject({ format: 'chatgpt', skipped: 2 });
    const { conversationIds, messages } = new ArchiveStore(db).insertAll(parsed.records);
    expect([conversationIds.length, messages]).toEqual([1, 5]);

    const store = new ConversationStore(db);
    const [conversation] = store.list();
    expect(conversation).toMatchObject({ title: 'Rabbit care', createdAt: 1_700_000_000_500, updatedAt: 1_700_000_600_250, messageCount: 5 });
    const view = store.get(conversation?.id ?? '');
    expect(view.messages.map((m) => [m.role, m.content, m.siblingIds.length])).toEqual([
      ['user', 'How do I care for a rabbit?', 1],
      ['assistant', 'Give it hay.', 2],
      ['user', 'And treats?', 1],
      ['assistant', 'Carrots, sometimes.', 1],
    ]);
    expect(view.messages[0]?.createdAt).toBe(1_700_000_010_000);
    const alternative = store.switchBranch(view.messages[1]?.siblingIds[1] ?? '');
    expect(alternative.messages.map((m) => m.content)).toEqual(['How do I care for a rabbit?', 'Hay, water and space.']);
  });

  it('reads a single conversation object and survives a parent loop', () => {
    const looped = {
      title: 'Loop',
      mapping: {
        a: { message: { author: { role: 'user' }, create_time: 2, content: { parts: ['first'] } }, parent: 'b', children: ['b'] },
        b: { message: { author: { role: 'assistant' }, create_time: 3, content: { parts: ['second'] } }, parent: 'a', children: ['a'] },
      },
      current_node: 'b',
    };
    const parsed = parseImport(JSON.stringify(looped));
    // The loop is cut: one of them becomes the first message, the other answers it.
    const messages = parsed.records[0]?.messages ?? [];
    expect(messages.map((m) => m.content).sort()).toEqual(['first', 'second']);
    expect(messages.filter((m) => m.parentKey === null)).toHaveLength(1);
    const db = freshDatabase('loop');
    expect(new ArchiveStore(db).insertAll(parsed.records).messages).toBe(2);
  });
});

describe('exporting one conversation', () => {
  it('as Markdown: the branch on screen, with roles, times, the system prompt and unfinished answers marked', () => {
    const db = freshDatabase('markdown');
    writeHistory(db);
    const store = new ConversationStore(db);
    const rabbits = store.list()[0];
    if (rabbits === undefined) throw new Error('fixture changed');
    const file = exportConversation(new ArchiveStore(db).read(rabbits.id), store.get(rabbits.id).messages, 'markdown', Date.UTC(2024, 4, 1, 12, 30));
    expect(file).toMatchObject({ fileName: 'Rabbit facts.md', mimeType: 'text/markdown' });
    expect(file.content).toBe(
      [
        '# Rabbit facts',
        '',
        '*Exported from Burrow on 2024-05-01 12:30 UTC · 4 messages*',
        '',
        '> **System prompt:** Answer briefly.',
        '',
        '---',
        '',
        '### You · 2023-11-14 22:13 UTC',
        '',
        'Where do rabbits live?',
        '',
        '---',
        '',
        '### Assistant · 2023-11-14 22:13 UTC',
        '',
        'Underground, in warrens.',
        '',
        '---',
        '',
        '### You · 2023-11-14 22:13 UTC',
        '',
        'How deep?',
        '',
        '---',
        '',
        '### Assistant · 2023-11-14 22:13 UTC',
        '',
        'About a metre, then it was cut',
        '',
        '*This answer was interrupted.*',
        '',
      ].join('\n'),
    );
  });

  it('as JSON: an importable archive holding the whole tree', () => {
    const db = freshDatabase('json');
    writeHistory(db);
    const rabbits = new ConversationStore(db).list()[0];
    const file = exportConversation(new ArchiveStore(db).read(rabbits?.id ?? ''), [], 'json', 0);
    expect(file.fileName).toBe('Rabbit facts.json');
    expect(parseImport(file.content).records[0]?.messages).toHaveLength(7);
  });

  it('suggests file names that are safe everywhere', () => {
    expect(safeFileName('What is 1/2: a "half"? <yes>')).toBe('What is 1 2 a half yes');
    expect(safeFileName('...')).toBe('conversation');
    expect(safeFileName('CON')).toBe('conversation');
    expect(safeFileName('x'.repeat(200))).toHaveLength(80);
  });
});
