/**
 * Documents in the window: files being handed over (dropped, attached), the open conversation's
 * documents and their summaries, live summary progress, and the passage behind a reference.
 */
import type { DocumentInfo, DocumentPassage, DocumentProgress, DocumentSummary, EventPayload, SummaryStyle } from '../../shared/contract';
import type { ErrorValue } from '../../shared/errors';
import { invoke, on } from './bridge';
import type { ChatState } from './chat-state.svelte';
import { handOverFile } from './document-upload';
import type { Toasts } from './toasts.svelte';

/** A file on its way in: being sent, being read by the core, or refused (with the core's reason). */
export interface Arrival {
  key: number;
  fileName: string;
  phase: 'sending' | 'reading' | 'failed';
  /** The conversation it goes into; null when it starts a new one. */
  conversationId: string | null;
  sentBytes: number;
  totalBytes: number;
  error: string | null;
}

export interface PassageView {
  label: string;
  fileName: string;
  /** null while loading. */
  passage: DocumentPassage | null;
  error: string | null;
}

export interface DocumentWithSummaries {
  document: DocumentInfo;
  summaries: DocumentSummary[];
}

export const STYLE_LABELS: Record<SummaryStyle, string> = {
  'key-points': 'Key points',
  brief: 'Brief paragraph',
  outline: 'Detailed outline',
};

export class DocumentsState {
  #arrivals = $state<Arrival[]>([]);
  #byConversation = $state<Record<string, DocumentWithSummaries[]>>({});
  #progress = $state<Record<string, DocumentProgress>>({});
  #passage = $state<PassageView | null>(null);
  #lastEnd = $state<EventPayload<'document.summary'> | null>(null);
  style = $state<SummaryStyle>('key-points');
  #nextKey = 1;
  // Plain collections on purpose: bookkeeping the UI never reads.
  // eslint-disable-next-line svelte/prefer-svelte-reactivity -- not rendered, so not reactive
  #cancelledArrivals = new Set<number>();
  // eslint-disable-next-line svelte/prefer-svelte-reactivity -- not rendered, so not reactive
  #waiters = new Map<string, () => void>();
  /** When each summary's end event arrived, as a count of end events (it may come before documents.summarize answers). */
  // eslint-disable-next-line svelte/prefer-svelte-reactivity -- not rendered, so not reactive
  #endedAt = new Map<string, number>();
  #endCount = 0;
  #chat: ChatState;
  #toasts: Toasts;

  constructor(chat: ChatState, toasts: Toasts) {
    this.#chat = chat;
    this.#toasts = toasts;
  }

  get arrivals(): readonly Arrival[] {
    return this.#arrivals;
  }

  /** Files on their way into this conversation: shown in its document panel, as documents to be. */
  incomingTo(conversationId: string | null): readonly Arrival[] {
    return conversationId === null ? [] : this.#arrivals.filter((arrival) => arrival.conversationId === conversationId && arrival.phase !== 'failed');
  }

