/**
 * Documents in the core: reading them (in the extraction process), cutting them for the loaded
 * model, summarising them (map-reduce, resumable, cancellable), showing the passage behind a
 * reference, and answering follow-up questions in their conversation from the most relevant
 * chunks. Knows nothing of the host: paths arrive already granted, bytes arrive as uploads.
 */
import type { AppliedAdapter, DocumentInfo, DocumentPassage, DocumentView, SummaryStyle } from '../../shared/contract';
import { MAX_PASSAGE_CHARS } from '../../shared/contract';
import { BurrowError, toErrorValue } from '../../shared/errors';
import { formatBytes } from '../../shared/format-bytes';
import type { PreparableTurn, PreparedTurn } from '../chat/chat-service';
import { noModelError } from '../engine/no-model';
import type { EmitEvent } from '../events/event-hub';
import type { ConversationStore } from '../store/conversations';
import { chunkUnits } from './chunker';
import type { DocumentAccess } from './document-access';
import type { ChunkRecord, DocumentRecord, DocumentStore, SummaryRecord } from '../store/document-store';
import type { DocumentUploads } from './document-uploads';
import type { DocumentExtractor } from './extractor';
import type { FileIdentity } from './types';
import { mapPrompt, QUESTION_SYSTEM_PROMPT, questionPrompt, SUMMARY_SYSTEM_PROMPT } from './prompts';
import { passageText, referenceFor, resolveReference } from '../store/references';
import { answerBudgets, FIT_MARGIN, runSummary, type SummaryEngine } from './summarizer';
import { coverageOf, documentInfo, mappedFromStart, summaryMarkdown, summaryView } from './views';

export interface DocumentEngine extends SummaryEngine {
  status(): { model: { contextSize: number } | null };
}

export interface DocumentServiceOptions {
  store: DocumentStore;
  conversations: ConversationStore;
  extractor: DocumentExtractor;
  access: DocumentAccess;
  uploads: DocumentUploads;
  engine: DocumentEngine;
  emit: EmitEvent;
  /** Loads the model a conversation answers with, if none is loaded; throws 'no_model' when there is none. */
  /** Loads the model if needed; resolves with the conversation's LoRA adapters (undefined: not up to Burrow). */
  ensureModel: (conversationId: string) => Promise<readonly AppliedAdapter[] | undefined | void>;
  /** The host's file picker (the Attach button); resolves null when cancelled. */
  pickFile?: () => Promise<string | null>;
}

interface RunningSummary {
  documentId: string;
  controller: AbortController;
  done: Promise<void>;
}

/** Chunks retrieved per question, at most (fewer when they do not fit). */
const MAX_PASSAGES = 8;
const TITLE_CHARS = 120;

export class DocumentService {
  readonly #o: DocumentServiceOptions;
  readonly #running = new Map<string, RunningSummary>();
  /** Burrow is shutting down: summaries stopped now are 'interrupted' (resumed later), not 'cancelled'. */
  #stopping = false;
  /** Documents being cut into chunks now, so two requests never cut the same one at once. */
  readonly #chunking = new Map<string, Promise<{ chunks: ChunkRecord[]; contextSize: number }>>();
  /** Conversations a file is being read into now, with how many files. */
  readonly #reading = new Map<string, number>();

  constructor(options: DocumentServiceOptions) {
    this.#o = options;
    // Summaries that were running when Burrow stopped: kept, and resumed by documents.summarize.
    options.store.markInterrupted();
  }

  /** A file the host granted (drop, dialog, command line), read into a conversation. */
  async add(path: string, conversationId?: string): Promise<DocumentInfo> {
    const file = this.#o.access.authorize(path);
    return this.#read({ path: file.path, fileName: file.fileName, identity: file.identity, conversationId, sizeBytes: file.identity.size, extraNotices: [] });
  }

