/** The history procedures: the whole history exported and imported, backups, and the store's status. */
import type { ProcedureName } from '../../shared/contract';
import type { Handlers } from '../../shared/router';
import type { ChatService } from '../chat/chat-service';
import type { EmitEvent } from '../events/event-hub';
import { exportAll, parseImport } from '../history/transfer';
import type { Storage } from '../store/storage';

export type HistoryProcedure = Extract<ProcedureName, `history.${string}`> | 'store.status';

export interface HistoryOptions {
  storage: Storage;
  chat: Pick<ChatService, 'stopAll'>;
  emit: EmitEvent;
  now: () => number;
}

export function historyHandlers({ storage, chat, emit, now }: HistoryOptions): Pick<Handlers, HistoryProcedure> {
  const { archive } = storage;
  return {
    'history.exportAll': () => exportAll(archive.readAll(), now()),
    'history.import': ({ content, fileName }) => {
      const parsed = parseImport(content, fileName);
      const { conversationIds, messages, duplicates } = archive.insertAll(parsed.records);
      if (conversationIds.length > 0) emit('history.changed', { reason: 'import' });
      return { format: parsed.format, conversations: conversationIds.length, messages, skipped: parsed.skipped, duplicates };
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
}
