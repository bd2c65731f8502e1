import { existsSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { SearchIndex } from '../../../src/core/store/search';
import { ConversationStore } from '../../../src/core/store/conversations';
import { useTempDataDir } from './helpers';

const temp = useTempDataDir();

/**
 * Words no other text shares a prefix with ("zz…" sorts last in the index), so FTS5 stores
 * them whole; the suffix is checked too, in case the index shares the "zz" with another term.
 */
const SECRET = 'zzqxsecretword';
const SECRET_TITLE = 'zzvwprivatetitle';

function fileHolds(text: string): boolean {
  const needle = Buffer.from(text, 'utf8');
  return [temp.file, `${temp.file}-wal`].some((path) => existsSync(path) && readFileSync(path).includes(needle));
}

describe('deleting a conversation', () => {
  it('removes its text, title and search entries from the database file itself', () => {
    const db = temp.open();
    const conversations = new ConversationStore(db);
    const search = new SearchIndex(db);
    const kept = conversations.create('Keep this one');
    conversations.addExchange({ conversationId: kept.id, text: 'An ordinary message about rabbits' });
    const secret = conversations.create(`Notes ${SECRET_TITLE}`);
    const turn = conversations.addExchange({ conversationId: secret.id, text: `my password hint is ${SECRET} and more` });
    conversations.updateMessage(turn.assistantMessage.id, { content: `I will remember ${SECRET}.`, status: 'complete' });
    conversations.addMessage({ conversationId: secret.id, parentId: turn.userMessage.id, role: 'assistant', content: `Another answer with ${SECRET}`, status: 'complete' });
    db.pragma('wal_checkpoint(TRUNCATE)');
    // The check can see it while it is there.
    expect(fileHolds(SECRET)).toBe(true);
    expect(fileHolds(SECRET_TITLE)).toBe(true);
    expect(search.search(SECRET).groups).toHaveLength(1);

    conversations.delete(secret.id);
    db.pragma('wal_checkpoint(TRUNCATE)');

    expect(search.search(SECRET).groups).toEqual([]);
    expect(search.search(SECRET_TITLE).groups).toEqual([]);
    for (const text of [SECRET, SECRET.slice(2), SECRET_TITLE, SECRET_TITLE.slice(2)]) expect(fileHolds(text), text).toBe(false);
    expect(search.search('rabbits').groups.map((group) => group.conversationId)).toEqual([kept.id]);
    expect(db.pragma('quick_check', { simple: true })).toBe('ok');
  });
});
