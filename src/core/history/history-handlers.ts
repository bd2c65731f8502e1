/**
 * The history domain of the contract: conversations (list, branches, pins, settings, the
 * context meter, export), search, archive import/export, backups and the store's status,
 * plus the chat procedures that branch (edit, regenerate) or recover (retrySave).
 */
import type { ContextUsage } from '../../shared/contract';
import type { Handlers } from '../../shared/router';
import { dirname } from 'node:path';
import { toHistory, type ChatService } from '../chat/chat-service';
import type { EngineHost } from '../engine/engine-host';
import { StateStore } from '../engine/state-store';
import { stateDir } from '../store/paths';
import type { EmitEvent } from '../events/event-hub';
import type { Storage } from '../store/storage';
import { SearchIndex } from '../store/search';
import { exportAll, exportConversation, parseImport } from './transfer';

export type HistoryHandlerName =
  | 'conversations.list'
  | 'conversations.create'
  | 'conversations.get'
  | 'conversations.rename'
  | 'conversations.delete'
  | 'conversations.setPinned'
  | 'conversations.switchBranch'
  | 'conversations.setSettings'
  | 'conversations.contextUsage'
  | 'conversations.export'
  | 'chat.edit'
  | 'chat.regenerate'
  | 'chat.retrySave'
  | 'search.query'
  | 'history.exportAll'
  | 'history.import'
  | 'history.backups'
  | 'history.restoreBackup'
  | 'store.status';

export interface HistoryOptions {
  storage: Storage;
  chat: ChatService;
  engine: EngineHost;
  emit: EmitEvent;
  now?: () => number;
  /** First daily-backup check this long after start (the window comes first). Default 5 s. */
  firstBackupDelayMs?: number;
  /** Then checked this often, so a Burrow left open overnight still makes its daily copy. Default 1 h. */
  backupCheckIntervalMs?: number;
}

export interface History {
  readonly search: SearchIndex;
  readonly handlers: Pick<Handlers, HistoryHandlerName>;
  /** Starts the daily-backup timer (unref'd: it never keeps a process alive). Returns the stop function. */
  scheduleBackups(): () => void;
}

const NO_MODEL_FOR_METER = 'No model is loaded, so Burrow cannot count tokens yet. The meter appears once a model is loaded.';

export function createHistory(options: HistoryOptions): History {
  const { storage, chat, engine, emit } = options;
  const now = options.now ?? Date.now;
  const { conversations, archive } = storage;
  const search = storage.use(new SearchIndex(storage.db));

  const handlers: Pick<Handlers, HistoryHandlerName> = {
    'conversations.list': () => conversations.list(),
    'conversations.create': ({ title }) => {
      const conversation = conversations.create(title);
      emit('conversations.changed', { id: conversation.id });
      return conversation;
    },
    'conversations.get': ({ id }) => conversations.get(id),
    'conversations.rename': ({ id, title }) => {
      const conversation = conversations.rename(id, title);
      emit('conversations.changed', { id });
      return conversation;
    },
    'conversations.delete': async ({ id }) => {
      for (const [generationId, running] of chat.runningFor(id)) {
        chat.cancel(generationId);
        await running;
      }
      conversations.delete(id);
      // Its saved evaluation state goes too: first from the engine (so no later save brings it
      // back), then from disk, also when no engine runs.
      await engine.forget(id).catch(() => undefined);
      new StateStore(stateDir(dirname(storage.file))).delete(id);
      // Folds the write-ahead log into the file and empties it, so the deleted text's older
      // copies in the log go too. Best effort: a reader elsewhere may hold the log for now.
      try {
        storage.db.pragma('wal_checkpoint(TRUNCATE)');
      } catch {
        // the next checkpoint does it
      }
      // And from every copy Burrow keeps: a deleted conversation must not live on in a backup.
      try {
        storage.purgeFromCopies(id);
      } catch (error) {
        console.error('[burrow] could not delete the conversation from every backup:', error instanceof Error ? error.message : error);
      }
      emit('conversations.changed', { id });
      return { id };
    },
    'conversations.setPinned': ({ id, pinned }) => {
      const conversation = conversations.setPinned(id, pinned);
      emit('conversations.changed', { id });
      return conversation;
    },
    'conversations.switchBranch': ({ messageId }) => conversations.switchBranch(messageId),
    'conversations.setSettings': ({ id, ...patch }) => conversations.setSettings(id, patch),
    'conversations.contextUsage': async ({ id }): Promise<ContextUsage> => {
      const { messages, settings } = conversations.get(id);
      const measured = await engine.measure({
        history: toHistory(messages),
        ...(settings.systemPrompt === null ? {} : { systemPrompt: settings.systemPrompt }),
      });
      if (measured === null) return { usedTokens: null, contextSize: null, overflow: false, strategy: 'keep-system-and-newest', reason: NO_MODEL_FOR_METER };
      return {
        usedTokens: measured.tokens,
        contextSize: measured.contextSize,
        overflow: measured.tokens > measured.contextSize,
        strategy: 'keep-system-and-newest',
        reason: null,
      };
    },
    'conversations.export': ({ id, format }) => exportConversation(archive.read(id), conversations.get(id).messages, format, now()),
    'chat.edit': ({ messageId, text }) => chat.edit(messageId, text),
    'chat.regenerate': ({ messageId }) => chat.regenerate(messageId),
    'chat.retrySave': ({ messageId }) => chat.retrySave(messageId),
    'search.query': ({ query, limit }) => search.search(query, limit),
    'history.exportAll': () => exportAll(archive.readAll(), now()),
    'history.import': ({ content, fileName }) => {
      const parsed = parseImport(content, fileName);
      const { conversationIds, messages } = archive.insertAll(parsed.records);
      if (conversationIds.length > 0) emit('history.changed', { reason: 'import' });
      return { format: parsed.format, conversations: conversationIds.length, messages, skipped: parsed.skipped };
    },
    'history.backups': () => storage.backups.list(),
    'history.restoreBackup': async ({ name }) => {
      // Answers being written belong to the history being replaced: stop and save them first.
      await chat.stopAll();
      const status = storage.restore(name);
      emit('history.changed', { reason: 'restore' });
      emit('store.status', status);
      return status;
    },
    'store.status': () => storage.status(),
  };

  return {
    search,
    handlers,
    scheduleBackups() {
      const check = (): void => {
        void storage.makeDailyBackup().then((name) => {
          if (name !== null) emit('store.status', storage.status());
        });
      };
      const first = setTimeout(check, options.firstBackupDelayMs ?? 5000);
      const every = setInterval(check, options.backupCheckIntervalMs ?? 60 * 60 * 1000);
      first.unref();
      every.unref();
      return () => {
        clearTimeout(first);
        clearInterval(every);
      };
    },
  };
}
