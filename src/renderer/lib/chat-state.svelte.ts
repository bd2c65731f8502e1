import type { Conversation, EventPayload, GenerationStats, Message, MessageStatus } from '../../shared/contract';
import { invoke, on } from './bridge';
import { DeltaBuffer } from './delta-buffer';
import type { Toasts } from './toasts.svelte';

/**
 * One answer being written. Events may arrive before `chat.send` has answered (the core
 * starts streaming at once), so a generation is created by whichever comes first.
 */
interface Generation {
  conversationId: string | null;
  messageId: string | null;
  buffer: DeltaBuffer;
  final: { status: MessageStatus; error: string | null } | null;
}

const END_STATUS = { done: 'complete', cancelled: 'cancelled', error: 'error' } as const satisfies Record<string, MessageStatus>;
/** How long a finished generation is remembered in case `chat.send` answers after its end. */
const FORGET_ENDED_MS = 30_000;

/** Conversations, the open conversation and its messages, and the answers being streamed. */
export class ChatState {
  #conversations = $state<Conversation[]>([]);
  #listLoaded = $state(false);
  #openId = $state<string | null>(null);
  #messages = $state<Message[]>([]);
  #messagesLoaded = $state(false);
  #sending = $state(false);
  /** conversationId → generationId of the answer streaming there (only ones we can stop). */
  #active = $state<Record<string, string>>({});
  #stats = $state<Record<string, GenerationStats>>({});
  // Plain Map on purpose: the UI reads the messages, never this bookkeeping.
  // eslint-disable-next-line svelte/prefer-svelte-reactivity -- not rendered, so not reactive
  #generations = new Map<string, Generation>();
  #openRequest = 0;
  #refreshing: Promise<void> | null = null;
  #refreshAgain = false;
  #toasts: Toasts;

