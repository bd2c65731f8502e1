import type { ChatStarted, Conversation, ConversationSettings, ConversationView, EventPayload, GenerationStats, Message, MessageStatus } from '../../shared/contract';
import type { Result } from '../../shared/errors';
import type { Client } from '../../shared/client';
import { getClient } from './bridge';
import { coalesce } from './coalesce';
import { DeltaBuffer } from '../../shared/delta-buffer';
import type { Toasts } from './toasts.svelte';

/**
 * One answer being written. Events may arrive before `chat.send` has answered (the core
 * starts streaming at once), so a generation is created by whichever comes first.
 */
interface Generation {
  conversationId: string | null;
  messageId: string | null;
  buffer: DeltaBuffer;
  /** The answer's text before this generation (Continue goes on from it); '' for a new answer. */
  prefix: string;
  final: { status: MessageStatus; error: string | null; tokenLimit: number | null } | null;
}

const END_STATUS = { done: 'complete', cancelled: 'cancelled', error: 'error' } as const satisfies Record<string, MessageStatus>;
/** How long a finished generation is remembered in case `chat.send` answers after its end. */
const FORGET_ENDED_MS = 30_000;
/** How long a conversation stays open before its saved state is loaded into the engine (chat.prepare). */
const PREPARE_AFTER_MS = 300;

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
  /** Answers the disk refused to save (generation.end with storage_error): shown with "Retry save". */
  #unsaved = $state<Record<string, string>>({});
  /** The message a search result jumped to, highlighted for a moment. */
  #highlightId = $state<string | null>(null);
  /** Bumped on every jump, so jumping to the same message twice scrolls again. */
  #highlightSeq = $state(0);
  /** The open conversation's own system prompt and sampling settings. */
  #settings = $state<ConversationSettings | null>(null);
  /** Bumped by "New chat", so the composer takes the focus even when the open chat was reused. */
  #focusRequests = $state(0);
  /** Bumped when an answer ends (a new length for the context meter). */
  #endedCount = $state(0);
  // Plain Map on purpose: the UI reads the messages, never this bookkeeping.
  // eslint-disable-next-line svelte/prefer-svelte-reactivity -- not rendered, so not reactive
  #generations = new Map<string, Generation>();
  #openRequest = 0;
  /** The engine was loading a model at its last state change (engine.state). */
  #engineLoading = false;
  #toasts: Toasts;
  #client: Client;

  /** Pinned first, then newest first (the sidebar's order, and ⌘1–9's). */
  readonly conversations = $derived([...this.#conversations].sort((a, b) => Number(b.pinned) - Number(a.pinned) || b.updatedAt - a.updatedAt));
  readonly openConversation = $derived(this.#conversations.find((c) => c.id === this.#openId) ?? null);
  readonly activeGenerationId = $derived(this.#openId === null ? null : (this.#active[this.#openId] ?? null));
  /** True while any answer in the open conversation is still being written. */
  readonly answering = $derived(this.activeGenerationId !== null || this.#messages.some((m) => m.status === 'streaming'));

  constructor(toasts: Toasts, client: Client = getClient()) {
    this.#toasts = toasts;
    this.#client = client;
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
  /** Why the answer could not be saved, or undefined when it was (or is being written). */
  unsavedReason(messageId: string): string | undefined {
    return this.#unsaved[messageId];
  }
  get highlightId(): string | null {
    return this.#highlightId;
  }
  get highlightSeq(): number {
    return this.#highlightSeq;
  }
  get settings(): ConversationSettings | null {
    return this.#settings;
  }
  get focusRequests(): number {
    return this.#focusRequests;
  }
  get endedCount(): number {
    return this.#endedCount;
  }
  clearHighlight(): void {
    this.#highlightId = null;
  }

  /** Subscribes to events once, loads the list and opens the newest conversation. */
  connect(): () => void {
    const offs = [
      this.#client.on('generation.started', ({ conversationId }) => {
        // Started in another window (this one is still waiting for its own chat.* answer otherwise).
        if (conversationId === this.#openId && !this.#sending) void this.#follow(conversationId);
      }),
      this.#client.on('generation.delta', (event) => this.#onDelta(event)),
      this.#client.on('generation.end', (event) => this.#onEnd(event)),
      this.#client.on('conversations.changed', (event) => void this.#onChanged(event.id)),
      this.#client.on('history.changed', () => void this.#onHistoryChanged()),
      this.#client.on('engine.state', ({ state }) => {
        // A model finished loading (at start, typing, a switch): the open conversation's saved state follows it.
        if (state === 'ready' && this.#engineLoading) this.prepareOpen();
        this.#engineLoading = state === 'loading' || state === 'starting';
      }),
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
      this.#leave(id);
      this.#highlightId = null;
      this.#openId = id;
      this.#messages = [];
      this.#messagesLoaded = false;
    }
    const result = await this.#client.invoke('conversations.get', { id });
    if (request !== this.#openRequest) return;
    if (!result.ok) {
      this.#toasts.error(result.error);
      if (result.error.code === 'not_found') await this.#refreshList();
      return;
    }
    this.#showView(result.value);
    if (result.value.messages.some((message) => message.status === 'streaming')) await this.#follow(id);
    else if (result.value.messages.length > 0) this.#prepareSoon(id, request);
  }

  /**
   * Has the engine load the conversation's saved state while the user reads and types
   * (chat.prepare), once it has stayed open a moment: flicking through the list restores
   * nothing. Best effort, so nothing is shown: if it fails or is skipped, the next answer
   * restores the state itself, as it would have anyway.
   */
  #prepareSoon(id: string, request: number): void {
    setTimeout(() => {
      if (request === this.#openRequest && this.#openId === id) this.prepareOpen();
    }, PREPARE_AFTER_MS);
  }

  /**
   * Asks the engine to get the open conversation ready for its next message (chat.prepare):
   * after it opened, and after typing in it loaded the model. Best effort; nothing to show.
   */
  prepareOpen(): void {
    const id = this.#openId;
    if (id === null || this.#sending || this.#messages.length === 0) return;
    void this.#client.invoke('chat.prepare', { conversationId: id });
  }

  /**
   * Follows the answers another window (or tab) is writing in this conversation: catches up with
   * the text their deltas carried so far, then streams the same deltas live, with Stop.
   */
  async #follow(conversationId: string): Promise<void> {
    const running = await this.#client.invoke('chat.running', { conversationId });
    if (!running.ok || this.#openId !== conversationId) return;
    let adopted = false;
    for (const { generationId, messageId, prefix, text, nextSeq } of running.value) {
      const generation = this.#generation(generationId);
      if (generation.messageId !== null) continue; // this window's own, or already followed
      generation.conversationId = conversationId;
      generation.messageId = messageId;
      generation.prefix = prefix;
      generation.buffer.catchUp(text, nextSeq);
      if (generation.final === null) this.#active[conversationId] = generationId;
      adopted = true;
    }
    if (!adopted) return;
    const view = await this.#client.invoke('conversations.get', { id: conversationId });
    if (view.ok && this.#openId === conversationId) this.#showView(view.value);
  }

  /** "New chat": the open conversation while it is still empty, else a new one. */
  async create(): Promise<void> {
    const current = this.#openId;
    const result = await this.#client.invoke('conversations.create', current === null ? {} : { reuseIfEmpty: current });
    if (!result.ok) return this.#toasts.error(result.error);
    this.#upsertConversation(result.value);
    await this.open(result.value.id);
    this.#focusRequests += 1;
  }

  async rename(id: string, title: string): Promise<void> {
    const trimmed = title.trim();
    const current = this.#conversations.find((c) => c.id === id);
    if (!trimmed || trimmed === current?.title) return;
    const result = await this.#client.invoke('conversations.rename', { id, title: trimmed });
    if (result.ok) this.#upsertConversation(result.value);
    else this.#toasts.error(result.error);
  }

  async remove(id: string): Promise<void> {
    const generationId = this.#active[id];
    if (generationId) await this.#client.invoke('chat.cancel', { generationId });
    const order = this.conversations.map((c) => c.id);
    const result = await this.#client.invoke('conversations.delete', { id });
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
    return this.#start(null, () => this.#client.invoke('chat.send', { conversationId, text }));
  }

  async cancel(): Promise<void> {
    const generationId = this.activeGenerationId;
    if (generationId === null) return;
    const result = await this.#client.invoke('chat.cancel', { generationId });
    if (!result.ok) this.#toasts.error(result.error);
  }

  /** Opens a conversation on the branch holding `messageId` and highlights that message (a search result). */
  async jumpTo(conversationId: string, messageId: string | null): Promise<void> {
    if (messageId === null) {
      await this.open(conversationId);
      return;
    }
    const request = ++this.#openRequest;
    if (this.#openId !== conversationId) {
      this.#leave(conversationId);
      this.#openId = conversationId;
      this.#messages = [];
      this.#messagesLoaded = false;
    }
    const result = await this.#client.invoke('conversations.switchBranch', { messageId });
    if (request !== this.#openRequest) return;
    if (!result.ok) {
      this.#toasts.error(result.error);
      return;
    }
    this.#showView(result.value);
    this.#highlightId = messageId;
    this.#highlightSeq += 1;
  }

  /** Shows another alternative ("2 / 3") at this point of the conversation. */
  async switchBranch(messageId: string): Promise<void> {
    const conversationId = this.#openId;
    if (conversationId === null || this.answering) return;
    const request = ++this.#openRequest;
    const result = await this.#client.invoke('conversations.switchBranch', { messageId });
    if (request !== this.#openRequest) return;
    if (!result.ok) return this.#toasts.error(result.error);
    this.#showView(result.value);
  }

  /** Resends an edited question as a new branch. Resolves false when it was not sent. */
  async edit(messageId: string, text: string): Promise<boolean> {
    if (this.#openId === null || this.#sending || this.answering || !text.trim()) return false;
    return this.#start(messageId, () => this.#client.invoke('chat.edit', { messageId, text }));
  }

  /** Writes another answer beside this one. */
  async regenerate(messageId: string): Promise<boolean> {
    if (this.#openId === null || this.#sending || this.answering) return false;
    return this.#start(messageId, () => this.#client.invoke('chat.regenerate', { messageId }));
  }

  /** Goes on from where this answer stopped at its token limit, in the same message. */
  async continue(messageId: string): Promise<boolean> {
    if (this.#openId === null || this.#sending || this.answering) return false;
    return this.#start(null, () => this.#client.invoke('chat.continue', { messageId }));
  }

  /** Saves an answer the disk refused earlier. */
  async retrySave(messageId: string): Promise<void> {
    const result = await this.#client.invoke('chat.retrySave', { messageId });
    if (!result.ok) return this.#toasts.error(result.error);
    delete this.#unsaved[messageId];
    this.#upsertMessage(result.value);
  }

  async setPinned(id: string, pinned: boolean): Promise<void> {
    const result = await this.#client.invoke('conversations.setPinned', { id, pinned });
    if (result.ok) this.#upsertConversation(result.value);
    else this.#toasts.error(result.error);
  }

  /**
   * Starts an edit or a regenerate: the messages from `replacedId` on leave the screen (they stay
   * reachable through the switcher), and the new question and answer take their place. A plain
   * send passes no `replacedId`: nothing leaves the screen.
   */
  async #start(replacedId: string | null, call: () => Promise<Result<ChatStarted>>): Promise<boolean> {
    const conversationId = this.#openId;
    if (conversationId === null) return false;
    this.#highlightId = null;
    this.#sending = true;
    const result = await call();
    this.#sending = false;
    if (!result.ok) {
      this.#toasts.error(result.error);
      return false;
    }
    const { generationId, userMessage, assistantMessage } = result.value;
    const generation = this.#generation(generationId);
    generation.conversationId = conversationId;
    generation.messageId = assistantMessage.id;
    // A continued answer comes back with its text so far; a new one comes back empty.
    generation.prefix = assistantMessage.content;
    if (generation.final === null) this.#active[conversationId] = generationId;
    if (this.#openId === conversationId) {
      const cut = this.#messages.findIndex((m) => m.id === replacedId);
      if (cut !== -1) this.#messages.splice(cut);
      this.#upsertMessage(userMessage);
      this.#upsertMessage(this.#withLocalProgress(assistantMessage));
    }
    return true;
  }

  /** Saves the open conversation's settings (null: back to Burrow's default). False when refused. */
  async saveSettings(patch: ConversationSettings): Promise<boolean> {
    const id = this.#openId;
    if (id === null) return false;
    const result = await this.#client.invoke('conversations.setSettings', { id, ...patch });
    if (!result.ok) {
      this.#toasts.error(result.error);
      return false;
    }
    if (this.#openId === id) this.#settings = result.value;
    return true;
  }

  #showView(view: ConversationView): void {
    this.#upsertConversation(view.conversation);
    this.#settings = view.settings;
    this.#openId = view.conversation.id;
    this.#messages = view.messages.map((message) => this.#withLocalProgress(message));
    this.#messagesLoaded = true;
  }

  /**
   * Many conversations changed at once (an import, a restore): the open one is read again if it
   * is still there; otherwise nothing is open, and the chat view opens the newest when shown
   * (so Settings, where imports and restores happen, stays on screen with its result).
   */
  async #onHistoryChanged(): Promise<void> {
    await this.#refreshList();
    const id = this.#openId;
    if (id !== null && this.#conversations.some((c) => c.id === id)) await this.open(id);
    else this.#close();
  }

  /**
   * The user leaves the open conversation for `nextId`: one they put nothing into is deleted
   * (the core checks, and keeps it if a message or document got there meanwhile).
   */
  #leave(nextId: string): void {
    const leaving = this.#openId;
    if (leaving === null || leaving === nextId || this.#active[leaving] !== undefined) return;
    if (this.#conversations.find((c) => c.id === leaving)?.messageCount !== 0) return;
    void this.#client.invoke('conversations.discardIfEmpty', { id: leaving }).then((result) => {
      if (result.ok && result.value.deleted) this.#conversations = this.#conversations.filter((c) => c.id !== leaving);
    });
  }

  /** The open conversation has nothing in it yet (documents aside, which the chat does not know of). */
  get openIsEmpty(): boolean {
    return this.#openId !== null && this.#messagesLoaded && this.#messages.length === 0 && !this.#sending && this.openConversation?.messageCount === 0;
  }

  #close(): void {
    this.#openRequest += 1;
    this.#openId = null;
    this.#settings = null;
    this.#messages = [];
    this.#messagesLoaded = false;
  }

  #generation(id: string): Generation {
    let generation = this.#generations.get(id);
    if (!generation) {
      generation = { conversationId: null, messageId: null, buffer: new DeltaBuffer(), prefix: '', final: null };
      this.#generations.set(id, generation);
    }
    return generation;
  }

  #onDelta({ generationId, seq, text }: EventPayload<'generation.delta'>): void {
    const generation = this.#generation(generationId);
    if (!generation.buffer.push(seq, text) || generation.messageId === null) return;
    const message = this.#messages.find((m) => m.id === generation.messageId);
    if (message) message.content = generation.prefix + generation.buffer.text;
  }

  #onEnd(event: EventPayload<'generation.end'>): void {
    // A generation of no conversation (the local API's) has nothing on screen.
    if (event.conversationId === null || event.messageId === null) {
      this.#generations.delete(event.generationId);
      return;
    }
    const generation = this.#generation(event.generationId);
    generation.conversationId = event.conversationId;
    generation.messageId = event.messageId;
    generation.final = { status: END_STATUS[event.reason], error: event.error?.message ?? null, tokenLimit: event.tokenLimit ?? null };
    if (this.#active[event.conversationId] === event.generationId) delete this.#active[event.conversationId];
    if (event.stats) this.#stats[event.messageId] = event.stats;
    if (event.error?.code === 'storage_error') this.#unsaved[event.messageId] = event.error.message;
    this.#endedCount += 1;
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
    // The newest one: a continued answer also has the generation that first wrote it.
    const generation = [...this.#generations.values()].findLast((candidate) => candidate.messageId === message.id);
    if (generation === undefined) return message;
    const text = generation.prefix + generation.buffer.text;
    const content = text.length >= message.content.length ? text : message.content;
    if (message.status !== 'streaming') return { ...message, content: message.content || content };
    return generation.final
      ? { ...message, content, status: generation.final.status, error: generation.final.error, tokenLimit: generation.final.tokenLimit }
      : { ...message, content };
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
  readonly #refreshList = coalesce(async () => {
    const result = await this.#client.invoke('conversations.list', {});
    if (result.ok) this.#conversations = result.value;
    else this.#toasts.error(result.error);
    this.#listLoaded = true;
  });
}
