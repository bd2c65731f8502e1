/**
 * The contract's schemas for conversations, their messages, branches, settings and export.
 * Pure TypeScript: no Node, Electron or DOM imports.
 */
import { z } from 'zod';
import { MAX_SYSTEM_PROMPT_CHARS, MAX_TITLE_CHARS } from '../limits';
import { Id, Timestamp } from './common';

export const Title = z.string().trim().min(1, 'must not be empty').max(MAX_TITLE_CHARS);

export const Conversation = z.strictObject({
  id: Id,
  title: z.string(),
  createdAt: Timestamp,
  updatedAt: Timestamp,
  /** Every stored message, all branches included. */
  messageCount: z.number().int().nonnegative(),
  /** Pinned conversations come first in conversations.list. */
  pinned: z.boolean(),
});
export type Conversation = z.infer<typeof Conversation>;

export const MessageRole = z.enum(['user', 'assistant']);
export type MessageRole = z.infer<typeof MessageRole>;

/**
 * `streaming`: an answer being written now. `interrupted`: it was streaming when the app or
 * the engine stopped. `cancelled`: the user pressed stop. `error`: generation failed.
 */
export const MessageStatus = z.enum(['complete', 'streaming', 'cancelled', 'error', 'interrupted']);
export type MessageStatus = z.infer<typeof MessageStatus>;

export const Message = z.strictObject({
  id: Id,
  conversationId: Id,
  /** The message this one follows (an answer's question); null for a first message. */
  parentId: Id.nullable(),
  /**
   * The alternatives at this point of the conversation (edits of a question, regenerated
   * answers), itself included, oldest first: "2 / 3" is indexOf(id) + 1 of length.
   * Switch with conversations.switchBranch.
   */
  siblingIds: z.array(Id),
  role: MessageRole,
  content: z.string(),
  status: MessageStatus,
  error: z.string().nullable(),
  createdAt: Timestamp,
  /**
   * Set when the answer stopped because it reached its token limit: that limit ("Stopped at
   * the 1,024-token limit"). chat.continue goes on from there in the same message.
   */
  tokenLimit: z.number().int().positive().nullable(),
});
export type Message = z.infer<typeof Message>;

/** Per-conversation overrides of the engine's defaults; null means "Burrow's default". */
export const ConversationSettings = z.strictObject({
  systemPrompt: z.string().max(MAX_SYSTEM_PROMPT_CHARS).nullable(),
  temperature: z.number().min(0).max(2).nullable(),
  topP: z.number().min(0).max(1).nullable(),
  maxTokens: z.number().int().min(1).max(32_768).nullable(),
});
export type ConversationSettings = z.infer<typeof ConversationSettings>;

/** A conversation as the chat view shows it. */
export const ConversationView = z.strictObject({
  conversation: Conversation,
  /** The active branch, first message first; its last message is the active leaf. */
  messages: z.array(Message),
  settings: ConversationSettings,
});
export type ConversationView = z.infer<typeof ConversationView>;

/** What chat.send, chat.edit, chat.regenerate and chat.continue return at once (the answer then streams). */
export const ChatStarted = z.strictObject({
  generationId: Id,
  /** The question: new for send and edit, the existing one for regenerate. */
  userMessage: Message,
  /** The empty answer (status 'streaming') that generation.delta events fill. */
  assistantMessage: Message,
});
export type ChatStarted = z.infer<typeof ChatStarted>;

/**
 * What chat.prepare did: the conversation's session was in memory already ('kept'), came back
 * from its saved state ('restored'), or was left as it was ('skipped': nothing saved, another
 * model or adapters needed, a server answers, or answers are running).
 */
export const ChatPrepared = z.strictObject({
  outcome: z.enum(['kept', 'restored', 'skipped']),
  /** Tokens held in memory or restored; 0 when skipped. */
  tokens: z.number().int().nonnegative(),
});
export type ChatPrepared = z.infer<typeof ChatPrepared>;

/** What Burrow does when a conversation outgrows the model's context. */
export const ContextStrategy = z.enum(['keep-system-and-newest']);
export type ContextStrategy = z.infer<typeof ContextStrategy>;

export const ContextUsage = z.strictObject({
  /** Tokens the active branch (with the system prompt and chat template) takes; null when unknown. */
  usedTokens: z.number().int().nonnegative().nullable(),
  /** The loaded model's context size; null when no model is loaded. */
  contextSize: z.number().int().positive().nullable(),
  /** The branch no longer fits: older messages will be left out (see strategy). */
  overflow: z.boolean(),
  strategy: ContextStrategy,
  /** Why the numbers are null ("No model is loaded…"), or why they are approximate (a server answers), else null. */
  reason: z.string().nullable(),
});
export type ContextUsage = z.infer<typeof ContextUsage>;

export const ExportFormat = z.enum(['markdown', 'json']);
export type ExportFormat = z.infer<typeof ExportFormat>;

/** A file for the UI to save (or the CLI to write). */
export const ExportedFile = z.strictObject({
  /** A suggested name, safe on every platform, e.g. "Rabbit facts.md". */
  fileName: z.string(),
  mimeType: z.string(),
  content: z.string(),
});
export type ExportedFile = z.infer<typeof ExportedFile>;