  readonly conversations = $derived([...this.#conversations].sort((a, b) => b.updatedAt - a.updatedAt));
  readonly openConversation = $derived(this.#conversations.find((c) => c.id === this.#openId) ?? null);
  readonly activeGenerationId = $derived(this.#openId === null ? null : (this.#active[this.#openId] ?? null));
  /** True while any answer in the open conversation is still being written. */
  readonly answering = $derived(this.activeGenerationId !== null || this.#messages.some((m) => m.status === 'streaming'));

  constructor(toasts: Toasts) {
    this.#toasts = toasts;
  }

  get listLoaded(): boolean {
    return this.#listLoaded;
  }
  get openId(): string | null {
    return this.#openId;
  }
  get messages(): readonly Message[] {
    return this.#messages;
  }
  get messagesLoaded(): boolean {
    return this.#messagesLoaded;
  }
  get sending(): boolean {
    return this.#sending;
  }
  statsFor(messageId: string): GenerationStats | undefined {
    return this.#stats[messageId];
  }

  /** Subscribes to events once, loads the list and opens the newest conversation. */
  connect(): () => void {
    const offs = [
      on('generation.delta', (event) => this.#onDelta(event)),
      on('generation.end', (event) => this.#onEnd(event)),
      on('conversations.changed', (event) => void this.#onChanged(event.id)),
    ];
    void this.#refreshList().then(() => {
      const newest = this.conversations[0];
      if (newest && this.#openId === null) void this.open(newest.id);
    });
    return () => offs.forEach((off) => off());
  }

  async open(id: string): Promise<void> {
    const request = ++this.#openRequest;
    if (this.#openId !== id) {
      this.#openId = id;
      this.#messages = [];
      this.#messagesLoaded = false;
    }
    const result = await invoke('conversations.get', { id });
    if (request !== this.#openRequest) return;
    if (!result.ok) {
      this.#toasts.error(result.error);
      if (result.error.code === 'not_found') await this.#refreshList();
      return;
    }
    this.#upsertConversation(result.value.conversation);
    this.#messages = result.value.messages.map((message) => this.#withLocalProgress(message));
    this.#messagesLoaded = true;
  }

  async create(): Promise<void> {
    const result = await invoke('conversations.create', {});
    if (!result.ok) return this.#toasts.error(result.error);
    this.#upsertConversation(result.value);
    await this.open(result.value.id);
  }

  async rename(id: string, title: string): Promise<void> {
    const trimmed = title.trim();
    const current = this.#conversations.find((c) => c.id === id);
    if (!trimmed || trimmed === current?.title) return;
    const result = await invoke('conversations.rename', { id, title: trimmed });
    if (result.ok) this.#upsertConversation(result.value);
    else this.#toasts.error(result.error);
  }

  async remove(id: string): Promise<void> {
    const generationId = this.#active[id];
    if (generationId) await invoke('chat.cancel', { generationId });
    const order = this.conversations.map((c) => c.id);
    const result = await invoke('conversations.delete', { id });
    if (!result.ok) return this.#toasts.error(result.error);
    this.#conversations = this.#conversations.filter((c) => c.id !== id);
    if (this.#openId !== id) return;
    const index = order.indexOf(id);
    const next = order[index + 1] ?? order[index - 1];
    if (next !== undefined && next !== id) await this.open(next);
    else this.#close();
  }

  /** Sends a message in the open conversation. Resolves false when it was not sent. */
  async send(text: string): Promise<boolean> {
    const conversationId = this.#openId;
    if (conversationId === null || this.#sending || !text.trim()) return false;
    this.#sending = true;
    const result = await invoke('chat.send', { conversationId, text });
    this.#sending = false;
    if (!result.ok) {
      this.#toasts.error(result.error);
      return false;
    }
    const { generationId, userMessage, assistantMessage } = result.value;
    const generation = this.#generation(generationId);
    generation.conversationId = conversationId;
    generation.messageId = assistantMessage.id;
    if (generation.final === null) this.#active[conversationId] = generationId;
    if (this.#openId === conversationId) {
      this.#upsertMessage(userMessage);
      this.#upsertMessage(this.#withLocalProgress(assistantMessage));
    }
    return true;
  }

  async cancel(): Promise<void> {
    const generationId = this.activeGenerationId;
    if (generationId === null) return;
    const result = await invoke('chat.cancel', { generationId });
    if (!result.ok) this.#toasts.error(result.error);
  }

  #close(): void {
    this.#openRequest += 1;
    this.#openId = null;
    this.#messages = [];
    this.#messagesLoaded = false;
  }

  #generation(id: string): Generation {
    let generation = this.#generations.get(id);
    if (!generation) {
      generation = { conversationId: null, messageId: null, buffer: new DeltaBuffer(), final: null };
      this.#generations.set(id, generation);
    }
    return generation;
  }

  #onDelta({ generationId, seq, text }: EventPayload<'generation.delta'>): void {
    const generation = this.#generation(generationId);
    if (!generation.buffer.push(seq, text) || generation.messageId === null) return;
    const message = this.#messages.find((m) => m.id === generation.messageId);
    if (message) message.content = generation.buffer.text;
  }

  #onEnd(event: EventPayload<'generation.end'>): void {
    const generation = this.#generation(event.generationId);
    generation.conversationId = event.conversationId;
    generation.messageId = event.messageId;
    generation.final = { status: END_STATUS[event.reason], error: event.error?.message ?? null };
    if (this.#active[event.conversationId] === event.generationId) delete this.#active[event.conversationId];
    if (event.stats) this.#stats[event.messageId] = event.stats;
    const message = this.#messages.find((m) => m.id === event.messageId);
    if (message) Object.assign(message, this.#withLocalProgress(message));
    setTimeout(() => this.#generations.delete(event.generationId), FORGET_ENDED_MS);
  }

  async #onChanged(id: string): Promise<void> {
    await this.#refreshList();
    if (id !== this.#openId) return;
    if (!this.#conversations.some((c) => c.id === id)) {
      // Deleted somewhere else (another window): open the newest one left.
      const newest = this.conversations[0];
      if (newest) await this.open(newest.id);
      else this.#close();
    } else if (!this.answering && !this.#sending) {
      await this.open(id);
    }
  }

  /** Overlays what this window already knows (streamed text, final status) on a stored message. */
  #withLocalProgress(message: Message): Message {
    for (const generation of this.#generations.values()) {
      if (generation.messageId !== message.id) continue;
      const text = generation.buffer.text;
      const content = text.length >= message.content.length ? text : message.content;
      if (message.status !== 'streaming') return { ...message, content: message.content || content };
      return generation.final
        ? { ...message, content, status: generation.final.status, error: generation.final.error }
        : { ...message, content };
    }
    return message;
  }

  #upsertMessage(message: Message): void {
    const index = this.#messages.findIndex((m) => m.id === message.id);
    if (index === -1) this.#messages.push(message);
    else this.#messages[index] = message;
  }

  #upsertConversation(conversation: Conversation): void {
    const index = this.#conversations.findIndex((c) => c.id === conversation.id);
    if (index === -1) this.#conversations.push(conversation);
    else this.#conversations[index] = conversation;
  }

  /** Reloads the list; calls that arrive while one is running are folded into one more. */
  async #refreshList(): Promise<void> {
    if (this.#refreshing) {
      this.#refreshAgain = true;
      return this.#refreshing;
    }
    this.#refreshing = (async () => {
      do {
        this.#refreshAgain = false;
        const result = await invoke('conversations.list', {});
        if (result.ok) this.#conversations = result.value;
        else this.#toasts.error(result.error);
      } while (this.#refreshAgain);
      this.#listLoaded = true;
    })();
    try {
      await this.#refreshing;
    } finally {
      this.#refreshing = null;
    }
  }
}
