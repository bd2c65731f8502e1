/**
 * The chat procedures — send, cancel, edit, regenerate, continue, retry a save — and the quick window's:
 * a question in a new conversation marked quick, its dismissal, the quick conversations kept.
 */
import type { ChatStarted, Conversation, ProcedureName } from '../../shared/contract';
import type { Handlers } from '../../shared/router';
import type { ChatService } from '../chat/chat-service';
import type { Preferences } from '../settings/preferences';

export type ChatProcedure = Extract<ProcedureName, `chat.${string}` | `quick.${string}`>;

export interface ChatOptions {
  chat: ChatService;
  preferences: Pick<Preferences, 'marks' | 'settings' | 'desktop'>;
  /** The conversations handlers' own create and delete, so events and clean-up happen exactly as from the UI. */
  createConversation: () => Conversation | Promise<Conversation>;
  deleteConversation: (id: string) => Promise<unknown>;
  conversationIds: () => string[];
}

export function chatHandlers(options: ChatOptions): Pick<Handlers, ChatProcedure> {
  const { chat } = options;
  const { marks, desktop } = options.preferences;
  return {
    'chat.send': ({ conversationId, text }) => chat.send(conversationId, text),
    'chat.cancel': ({ generationId }) => ({ cancelled: chat.cancel(generationId) }),
    'chat.edit': ({ messageId, text }) => chat.edit(messageId, text),
    'chat.regenerate': ({ messageId }) => chat.regenerate(messageId),
    'chat.continue': ({ messageId }) => chat.continue(messageId),
    'chat.retrySave': ({ messageId }) => chat.retrySave(messageId),
    'chat.running': ({ conversationId }) => chat.runningIn(conversationId),
    'chat.prepare': ({ conversationId }) => chat.prepare(conversationId),
    'quick.ask': ({ conversationId, text }) => ask(options, conversationId, text),
    'quick.dismiss': async ({ conversationId }) => {
      let cancelled = false;
      let deleted = false;
      if (conversationId !== null) {
        const unsaved = marks.isEphemeral(conversationId);
        if (unsaved || options.preferences.settings().escCancelsQuickAnswer) cancelled = await stopAnswers(chat, conversationId);
        if (unsaved) {
          if (options.conversationIds().includes(conversationId)) {
            await options.deleteConversation(conversationId);
            deleted = true;
          }
          marks.forget(conversationId);
        }
      }
      desktop?.hideQuickWindow();
      return { hidden: desktop !== undefined, cancelled, deleted };
    },
    'quick.conversations': () => {
      const existing = new Set(options.conversationIds());
      marks.prune((id) => existing.has(id));
      return marks.kept();
    },
  };
}

async function ask(options: ChatOptions, conversationId: string | null, text: string): Promise<ChatStarted> {
  const { chat } = options;
  const { marks } = options.preferences;
  if (conversationId !== null) return chat.send(conversationId, text);
  // Before a conversation is made for it: a refused question leaves nothing behind.
  chat.assertCapacity();
  const conversation = await options.createConversation();
  marks.mark(conversation.id, !options.preferences.settings().saveQuickPrompts);
  try {
    return chat.send(conversation.id, text);
  } catch (error) {
    // Nothing was asked (no model, say): leave no empty conversation behind.
    marks.forget(conversation.id);
    await options.deleteConversation(conversation.id).catch(() => undefined);
    throw error;
  }
}

async function stopAnswers(chat: ChatService, conversationId: string): Promise<boolean> {
  let cancelled = false;
  for (const [generationId, saved] of chat.runningFor(conversationId)) {
    cancelled = chat.cancel(generationId) || cancelled;
    await saved;
  }
  return cancelled;
}
