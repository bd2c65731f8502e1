/**
 * The conversations procedures: list, create (or reuse an empty one), rename, delete, discard an
 * empty one, pins, branches, settings, the context meter, export, and each conversation's own model.
 */
import { dirname } from 'node:path';
import type { ContextUsage, ProcedureName } from '../../shared/contract';
import type { Handlers } from '../../shared/router';
import { toHistory, type ChatService } from '../chat/chat-service';
import type { EngineHost } from '../engine/engine-host';
import { StateStore } from '../engine/state-store';
import type { EmitEvent } from '../events/event-hub';
import { exportConversation } from '../history/transfer';
import type { Library } from '../models/library-service';
import { stateDir } from '../store/paths';
import type { Storage } from '../store/storage';

export type ConversationsProcedure = Extract<ProcedureName, `conversations.${string}`>;

export interface ConversationsOptions {
  storage: Storage;
  chat: ChatService;
  engine: EngineHost;
  library: Library;
  emit: EmitEvent;
  now: () => number;
  /** A file is being sent or read into the conversation now (documents): it is not discarded as empty. */
  receiving?: (id: string) => boolean;
}

const NO_MODEL_FOR_METER = 'No model is loaded, so Burrow cannot count tokens yet. The meter appears once a model is loaded.';

export function conversationsHandlers(options: ConversationsOptions): Pick<Handlers, ConversationsProcedure> {
  const { storage, engine, library, emit } = options;
  const { conversations, archive } = storage;
  const changed = <T>(id: string, value: T): T => {
    emit('conversations.changed', { id });
    return value;
  };
  return {
    'conversations.list': () => conversations.list(),
    'conversations.create': ({ title, reuseIfEmpty }) => {
      if (title === undefined && reuseIfEmpty !== undefined && conversations.isEmpty(reuseIfEmpty)) return conversations.get(reuseIfEmpty).conversation;
      const conversation = conversations.create(title);
      return changed(conversation.id, conversation);
    },
    // Nothing was ever written into it: no saved state, log or backup holds text of it to purge.
    'conversations.discardIfEmpty': ({ id }) => {
      const deleted = options.receiving?.(id) !== true && conversations.deleteIfEmpty(id);
      return deleted ? changed(id, { deleted }) : { deleted };
    },
    'conversations.get': ({ id }) => conversations.get(id),
    'conversations.rename': ({ id, title }) => changed(id, conversations.rename(id, title)),
    'conversations.delete': async ({ id }) => {
      await deleteConversation(options, id);
      return changed(id, { id });
    },
    'conversations.setPinned': ({ id, pinned }) => changed(id, conversations.setPinned(id, pinned)),
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
        // A server's tokenizer is not at hand: its count is an approximation (RemoteEngine.measure).
        reason: engine.remote !== null ? 'Approximate: counted on this computer, not by the server' : null,
      };
    },
    'conversations.export': ({ id, format }) => exportConversation(archive.read(id), conversations.get(id).messages, format, options.now()),
    'conversations.getModel': ({ id }) => {
      conversations.settings(id);
      return { id, path: library.conversationModel(id), adapters: library.adapters.conversationAdapters(id) };
    },
    'conversations.setModel': ({ id, path }) => {
      conversations.settings(id);
      const real = path === null ? null : library.access.authorize(path);
      library.setConversationModel(id, real);
      return { id, path: real, adapters: library.adapters.conversationAdapters(id) };
    },
    'conversations.setAdapters': ({ id, adapters }) => {
      conversations.settings(id);
      const chosen = library.adapters.setConversationAdapters(id, adapters);
      return changed(id, { id, path: library.conversationModel(id), adapters: chosen });
    },
  };
}

/** Stops its answers, then deletes the conversation everywhere Burrow keeps a copy of it. */
async function deleteConversation({ storage, chat, engine }: ConversationsOptions, id: string): Promise<void> {
  for (const [generationId, running] of chat.runningFor(id)) {
    chat.cancel(generationId);
    await running;
  }
  storage.conversations.delete(id);
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
}