  async pick(conversationId?: string): Promise<DocumentInfo | null> {
    if (this.#o.pickFile === undefined) throw new BurrowError('refused', 'This version of Burrow cannot show a file picker. Drop the file on the window instead.');
    const picked = await this.#o.pickFile();
    if (picked === null) return null;
    return this.add(this.#o.access.grant(picked), conversationId);
  }

  async finishUpload(uploadId: string): Promise<DocumentInfo> {
    const upload = this.#o.uploads.finish(uploadId);
    try {
      const sent = upload.identity.size;
      const extraNotices = sent < upload.declaredBytes ? [`Only the first ${formatBytes(sent)} of this ${formatBytes(upload.declaredBytes)} file were read.`] : [];
      return await this.#read({ ...upload, sizeBytes: upload.declaredBytes, extraNotices });
    } finally {
      upload.discard();
    }
  }

  /** A file is being sent or read into this conversation now: it is not empty, even if it has no document yet. */
  isReceiving(conversationId: string): boolean {
    return (this.#reading.get(conversationId) ?? 0) > 0 || this.#o.uploads.hasUploadFor(conversationId);
  }

  list(conversationId: string): DocumentInfo[] {
    this.#o.conversations.settings(conversationId); // not_found for a conversation that is gone
    return this.#o.store.listDocuments(conversationId).map((record) => documentInfo(record, this.#o.store.units(record.id)));
  }

  get(documentId: string): DocumentView {
    const { store } = this.#o;
    const document = store.getDocument(documentId);
    const chunks = store.chunks(documentId);
    return {
      document: documentInfo(document, store.units(documentId)),
      summaries: store.summaries(documentId).map((summary) => summaryView(summary, document, chunks, store.parts(summary.id))),
    };
  }

  async remove(documentId: string): Promise<void> {
    const document = this.#o.store.getDocument(documentId);
    await this.#stopSummariesOf(documentId);
    this.#o.store.deleteDocument(documentId);
    this.#o.emit('conversations.changed', { id: document.conversationId });
  }

  passage(documentId: string, request: { reference?: string | undefined; chunkId?: number | undefined }): DocumentPassage {
    const { store } = this.#o;
    store.getDocument(documentId);
    const chunks = store.chunks(documentId);
    let reference;
    if (request.chunkId !== undefined) {
      const chunk = chunks.find((candidate) => candidate.seq === request.chunkId);
      if (chunk === undefined) throw new BurrowError('not_found', 'This passage is no longer in the document.');
      reference = referenceFor([chunk]);
    } else if (request.reference !== undefined) {
      reference = resolveReference(request.reference, chunks) ?? resolveReference(request.reference, this.#unitPlaces(documentId));
      if (reference === null) throw new BurrowError('not_found', `"${request.reference.slice(0, 80)}" does not name a page or section of this document.`);
    } else {
      throw new BurrowError('invalid_input', 'Give a reference (such as "p. 3") or a chunkId.');
    }
    const text = passageText(reference, store.units(documentId), chunks);
    return { documentId, reference, text: text.slice(0, MAX_PASSAGE_CHARS), truncated: text.length > MAX_PASSAGE_CHARS };
  }

  /** Starts (or resumes) a summary; returns at once. */
  summarize(documentId: string, style: SummaryStyle = 'key-points', focus: string | null = null): { summaryId: string; conversationId: string } {
    const { store } = this.#o;
    const document = store.getDocument(documentId);
    for (const running of this.#running.values()) {
      if (running.documentId === documentId) throw new BurrowError('busy', 'Burrow is already summarising this document. Cancel that summary or wait for it to finish.');
    }
    const summary = store.resumable(documentId, style, focus) ?? store.createSummary({ documentId, style, focus, chunkCount: 0, contextSize: 0 });
    store.updateSummary(summary.id, { status: 'running', error: null });
    const controller = new AbortController();
    const done = this.#summarize(document, summary, controller.signal).finally(() => this.#running.delete(summary.id));
    this.#running.set(summary.id, { documentId, controller, done });
    return { summaryId: summary.id, conversationId: document.conversationId };
  }

  cancel(summaryId: string): boolean {
    const running = this.#running.get(summaryId);
    if (running === undefined) return false;
    running.controller.abort();
    return true;
  }

  /** Resolves once the summary has stopped and its state is saved (tests, shutdown). */
  async settled(summaryId: string): Promise<void> {
    await this.#running.get(summaryId)?.done;
  }

  async stopAll(): Promise<void> {
    this.#stopping = true;
    const all = [...this.#running.values()];
    for (const running of all) running.controller.abort();
    await Promise.allSettled(all.map((running) => running.done));
  }

  /**
   * For chat.send in a conversation with documents: the question with the passages that match it
   * best (BM25 over the document's chunks), as many as fit the context, and a line of sources.
   */
  async prepareTurn(turn: PreparableTurn): Promise<PreparedTurn | null> {
    const documents = this.#o.store.listDocuments(turn.conversationId);
    if (documents.length === 0) return null;
    const contextSize = this.#o.engine.status().model?.contextSize;
    if (contextSize === undefined) return null;
    const candidates: Array<{ document: DocumentRecord; chunk: ChunkRecord; score: number }> = [];
    const match = ftsQuery(turn.prompt);
    for (const document of documents) {
      const chunks = await this.#chunksFor(document, turn.signal, { reuseAny: true });
      const bySeq = new Map(chunks.chunks.map((chunk) => [chunk.seq, chunk]));
      const hits = match === null ? [] : this.#o.store.search(document.id, match, MAX_PASSAGES);
      for (const hit of hits) {
        const chunk = bySeq.get(hit.seq);
        if (chunk !== undefined) candidates.push({ document, chunk, score: hit.score });
      }
      // Nothing matched (a question like "what is this about?"): the beginning of the document.
      if (hits.length === 0) for (const chunk of chunks.chunks.slice(0, 2)) candidates.push({ document, chunk, score: 0 });
    }
    candidates.sort((a, b) => a.score - b.score);

    const systemPrompt = turn.options.systemPrompt === undefined ? QUESTION_SYSTEM_PROMPT : `${turn.options.systemPrompt}\n\n${QUESTION_SYSTEM_PROMPT}`;
    const answerTokens = Math.min(turn.options.maxTokens ?? Number.POSITIVE_INFINITY, Math.floor(contextSize * 0.25));
    const measure = async (passages: typeof candidates): Promise<number> => {
      const prompt = questionPrompt({ question: turn.prompt, passages: passages.map(toPassage) });
      const measured = await this.#o.engine.measure({ history: [...turn.history, { role: 'user', text: prompt }], systemPrompt });
      return measured?.tokens ?? Number.POSITIVE_INFINITY;
    };
    const base = await measure([]);
    // Passages matter more than old turns: when the history is long, the engine drops its oldest turns.
    const room = Math.max(contextSize - base - answerTokens - FIT_MARGIN, Math.floor(contextSize * 0.35));
    let chosen: typeof candidates = [];
    let used = 0;
    for (const candidate of candidates.slice(0, MAX_PASSAGES)) {
      const cost = candidate.chunk.tokenCount + 16;
      if (used + cost > room) continue;
      chosen.push(candidate);
      used += cost;
    }
    if (chosen.length === 0 && candidates[0] !== undefined) {
      const first = candidates[0];
      const keep = Math.max(200, Math.floor((first.chunk.text.length * room) / Math.max(1, first.chunk.tokenCount + 16)));
      chosen = [{ ...first, chunk: { ...first.chunk, text: first.chunk.text.slice(0, keep) } }];
    }
    chosen.sort((a, b) => (a.document.createdAt - b.document.createdAt) || (a.chunk.seq - b.chunk.seq));
    const labels = [...new Set(chosen.map((candidate) => referenceFor([candidate.chunk]).label))];
    const prompt = questionPrompt({ question: turn.prompt, passages: chosen.map(toPassage) });
    return {
      prompt,
      options: { ...turn.options, systemPrompt },
      ...(labels.length > 0 ? { footer: sourcesFooter(labels) } : {}),
    };
  }

  async #read(input: { path: string; fileName: string; identity: FileIdentity; conversationId: string | undefined; sizeBytes: number; extraNotices: string[] }): Promise<DocumentInfo> {
    const target = input.conversationId;
    if (target === undefined) return this.#readInto(input);
    this.#reading.set(target, (this.#reading.get(target) ?? 0) + 1);
    try {
      return await this.#readInto(input);
    } finally {
      const left = (this.#reading.get(target) ?? 1) - 1;
      if (left > 0) this.#reading.set(target, left);
      else this.#reading.delete(target);
    }
  }

  async #readInto(input: { path: string; fileName: string; identity: FileIdentity; conversationId: string | undefined; sizeBytes: number; extraNotices: string[] }): Promise<DocumentInfo> {
    const { conversations, store, extractor, emit } = this.#o;
    if (input.conversationId !== undefined) conversations.settings(input.conversationId); // not_found before any reading
    const extraction = await extractor.extract({ path: input.path, fileName: input.fileName, identity: input.identity });
    const conversationId = input.conversationId ?? conversations.create(titleFor(input.fileName)).id;
    const record = store.addDocument({
      conversationId,
      fileName: input.fileName,
      format: extraction.format,
      title: extraction.title,
      sizeBytes: input.sizeBytes,
      pageCount: extraction.pageCount,
      pagesRead: extraction.pagesRead,
      charCount: extraction.charCount,
      notices: [...input.extraNotices, ...extraction.notices],
      units: extraction.units,
    });
    // Dropped or attached into an empty new chat: that chat is used, and named after the file.
    if (input.conversationId !== undefined) conversations.nameAfterFirstDocument(conversationId, titleFor(input.fileName));
    emit('conversations.changed', { id: conversationId });
    return documentInfo(record, extraction.units.map((unit, seq) => ({ ...unit, seq })));
  }

  /**
   * The document's chunks, cut for the loaded model when needed: chunks cut for a model whose
   * context they no longer fit are cut again (and summaries of the old cut start over).
   */
  async #chunksFor(document: DocumentRecord, signal: AbortSignal, options: { reuseAny?: boolean } = {}): Promise<{ chunks: ChunkRecord[]; contextSize: number }> {
    const pending = this.#chunking.get(document.id);
    if (pending !== undefined) return pending;
    const work = (async () => {
      const { engine, store } = this.#o;
      const contextSize = engine.status().model?.contextSize;
      if (contextSize === undefined) throw noModelError('Open a .gguf model file first.');
      const existing = store.chunks(document.id);
      const budget = await this.#chunkBudget(document, contextSize);
      if (existing.length > 0 && (options.reuseAny === true || existing.every((chunk) => chunk.tokenCount <= budget))) {
        return { chunks: existing, contextSize };
      }
      const units = store.units(document.id);
      const made = await chunkUnits(units, budget, async (texts) => {
        const counts = await engine.countTokens(texts);
        if (counts === null) throw new BurrowError('no_model', 'The model was unloaded while the document was being prepared. Load it and try again.');
        return counts;
      }, signal);
      store.replaceChunks(document.id, made, contextSize);
      return { chunks: store.chunks(document.id), contextSize };
    })();
    this.#chunking.set(document.id, work);
    try {
      return await work;
    } finally {
      this.#chunking.delete(document.id);
    }
  }

  /** Tokens a chunk may have so that its map prompt and the longest answer fit the context. */
  async #chunkBudget(document: DocumentRecord, contextSize: number): Promise<number> {
    const empty = mapPrompt({ fileName: document.fileName, label: 'p. 99999–99999', text: '', style: 'outline', focus: 'x'.repeat(500), final: true });
    const measured = await this.#o.engine.measure({ history: [{ role: 'user', text: empty }], systemPrompt: SUMMARY_SYSTEM_PROMPT });
    if (measured === null) throw noModelError('Open a .gguf model file first.');
    const budget = contextSize - measured.tokens - answerBudgets(contextSize).final - FIT_MARGIN;
    if (budget < 64) throw new BurrowError('engine_error', `This model's context (${contextSize} tokens) is too small to summarise documents. Load a model with a larger context.`);
    return budget;
  }

  async #summarize(document: DocumentRecord, summary: SummaryRecord, signal: AbortSignal): Promise<void> {
    const { store, emit, conversations } = this.#o;
    const base = { summaryId: summary.id, documentId: document.id, conversationId: document.conversationId };
    let chunks: ChunkRecord[] = [];
    try {
      emit('document.progress', { ...base, stage: 'chunking', chunksDone: 0, chunksTotal: summary.chunkCount, section: null, secondsLeft: null, percent: 0 });
      const adapters = (await this.#o.ensureModel(document.conversationId)) ?? undefined;
      const cut = await this.#chunksFor(document, signal);
      chunks = cut.chunks;
      let current = summary;
      if (summary.chunkCount !== chunks.length || summary.contextSize !== cut.contextSize) {
        // Cut differently from when it started (another model): its partial results no longer line up.
        store.clearParts(summary.id);
        current = store.updateSummary(summary.id, { chunkCount: chunks.length, contextSize: cut.contextSize });
      }
      let lastPercent = 0;
      const outcome = await runSummary({
        adapters,
        engine: this.#o.engine,
        store,
        summary: current,
        document,
        chunks,
        contextSize: cut.contextSize,
        signal,
        onProgress: (progress) => {
          lastPercent = Math.max(lastPercent, progress.percent);
          emit('document.progress', { ...base, stage: progress.stage, chunksDone: progress.chunksDone, chunksTotal: progress.chunksTotal, section: progress.section, secondsLeft: progress.secondsLeft, percent: lastPercent });
        },
      });
      if (outcome.status === 'cancelled') {
        const status = this.#stopping ? 'interrupted' : 'cancelled';
        store.updateSummary(summary.id, { status });
        this.#ended(summary.id);
        emit('document.summary', { ...base, status: 'cancelled', coverage: coverageOf(document, chunks, outcome.chunksMapped, status), messageId: null });
        return;
      }
      const coverage = coverageOf(document, chunks, chunks.length, 'done');
      const styleName = current.style === 'brief' ? 'in brief' : current.style === 'outline' ? 'as an outline' : 'as key points';
      const question = `Summarise “${document.fileName}” ${styleName}${current.focus === null ? '' : `, with attention to: ${current.focus}`}`;
      const asked = conversations.addMessage({ conversationId: document.conversationId, role: 'user', content: question, status: 'complete' });
      const answer = conversations.addMessage({
        conversationId: document.conversationId,
        parentId: asked.id,
        role: 'assistant',
        content: summaryMarkdown(current.style, outcome.points, coverage, document.notices),
        status: 'complete',
      });
      store.updateSummary(summary.id, { status: 'done', result: JSON.stringify({ points: outcome.points, levels: outcome.levels }), messageId: answer.id });
      emit('conversations.changed', { id: document.conversationId });
      this.#ended(summary.id);
      emit('document.summary', { ...base, status: 'done', coverage, messageId: answer.id });
    } catch (caught) {
      const parts = safe(() => store.parts(summary.id), []);
      if (signal.aborted) {
        const status = this.#stopping ? 'interrupted' : 'cancelled';
        safe(() => store.updateSummary(summary.id, { status }), null);
        this.#ended(summary.id);
        emit('document.summary', { ...base, status: 'cancelled', coverage: coverageOf(document, chunks, mappedFromStart(parts), status), messageId: null });
        return;
      }
      const error = toErrorValue(caught);
      safe(() => store.updateSummary(summary.id, { status: 'error', error: error.message }), null);
      this.#ended(summary.id);
      emit('document.summary', { ...base, status: 'error', error, coverage: coverageOf(document, chunks, mappedFromStart(parts), 'error'), messageId: null });
    }
  }

  /** A summary is no longer running once its end event is out: a listener may start the next one at once. */
  #ended(summaryId: string): void {
    this.#running.delete(summaryId);
  }

  async #stopSummariesOf(documentId: string): Promise<void> {
    const mine = [...this.#running.values()].filter((running) => running.documentId === documentId);
    for (const running of mine) running.controller.abort();
    await Promise.allSettled(mine.map((running) => running.done));
  }

  #unitPlaces(documentId: string): Array<Pick<ChunkRecord, 'seq' | 'pageStart' | 'pageEnd' | 'section'>> {
    return this.#o.store.units(documentId).map((unit) => ({ seq: unit.seq, pageStart: unit.page, pageEnd: unit.page, section: unit.section }));
  }
}

