import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { ConversationStore } from '../../../src/core/store/conversations';
import { DatabaseHandle, handleOf } from '../../../src/core/store/handle';
import { SettingsStore } from '../../../src/core/store/settings';
import { useTempDataDir } from './helpers';

describe('the re-pointable database handle', () => {
  const temp = useTempDataDir();

  it('moves every store built on it to the new connection, statements prepared again in order', () => {
    const first = temp.open();
    const second = temp.open(join(temp.dir, 'other.sqlite'));
    const handle = new DatabaseHandle(first);
    const conversations = new ConversationStore(handle);
    const settings = new SettingsStore(handle);
    const order: string[] = [];
    handle.prepare(() => order.push('statements'));
    handle.onRepoint(() => order.push('listener'));
    conversations.create('In the first file');
    settings.set('where', 'first');

    handle.repoint(second);
    expect(handle.db).toBe(second);
    expect(order).toEqual(['statements', 'statements', 'listener']);
    expect(conversations.list()).toEqual([]);
    conversations.create('In the second file');
    expect(conversations.list().map((c) => c.title)).toEqual(['In the second file']);
    expect(settings.get('where', z.string(), 'none')).toBe('none');
    expect(new SettingsStore(first).get('where', z.string(), 'none')).toBe('first');
    expect(new ConversationStore(first).list().map((c) => c.title)).toEqual(['In the first file']);
  });

  it('wraps a bare connection in a handle of its own, and passes a handle through', () => {
    const db = temp.open();
    const handle = handleOf(db);
    expect(handle.db).toBe(db);
    expect(handleOf(handle)).toBe(handle);
  });
});
