import type { ChatStarted, GenerationStats } from '../../shared/contract';
import { clipboardActions, clipboardPrompt, type ClipboardAction } from '../../shared/app-settings';
import type { Client, GenerationEnd } from '../../shared/client';
import { getClient } from './bridge';
import type { SettingsState } from './settings.svelte';

/**
 * 'idle': nothing asked yet. 'sending': the question is on its way. 'streaming': the answer is
 * being written. 'done' | 'cancelled' | 'error': it ended so.
 */
export type QuickPhase = 'idle' | 'sending' | 'streaming' | 'done' | 'cancelled' | 'error';

/** Clipboard text the next question will include, with a look at its start. */
export interface Attachment {
  text: string;
  preview: string;
}

/**
 * The quick window's one conversation: the latest question and its streaming answer, the
 * clipboard attachment, and the window's own visibility where the host cannot hide it (the
 * browser host). Esc ends the conversation (quick.dismiss); the next question starts a new one.
 */
export class QuickState {
  #conversationId = $state<string | null>(null);
  #generationId = $state<string | null>(null);
  #question = $state('');
  #answer = $state('');
  #phase = $state<QuickPhase>('idle');
  #error = $state<{ code: string; message: string } | null>(null);
  #stats = $state<GenerationStats | null>(null);
  /** The answer stopped at this token limit (it can go on in the main window); null otherwise. */
  #tokenLimit = $state<number | null>(null);
  #attachment = $state<Attachment | null>(null);
  #notice = $state<string | null>(null);
  /** false once dismissed in a host that cannot hide windows: the page shows its closed state. */
  #open = $state(true);
  #settings: SettingsState;
  #client: Client;

  constructor(settings: SettingsState, client: Client = getClient()) {
    this.#settings = settings;
    this.#client = client;
  }

  get conversationId(): string | null {
    return this.#conversationId;
  }
  get question(): string {
    return this.#question;
  }
  get answer(): string {
    return this.#answer;
  }
  get phase(): QuickPhase {
    return this.#phase;
  }
  get error(): { code: string; message: string } | null {
    return this.#error;
  }
  get tokenLimit(): number | null {
    return this.#tokenLimit;
  }
  get stats(): GenerationStats | null {
    return this.#stats;
  }
  get attachment(): Attachment | null {
    return this.#attachment;
  }
  /** A short message about the last action (clipboard empty, text shortened). */
  get notice(): string | null {
    return this.#notice;
  }
  get open(): boolean {
    return this.#open;
  }
  get busy(): boolean {
    return this.#phase === 'sending' || this.#phase === 'streaming';
  }
  get actions(): ClipboardAction[] {
    return clipboardActions(this.#settings.current);
  }

  /** Asks `text` (with the clipboard attachment, if any, as its instruction). Resolves false when it was not sent. */
  async ask(text: string): Promise<boolean> {
    const attachment = this.#attachment;
    if (attachment !== null) return this.#send(this.#composeClipboard(attachment, text.trim() === '' ? { actionId: 'summarise' } : { instruction: text }), text.trim() || 'Summarise the clipboard');
    if (text.trim() === '') return false;
    return this.#send(text, text);
  }

  /** Runs a clipboard action on the attached text. */
  async runAction(actionId: string): Promise<boolean> {
    const attachment = this.#attachment;
    if (attachment === null) return false;
    const label = this.actions.find((action) => action.id === actionId)?.label ?? 'Clipboard';
    return this.#send(this.#composeClipboard(attachment, { actionId }), `${label}: the clipboard`);
  }

  /** Reads the clipboard's text and attaches it to the next question. */
  async attachClipboard(): Promise<boolean> {
    let text: string;
    try {
      text = await navigator.clipboard.readText();
    } catch {
      this.#notice = 'Burrow could not read the clipboard. Paste the text into the box instead.';
      return false;
    }
    if (text.trim() === '') {
      this.#notice = 'The clipboard holds no text.';
      return false;
    }
    const oneLine = text.replace(/\s+/g, ' ').trim();
    this.#attachment = { text, preview: oneLine.length > 90 ? `${oneLine.slice(0, 89)}…` : oneLine };
    this.#notice = null;
    return true;
  }

  detach(): void {
    this.#attachment = null;
  }

  async cancel(): Promise<void> {
    const generationId = this.#generationId;
    if (generationId !== null && this.#phase === 'streaming') await this.#client.invoke('chat.cancel', { generationId });
  }

  /**
   * Esc: the core stops the answer and deletes the conversation as the settings say, and hides
   * the window where it can; here the next question starts a new conversation.
   */
  async dismiss(): Promise<void> {
    const result = await this.#client.invoke('quick.dismiss', { conversationId: this.#conversationId });
    this.#reset();
    if (result.ok && !result.value.hidden) this.#open = false;
  }

  /** The browser host's stand-in for pressing the shortcut again. */
  reopen(): void {
    this.#open = true;
  }

  /** "Continue in Burrow": the main window opens this conversation (asking the typed question first, if any). */
  async continueInBurrow(draft: string): Promise<void> {
    if (draft.trim() !== '' || this.#attachment !== null) {
      if (!(await this.ask(draft))) return;
    }
    const conversationId = this.#conversationId;
    if (conversationId === null) return;
    const result = await this.#client.invoke('window.show', { conversationId });
    if (!result.ok) {
      this.#error = result.error;
      return;
    }
    this.#reset();
    // No windows to show here (the browser host): this page becomes the main view.
    if (!result.value.shown) location.assign(`./index.html${location.search}#conversation=${encodeURIComponent(conversationId)}`);
  }

  #composeClipboard(attachment: Attachment, action: { actionId: string } | { instruction: string }): string {
    const composed = clipboardPrompt(action, attachment.text, this.#settings.current);
    this.#notice = composed.truncatedTo !== null ? `The clipboard was long: its first ${composed.truncatedTo.toLocaleString()} characters were sent.` : null;
    return composed.text;
  }

  async #send(text: string, shown: string): Promise<boolean> {
    if (this.busy) return false;
    this.#phase = 'sending';
    this.#question = shown;
    this.#answer = '';
    this.#error = null;
    this.#stats = null;
    this.#tokenLimit = null;
    const result = await this.#client.invoke('quick.ask', { conversationId: this.#conversationId, text });
    if (!result.ok) {
      this.#phase = 'error';
      this.#error = result.error;
      return false;
    }
    this.#attachment = null;
    this.#start(result.value);
    return true;
  }

  #start(started: ChatStarted): void {
    const { generationId } = started;
    this.#conversationId = started.userMessage.conversationId;
    this.#generationId = generationId;
    this.#phase = 'streaming';
    void this.#client
      .followGeneration(generationId, {
        onDelta: (_delta, text) => {
          if (this.#generationId === generationId) this.#answer = text;
        },
      })
      .then((end) => {
        if (this.#generationId === generationId) this.#onEnd(end);
      });
  }

  #onEnd(end: GenerationEnd): void {
    this.#phase = end.reason === 'done' ? 'done' : end.reason === 'cancelled' ? 'cancelled' : 'error';
    this.#error = end.error ?? null;
    this.#stats = end.stats ?? null;
    this.#tokenLimit = end.reason === 'done' ? (end.tokenLimit ?? null) : null;
  }

  #reset(): void {
    this.#conversationId = null;
    this.#generationId = null;
    this.#question = '';
    this.#answer = '';
    this.#phase = 'idle';
    this.#error = null;
    this.#stats = null;
    this.#tokenLimit = null;
    this.#attachment = null;
    this.#notice = null;
  }
}
