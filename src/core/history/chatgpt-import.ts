/**
 * ChatGPT's data export (`conversations.json`): an array of conversations, each a `mapping`
 * of nodes `{ message, parent, children }` forming a tree, with `current_node` the last
 * message of the branch that was on screen. Only what Burrow can show is kept: user and
 * assistant messages with text. System, tool and hidden messages are dropped and their
 * children re-attached to the nearest kept ancestor, so branches survive.
 *
 * The format is undocumented and changes; every field is optional here, and a conversation
 * that cannot be read is skipped rather than failing the whole file.
 */
import { z } from 'zod';
import { MAX_TITLE_CHARS, type MessageRole } from '../../shared/contract';
import type { ConversationRecord, MessageRecord } from '../store/archive-store';
import { MAX_ARCHIVED_MESSAGE_CHARS } from './archive-format';

const ChatGptMessage = z.looseObject({
  author: z.looseObject({ role: z.string() }).nullish(),
  create_time: z.number().nullish(),
  content: z
    .looseObject({
      content_type: z.string().nullish(),
      parts: z.array(z.unknown()).nullish(),
      text: z.string().nullish(),
    })
    .nullish(),
  metadata: z.looseObject({ is_visually_hidden_from_conversation: z.boolean().nullish() }).nullish(),
});

const ChatGptNode = z.looseObject({
  message: ChatGptMessage.nullish(),
  parent: z.string().nullish(),
  children: z.array(z.string()).nullish(),
});

export const ChatGptConversation = z.looseObject({
  title: z.string().nullish(),
  create_time: z.number().nullish(),
  update_time: z.number().nullish(),
  mapping: z.record(z.string(), ChatGptNode),
  current_node: z.string().nullish(),
});
type ChatGptConversation = z.infer<typeof ChatGptConversation>;
type ChatGptNode = z.infer<typeof ChatGptNode>;

/** True when `data` looks like ChatGPT's export (an array of conversations with a `mapping`, or one of them). */
export function looksLikeChatGpt(data: unknown): boolean {
  const hasMapping = (item: unknown): boolean => typeof item === 'object' && item !== null && 'mapping' in item;
  if (Array.isArray(data)) return data.length === 0 || data.some(hasMapping);
  return hasMapping(data);
}

export function fromChatGpt(data: unknown): { records: ConversationRecord[]; skipped: number } {
  const items: unknown[] = Array.isArray(data) ? data : [data];
  const records: ConversationRecord[] = [];
  let skipped = 0;
  items.forEach((item, index) => {
    const parsed = ChatGptConversation.safeParse(item);
    const record = parsed.success ? toRecord(parsed.data, index) : null;
    if (record === null) skipped++;
    else records.push(record);
  });
  return { records, skipped };
}

interface Kept {
  key: string;
  role: MessageRole;
  content: string;
  createdAt: number;
  order: number;
}

function toRecord(conversation: ChatGptConversation, index: number): ConversationRecord | null {
  const nodes = new Map<string, ChatGptNode>(Object.entries(conversation.mapping));
  const kept = new Map<string, Kept>();
  let order = 0;
  for (const [key, node] of nodes) {
    const message = node.message;
    const role = message?.author?.role;
    if (message == null || (role !== 'user' && role !== 'assistant')) continue;
    if (message.metadata?.is_visually_hidden_from_conversation === true) continue;
    const content = textOf(message.content);
    if (content.trim() === '') continue;
    kept.set(key, { key, role, content: content.slice(0, MAX_ARCHIVED_MESSAGE_CHARS), createdAt: seconds(message.create_time) ?? seconds(conversation.create_time) ?? 0, order: order++ });
  }
  if (kept.size === 0) return null;

  /** The nearest kept node at or above `key` (null at the root). Bounded, so a looping file cannot hang the import. */
  const nearestKept = (start: string | null | undefined): string | null => {
    let key = start ?? null;
    for (let steps = 0; key !== null && steps <= nodes.size; steps++) {
      if (kept.has(key)) return key;
      key = nodes.get(key)?.parent ?? null;
    }
    return null;
  };
  const parentOf = new Map<string, string | null>();
  for (const key of kept.keys()) parentOf.set(key, nearestKept(nodes.get(key)?.parent));

  // Oldest first, but every parent before its children (a parent link that loops is cut).
  const byTime = [...kept.values()].sort((a, b) => a.createdAt - b.createdAt || a.order - b.order);
  const placed = new Set<string>();
  const messages: MessageRecord[] = [];
  for (const start of byTime) {
    const chain: string[] = [];
    const onChain = new Set<string>();
    let key: string | null = start.key;
    while (key !== null && !placed.has(key) && !onChain.has(key)) {
      chain.push(key);
      onChain.add(key);
      key = parentOf.get(key) ?? null;
    }
    for (const next of chain.reverse()) {
      const node = kept.get(next);
      if (node === undefined) continue;
      const parent = parentOf.get(next) ?? null;
      messages.push({
        key: next,
        parentKey: parent !== null && placed.has(parent) ? parent : null,
        role: node.role,
        content: node.content,
        status: 'complete',
        error: null,
        tokenLimit: null,
        createdAt: node.createdAt,
      });
      placed.add(next);
    }
  }

  // Loops, not Math.min(...times): a long conversation would overflow the argument list.
  let earliest = Number.POSITIVE_INFINITY;
  let latest = 0;
  for (const message of messages) {
    earliest = Math.min(earliest, message.createdAt);
    latest = Math.max(latest, message.createdAt);
  }
  const createdAt = seconds(conversation.create_time) ?? earliest;
  const updatedAt = Math.max(seconds(conversation.update_time) ?? 0, createdAt, latest);
  const title = (conversation.title ?? '').replace(/\s+/g, ' ').trim().slice(0, MAX_TITLE_CHARS) || 'Imported chat';
  return {
    key: `chatgpt-${index}`,
    title,
    createdAt,
    updatedAt,
    pinned: false,
    settings: { systemPrompt: null, temperature: null, topP: null, maxTokens: null },
    activeLeafKey: nearestKept(conversation.current_node),
    messages,
  };
}

/** The visible text of a message: its string parts (images and other objects are left out). */
function textOf(content: z.infer<typeof ChatGptMessage>['content']): string {
  if (content == null) return '';
  const parts = (content.parts ?? []).filter((part): part is string => typeof part === 'string');
  if (parts.length > 0) return parts.join('\n');
  return content.text ?? '';
}

/** ChatGPT's times are Unix seconds with a fraction. */
function seconds(value: number | null | undefined): number | null {
  if (value == null || !Number.isFinite(value) || value < 0) return null;
  return Math.round(value * 1000);
}