function toPassage(candidate: { document: DocumentRecord; chunk: ChunkRecord }): { fileName: string; label: string; text: string } {
  return { fileName: candidate.document.fileName, label: referenceFor([candidate.chunk]).label, text: candidate.chunk.text };
}

/** Plain words of a question as an FTS5 query (each word quoted, any of them may match); null when it has none. */
export function ftsQuery(text: string): string | null {
  const words = [...new Set(text.toLowerCase().match(/[\p{L}\p{N}]{2,}/gu) ?? [])].slice(0, 32);
  return words.length === 0 ? null : words.map((word) => `"${word}"`).join(' OR ');
}

/** The line of sources after an answer from a conversation's documents. */
function sourcesFooter(labels: readonly string[]): string {
  return `${SOURCES_LEAD}${labels.map((label) => `[${label}]`).join(' · ')}`;
}

const SOURCES_LEAD = '\n\nSources: ';
const SOURCES_LINE = /\n\nSources: \[[^\n]*\]$/;

/** An answer without the line of sources it ends with (sourcesFooter), if it has one: Continue goes on from the answer itself. */
export function withoutSources(answer: string): string {
  return answer.replace(SOURCES_LINE, '');
}

function titleFor(fileName: string): string {
  const oneLine = fileName.replace(/\s+/g, ' ').trim();
  return oneLine.length <= TITLE_CHARS ? oneLine : `${oneLine.slice(0, TITLE_CHARS - 1)}…`;
}


function safe<T>(read: () => T, fallback: T): T {
  try {
    return read();
  } catch {
    return fallback;
  }
}