  /** The rest (refusals, files starting a new conversation or going into another one): floating notices. */
  floatingFor(openId: string | null): readonly Arrival[] {
    const incoming = this.incomingTo(openId);
    return this.#arrivals.filter((arrival) => !incoming.includes(arrival));
  }
  get passage(): PassageView | null {
    return this.#passage;
  }
  /** The last summary that ended (for the screen-reader announcement). */
  get lastEnd(): EventPayload<'document.summary'> | null {
    return this.#lastEnd;
  }
  documentsOf(conversationId: string | null): readonly DocumentWithSummaries[] {
    return conversationId === null ? [] : (this.#byConversation[conversationId] ?? []);
  }
  progressOf(summaryId: string): DocumentProgress | undefined {
    return this.#progress[summaryId];
  }
  /** The summary of this document that is running now, if any. */
  runningOf(documentId: string): DocumentProgress | undefined {
    return Object.values(this.#progress).find((progress) => progress.documentId === documentId);
  }

  connect(): () => void {
    const offs = [
      on('document.progress', (progress) => {
        this.#progress[progress.summaryId] = progress;
      }),
      on('document.summary', (end) => void this.#onEnd(end)),
      on('conversations.changed', ({ id }) => {
        if (id in this.#byConversation || id === this.#chat.openId) void this.load(id);
      }),
    ];
    return () => offs.forEach((off) => off());
  }

  /** Reads a conversation's documents and their summaries. */
  async load(conversationId: string): Promise<void> {
    const listed = await invoke('documents.list', { conversationId });
    if (!listed.ok) {
      if (listed.error.code === 'not_found') delete this.#byConversation[conversationId];
      return;
    }
    const views = await Promise.all(listed.value.map((document) => invoke('documents.get', { documentId: document.id })));
    const loaded: DocumentWithSummaries[] = [];
    for (const view of views) if (view.ok) loaded.push({ document: view.value.document, summaries: view.value.summaries });
    this.#byConversation[conversationId] = loaded;
  }

  /**
   * Files dropped on the window or chosen with Attach: each is handed over and read, then
   * summarised in the chosen style, one after another. Without a conversation, the first file
   * starts a new one (named after it) and the others join it.
   */
  async addFiles(files: readonly File[], conversationId?: string): Promise<void> {
    let target = conversationId;
    const added: DocumentInfo[] = [];
    for (const file of files) {
      const document = await this.#handOver(file, target);
      if (document === null) continue;
      added.push(document);
      if (target === undefined) {
        target = document.conversationId;
        await this.#chat.open(target);
      }
      await this.load(document.conversationId);
    }
    for (const document of added) await this.summarize(document.id, this.style, null, { waitForEnd: true });
  }

  /** The desktop app's Attach: the system's open dialog, through the core. */
  async pick(conversationId: string | undefined): Promise<void> {
    const picked = await invoke('documents.pick', conversationId === undefined ? {} : { conversationId });
    if (!picked.ok) return this.#toasts.error(picked.error);
    const document = picked.value.document;
    if (document === null) return;
    if (conversationId === undefined) await this.#chat.open(document.conversationId);
    await this.load(document.conversationId);
    await this.summarize(document.id, this.style, null);
  }

  /** Starts a summary, or resumes the unfinished one of the same style and focus. */
  async summarize(documentId: string, style: SummaryStyle, focus: string | null, options: { waitForEnd?: boolean } = {}): Promise<void> {
    const trimmed = focus?.trim() ?? '';
    const endsBefore = this.#endCount;
    const started = await invoke('documents.summarize', { documentId, style, ...(trimmed ? { focus: trimmed } : {}) });
    if (!started.ok) return this.#toasts.error(started.error);
    const { summaryId, conversationId } = started.value;
    // Already over (a tiny document): its end event came before this answer. A resumed summary keeps its id, so compare when.
    if ((this.#endedAt.get(summaryId) ?? -1) >= endsBefore) return;
    this.#progress[summaryId] ??= { summaryId, documentId, conversationId, stage: 'chunking', chunksDone: 0, chunksTotal: 0, section: null, secondsLeft: null, percent: 0 };
    if (options.waitForEnd === true) await new Promise<void>((resolve) => this.#waiters.set(summaryId, resolve));
  }

  async cancel(summaryId: string): Promise<void> {
    const result = await invoke('documents.cancel', { summaryId });
    if (!result.ok) this.#toasts.error(result.error);
  }

  async remove(document: DocumentInfo): Promise<void> {
    const result = await invoke('documents.remove', { documentId: document.id });
    if (!result.ok) return this.#toasts.error(result.error);
    await this.load(document.conversationId);
  }

  cancelArrival(key: number): void {
    this.#cancelledArrivals.add(key);
    this.#arrivals = this.#arrivals.filter((arrival) => arrival.key !== key);
  }

  dismissArrival(key: number): void {
    this.#arrivals = this.#arrivals.filter((arrival) => arrival.key !== key);
  }

  /** Shows the passage behind a reference written in a message of this conversation. */
  async openPassage(conversationId: string, label: string, messageId: string | null): Promise<void> {
    const documents = this.documentsOf(conversationId);
    // The summary's own document first, then the others (answers to questions cite any of them).
    const own = documents.find((entry) => entry.summaries.some((summary) => summary.messageId === messageId));
    const order = own === undefined ? documents : [own, ...documents.filter((entry) => entry !== own)];
    if (order.length === 0) return;
    this.#passage = { label, fileName: order[0]?.document.fileName ?? '', passage: null, error: null };
    let lastError: ErrorValue | null = null;
    for (const { document } of order) {
      const result = await invoke('documents.passage', { documentId: document.id, reference: label });
      if (this.#passage?.label !== label) return;
      if (result.ok) {
        this.#passage = { label, fileName: document.fileName, passage: result.value, error: null };
        return;
      }
      lastError = result.error;
    }
    this.#passage = { label, fileName: this.#passage.fileName, passage: null, error: lastError?.message ?? 'This passage could not be found.' };
  }

  /** Shows the passage a search hit points at (one chunk of one document). */
  async openChunkPassage(hit: { documentId: string; fileName: string; label: string; chunkId: number }): Promise<void> {
    const { documentId, fileName, label, chunkId } = hit;
    this.#passage = { label, fileName, passage: null, error: null };
    const result = await invoke('documents.passage', { documentId, chunkId });
    if (this.#passage?.label !== label) return;
    this.#passage = result.ok ? { label, fileName, passage: result.value, error: null } : { label, fileName, passage: null, error: result.error.message };
  }

  closePassage(): void {
    this.#passage = null;
  }

  async #handOver(file: File, conversationId: string | undefined): Promise<DocumentInfo | null> {
    const key = this.#nextKey++;
    this.#arrivals = [...this.#arrivals, { key, fileName: file.name, phase: 'sending', conversationId: conversationId ?? null, sentBytes: 0, totalBytes: file.size, error: null }];
    const update = (patch: Partial<Arrival>): void => {
      this.#arrivals = this.#arrivals.map((arrival) => (arrival.key === key ? { ...arrival, ...patch } : arrival));
    };
    const result = await handOverFile(file, {
      conversationId,
      onProgress: (sentBytes, totalBytes) => update({ sentBytes, totalBytes, phase: sentBytes >= totalBytes ? 'reading' : 'sending' }),
      cancelled: () => this.#cancelledArrivals.has(key),
    });
    if (result === null || this.#cancelledArrivals.has(key)) return null;
    if (!result.ok) {
      update({ phase: 'failed', error: result.error.message });
      return null;
    }
    this.dismissArrival(key);
    return result.value;
  }

  async #onEnd(end: EventPayload<'document.summary'>): Promise<void> {
    delete this.#progress[end.summaryId];
    this.#endedAt.set(end.summaryId, this.#endCount++);
    this.#lastEnd = end;
    await this.load(end.conversationId);
    if (end.status === 'error' && end.error) this.#toasts.error(end.error);
    const waiter = this.#waiters.get(end.summaryId);
    this.#waiters.delete(end.summaryId);
    waiter?.();
  }
}
