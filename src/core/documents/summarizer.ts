/**
 * Map-reduce summary of a whole document that always fits the model's context. Every chunk is
 * summarised once (level 0); runs of partial summaries are combined level by level until one
 * prompt holds them all, and that last prompt writes the summary in the chosen style. Every
 * prompt is measured with the model's tokenizer before it is sent, and its answer is capped
 * so prompt + answer fit. Each partial summary is saved as soon as it exists, with the chunks
 * it covers, so a cancelled or interrupted summary resumes where it stopped.
 */
import type { AppliedAdapter } from '../../shared/contract';
import { BurrowError } from '../../shared/errors';
import type { GenerateRequest, GenerateResult, MeasureRequest, MeasureResult } from '../engine/types';
import type { ChunkRecord, DocumentRecord, DocumentStore, PartRecord, SummaryRecord } from '../store/document-store';
import { mapPrompt, reducePrompt, SUMMARY_SYSTEM_PROMPT } from './prompts';
import { referenceFor, referencesFor, referencesIn, type Reference } from '../store/references';
import { TimeLeftEstimator, type PlannedStep } from './time-left';

/** What the summary needs of the engine (EngineHost has it). */
export interface SummaryEngine {
  generate(request: GenerateRequest): Promise<GenerateResult>;
  measure(request: MeasureRequest): Promise<MeasureResult | null>;
  countTokens(texts: string[]): Promise<number[] | null>;
}

export interface SummaryProgress {
  stage: 'map' | 'reduce';
  chunksDone: number;
  chunksTotal: number;
  stepsDone: number;
  stepsTotal: number;
  /** 0 while chunks are summarised, then 1, 2… for each round of combining. */
  level: number;
  /** Where in the document the current step is, e.g. `p. 12` or `§ "Costs"`. */
  section: string | null;
  /** Estimated from this run's own pace; never goes up. Null until one step has finished. */
  secondsLeft: number | null;
  /** 0–100, never goes down. */
  percent: number;
}

export interface SummaryPoint {
  text: string;
  references: Reference[];
}

export interface SummaryOutcome {
  status: 'done' | 'cancelled';
  points: SummaryPoint[];
  /** Levels in the reduce tree (0: the document was one chunk). */
  levels: number;
  /** Chunks with a level-0 summary, counted from the start without gaps. */
  chunksMapped: number;
}

export interface SummaryRunInput {
  engine: SummaryEngine;
  store: DocumentStore;
  summary: SummaryRecord;
  document: DocumentRecord;
  chunks: readonly ChunkRecord[];
  contextSize: number;
  signal: AbortSignal;
  onProgress: (progress: SummaryProgress) => void;
  /** Temperature for every summary prompt. Default 0.2. */
  temperature?: number;
  /** The conversation's LoRA adapters (its own, else the model's defaults); left out: whatever the context has. */
  adapters?: readonly AppliedAdapter[] | undefined;
  now?: () => number;
}

/** Tokens kept free beyond every measured prompt and capped answer (the answer prefix of the chat template). */
export const FIT_MARGIN = 24;
const MIN_ANSWER_TOKENS = 32;
const MAX_POINTS = 40;

export function answerBudgets(contextSize: number): { notes: number; final: number } {
  return { notes: clamp(Math.floor(contextSize * 0.15), 64, 384), final: clamp(Math.floor(contextSize * 0.25), 96, 1024) };
}

/** A session of its own, never saved to disk (its key has a ':', see session-pool.ts). */
export function sessionKeyFor(documentId: string): string {
  return `document:${documentId}`;
}

export async function runSummary(input: SummaryRunInput): Promise<SummaryOutcome> {
  return new SummaryRun(input).run();
}

class SummaryRun {
  readonly #input: SummaryRunInput;
  readonly #budgets: { notes: number; final: number };
  readonly #now: () => number;
  readonly #parts = new Map<string, PartRecord>();
  #stepsDone = 0;
  #stepsTotal = 0;
  #percent = 0;
  readonly #timeLeft = new TimeLeftEstimator();
  /** Prompt tokens a step adds to what it reads (instructions, labels), as measured: map, reduce. */
  #overhead = { map: 0, reduce: 0, mapSteps: 0, reduceSteps: 0 };

  constructor(input: SummaryRunInput) {
    this.#input = input;
    this.#budgets = answerBudgets(input.contextSize);
    this.#now = input.now ?? Date.now;
    for (const part of input.store.parts(input.summary.id)) this.#parts.set(key(part.level, part.seq), part);
  }

  async run(): Promise<SummaryOutcome> {
    const { chunks } = this.#input;
    if (chunks.length === 0) throw new BurrowError('document_unreadable', 'This document has no text to summarise.');
    const single = chunks.length === 1;
    this.#stepsDone = [...this.#parts.values()].filter((part) => part.level === 0).length;
    this.#stepsTotal = chunks.length + (single ? 0 : this.#estimateReduceSteps(chunks.length));

    // Level 0: every chunk, once, in order.
    for (const chunk of chunks) {
      if (this.#parts.has(key(0, chunk.seq))) continue;
      this.#report('map', 0, referenceFor([chunk]).label, this.#mapPlan(chunk.seq, single));
      const label = referenceFor([chunk]).label;
      const prompt = mapPrompt({ fileName: this.#input.document.fileName, label, text: chunk.text, style: this.#input.summary.style, focus: this.#input.summary.focus, final: single });
      const text = await this.#generate(prompt, single ? this.#budgets.final : this.#budgets.notes, { kind: 'map', read: chunk.tokenCount });
      if (text === null) return this.#cancelled();
      await this.#save({ level: 0, seq: chunk.seq, text, firstChunk: chunk.seq, lastChunk: chunk.seq });
    }

    let level = 0;
    let parts = this.#level(0);
    let finalInputs: PartRecord[] = parts;
    while (!(parts.length === 1 && (level > 0 || single))) {
      const groups = await this.#plan(parts);
      const final = groups.length === 1;
      this.#stepsTotal = this.#stepsDone + groups.filter((group) => group.length > 1).length + (final ? 0 : this.#estimateReduceSteps(groups.length));
      for (const [seq, group] of groups.entries()) {
        const first = group[0];
        const last = group.at(-1);
        if (first === undefined || last === undefined) continue;
        const stored = this.#parts.get(key(level + 1, seq));
        if (stored !== undefined && stored.firstChunk === first.firstChunk && stored.lastChunk === last.lastChunk) continue;
        if (group.length === 1) {
          // Carried up unchanged: nothing to combine it with at this level.
          await this.#save({ ...first, level: level + 1, seq });
          continue;
        }
        this.#report('reduce', level + 1, referenceFor(this.#chunksOf(first.firstChunk, last.lastChunk)).label, this.#reducePlan(groups.slice(seq), final));
        const prompt = reducePrompt({
          fileName: this.#input.document.fileName,
          parts: group.map((part) => ({ label: this.#labelOf(part), text: part.text })),
          style: this.#input.summary.style,
          focus: this.#input.summary.focus,
          final,
        });
        const text = await this.#generate(prompt, final ? this.#budgets.final : this.#budgets.notes, { kind: 'reduce', read: sumTokens(group) });
        if (text === null) return this.#cancelled();
        await this.#save({ level: level + 1, seq, text, firstChunk: first.firstChunk, lastChunk: last.lastChunk });
      }
      finalInputs = parts;
      level++;
      parts = this.#level(level);
      // Parts a previous run saved beyond what this plan made are stale.
      parts = parts.slice(0, groups.length);
    }
    const top = parts[0];
    if (top === undefined) throw new BurrowError('internal', 'The summary has no result.');
    this.#stepsTotal = this.#stepsDone;
    this.#report(level === 0 ? 'map' : 'reduce', level, null, []);
    return { status: 'done', points: this.#points(top.text, level === 0 ? [top] : finalInputs), levels: level, chunksMapped: chunks.length };
  }

  /** Runs of consecutive parts, each run fitting one combining prompt (measured). One run: the final prompt. */
  async #plan(parts: PartRecord[]): Promise<PartRecord[][]> {
    if (await this.#fits(parts, true)) return [parts];
    const labels = parts.map((part) => `[${this.#labelOf(part)}]\n`);
    const labelTokens = (await this.#count(labels)) ?? labels.map((label) => label.length);
    const overhead = await this.#promptTokens(reducePrompt({ fileName: this.#input.document.fileName, parts: [], style: this.#input.summary.style, focus: this.#input.summary.focus, final: false }));
    const room = this.#input.contextSize - overhead - this.#budgets.notes - FIT_MARGIN;
    const groups: PartRecord[][] = [];
    let current: PartRecord[] = [];
    let used = 0;
    parts.forEach((part, i) => {
      const cost = part.tokenCount + (labelTokens[i] ?? 0) + 2;
      if (current.length > 0 && used + cost > room) {
        groups.push(current);
        current = [];
        used = 0;
      }
      current.push(part);
      used += cost;
    });
    if (current.length > 0) groups.push(current);
    // The estimate above adds token counts; the real prompt is measured, and split if over.
    const checked: PartRecord[][] = [];
    for (let i = 0; i < groups.length; i++) {
      const group = groups[i] ?? [];
      if (group.length > 1 && !(await this.#fits(group, false))) {
        const middle = Math.ceil(group.length / 2);
        groups.splice(i + 1, 0, group.slice(middle));
        groups[i] = group.slice(0, middle);
        i--;
        continue;
      }
      checked.push(group);
    }
    // Everything fits one prompt with a notes-sized answer, though not with a full final one:
    // that is the final prompt, its answer capped to the room left (#generate measures it).
    if (checked.length === 1) return [parts];
    if (checked.length >= parts.length) {
      throw new BurrowError('engine_error', `This model's context (${this.#input.contextSize} tokens) is too small to combine the partial summaries. Load a model with a larger context.`);
    }
    return checked;
  }

  async #fits(parts: PartRecord[], final: boolean): Promise<boolean> {
    const prompt = reducePrompt({
      fileName: this.#input.document.fileName,
      parts: parts.map((part) => ({ label: this.#labelOf(part), text: part.text })),
      style: this.#input.summary.style,
      focus: this.#input.summary.focus,
      final,
    });
    const tokens = await this.#promptTokens(prompt);
    return tokens + (final ? this.#budgets.final : this.#budgets.notes) + FIT_MARGIN <= this.#input.contextSize;
  }

  /** Generates an answer of at most `budget` tokens, capped further so prompt + answer fit. Null when cancelled. */
  async #generate(prompt: string, budget: number, step: { kind: 'map' | 'reduce'; read: number }): Promise<string | null> {
    const { engine, signal, contextSize } = this.#input;
    if (signal.aborted) return null;
    const promptTokens = await this.#promptTokens(prompt);
    const maxTokens = Math.min(budget, contextSize - promptTokens - FIT_MARGIN);
    if (maxTokens < MIN_ANSWER_TOKENS) {
      throw new BurrowError('engine_error', `This model's context (${contextSize} tokens) is too small for this summary. Load a model with a larger context, or the same one again.`);
    }
    const started = this.#now();
    let firstText: number | null = null;
    const result = await engine.generate({
      sessionKey: sessionKeyFor(this.#input.document.id),
      history: [],
      prompt,
      options: { systemPrompt: SUMMARY_SYSTEM_PROMPT, maxTokens, temperature: this.#input.temperature ?? 0.2 },
      ...(this.#input.adapters === undefined ? {} : { adapters: [...this.#input.adapters] }),
      signal,
      onText: () => {
        firstText ??= this.#now();
      },
    });
    if (result.reason === 'cancelled' || signal.aborted) return null;
    const ended = this.#now();
    const wrote = firstText ?? ended;
    this.#timeLeft.record({ promptTokens, readMs: wrote - started, answerTokens: result.stats.generatedTokens, answerBudget: maxTokens, writeMs: ended - wrote });
    if (step.kind === 'map') {
      this.#overhead.map += Math.max(0, promptTokens - step.read);
      this.#overhead.mapSteps++;
    } else {
      this.#overhead.reduce += Math.max(0, promptTokens - step.read);
      this.#overhead.reduceSteps++;
    }
    const text = result.text.trim();
    return text.length > 0 ? text : '(nothing to note)';
  }

  async #promptTokens(prompt: string): Promise<number> {
    const measured = await this.#input.engine.measure({ history: [{ role: 'user', text: prompt }], systemPrompt: SUMMARY_SYSTEM_PROMPT });
    if (measured === null) throw new BurrowError('no_model', 'The model was unloaded, so the summary stopped. Load a model and resume it.');
    if (measured.contextSize !== this.#input.contextSize) {
      throw new BurrowError('engine_error', 'A model with a different context size was loaded while summarising. Resume the summary to go on with it.');
    }
    return measured.tokens;
  }

  async #count(texts: string[]): Promise<number[] | null> {
    return this.#input.engine.countTokens(texts);
  }

  /** Saves a part; a new text's tokens are counted with the model's tokenizer. */
  async #save(part: Omit<PartRecord, 'tokenCount'> & { tokenCount?: number }): Promise<void> {
    const counted = part.tokenCount === undefined ? await this.#count([part.text]) : null;
    const saved: PartRecord = { ...part, tokenCount: part.tokenCount ?? counted?.[0] ?? part.text.length };
    this.#input.store.savePart(this.#input.summary.id, saved);
    this.#parts.set(key(saved.level, saved.seq), saved);
    this.#stepsDone++;
  }

  #level(level: number): PartRecord[] {
    return [...this.#parts.values()].filter((part) => part.level === level).sort((a, b) => a.seq - b.seq);
  }

  #chunksOf(first: number, last: number): ChunkRecord[] {
    return this.#input.chunks.filter((chunk) => chunk.seq >= first && chunk.seq <= last);
  }

  #labelOf(part: PartRecord): string {
    return referenceFor(this.#chunksOf(part.firstChunk, part.lastChunk)).label;
  }

  #estimateReduceSteps(parts: number): number {
    const perGroup = Math.max(2, Math.floor((this.#input.contextSize * 0.7) / (this.#budgets.notes + 8)));
    let steps = 0;
    let n = parts;
    while (n > 1) {
      if (n <= perGroup) return steps + 1;
      n = Math.ceil(n / perGroup);
      steps += n;
    }
    return steps;
  }

  #report(stage: SummaryProgress['stage'], level: number, section: string | null, upcoming: readonly PlannedStep[]): void {
    const { chunks } = this.#input;
    const chunksDone = Math.min(chunks.length, this.#level(0).length);
    const stepsTotal = Math.max(this.#stepsTotal, this.#stepsDone);
    this.#percent = Math.max(this.#percent, stepsTotal === 0 ? 100 : Math.floor((this.#stepsDone / stepsTotal) * 100));
    this.#input.onProgress({
      stage,
      chunksDone,
      chunksTotal: chunks.length,
      stepsDone: this.#stepsDone,
      stepsTotal,
      level,
      section,
      // Priced step by step from this run's reading and writing rates, the step starting now
      // included; null until one step was measured.
      secondsLeft: upcoming.length === 0 ? 0 : this.#timeLeft.secondsFor(upcoming),
      percent: this.#percent,
    });
  }

  /** The steps left from the chunk at `fromSeq` on: its map steps, then the combining ones. */
  #mapPlan(fromSeq: number, single: boolean): PlannedStep[] {
    const overhead = average(this.#overhead.map, this.#overhead.mapSteps);
    const left = this.#input.chunks.filter((chunk) => chunk.seq >= fromSeq && !this.#parts.has(key(0, chunk.seq)));
    const steps = left.map((chunk) => ({ promptTokens: chunk.tokenCount + overhead, answerBudget: single ? this.#budgets.final : this.#budgets.notes }));
    if (single) return steps;
    const notes = this.#budgets.notes * this.#timeLeft.fill;
    const written = sumTokens(this.#level(0));
    return [...steps, ...this.#combining(this.#input.chunks.length, written + left.length * notes)];
  }

  /** The steps left at this combining level (its groups from the current one), then the levels above. */
  #reducePlan(groups: readonly PartRecord[][], final: boolean): PlannedStep[] {
    const overhead = average(this.#overhead.reduce, this.#overhead.reduceSteps);
    const budget = final ? this.#budgets.final : this.#budgets.notes;
    const combining = groups.filter((group) => group.length > 1);
    const steps = combining.map((group) => ({ promptTokens: sumTokens(group) + overhead, answerBudget: budget }));
    if (final) return steps;
    return [...steps, ...this.#combining(groups.length, groups.length * this.#budgets.notes * this.#timeLeft.fill)];
  }

  /**
   * The combining steps for `parts` partial summaries of `tokens` tokens in all: every level reads
   * the level below once; the last step reads what the one before wrote and writes the summary.
   */
  #combining(parts: number, tokens: number): PlannedStep[] {
    const count = this.#estimateReduceSteps(parts);
    if (count === 0) return [];
    const overhead = average(this.#overhead.reduce, this.#overhead.reduceSteps) || average(this.#overhead.map, this.#overhead.mapSteps);
    const final = { answerBudget: this.#budgets.final };
    if (count === 1) return [{ ...final, promptTokens: tokens + overhead }];
    const notes = this.#budgets.notes * this.#timeLeft.fill;
    const middle = Array.from({ length: count - 1 }, () => ({ promptTokens: tokens / (count - 1) + overhead, answerBudget: this.#budgets.notes }));
    return [...middle, { ...final, promptTokens: (count - 1) * notes + overhead }];
  }

  #cancelled(): SummaryOutcome {
    return { status: 'cancelled', points: [], levels: 0, chunksMapped: mappedFromStart(this.#level(0)) };
  }

  /**
   * The final text as points, each with references: the ones the model wrote (when they name
   * something in this document), else the input it overlaps most, so no point is left unsourced.
   */
  #points(text: string, inputs: PartRecord[]): SummaryPoint[] {
    const { chunks } = this.#input;
    const lines = splitPoints(text, this.#input.summary.style).slice(0, MAX_POINTS);
    const inputWords = inputs.map((part) => wordsOf(part.text));
    return lines.map((line, index) => {
      const written = referencesIn(line, chunks);
      const clean = line.replace(/\s*\[[^\]]{1,210}\]/g, '').trim();
      if (written.length > 0) return { text: clean, references: written };
      const best = bestMatch(wordsOf(clean), inputWords) ?? Math.min(inputs.length - 1, Math.floor((index * inputs.length) / Math.max(1, lines.length)));
      const source = inputs[best] ?? inputs[0];
      const references = source === undefined ? [] : referencesFor(this.#chunksOf(source.firstChunk, source.lastChunk));
      return { text: clean.length > 0 ? clean : line, references };
    });
  }
}

function key(level: number, seq: number): string {
  return `${level}:${seq}`;
}

function clamp(value: number, min: number, max: number): number {
  return Math.max(min, Math.min(max, value));
}

function mappedFromStart(parts: PartRecord[]): number {
  let count = 0;
  for (const part of parts) {
    if (part.seq !== count) break;
    count++;
  }
  return count;
}

/** Lines of a list or outline (headings kept as their own points), sentences of a paragraph. */
export function splitPoints(text: string, style: SummaryRecord['style']): string[] {
  const lines = text
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line.length > 0);
  if (style === 'brief') {
    const paragraph = lines.join(' ');
    const sentences = paragraph.match(/[^.!?]+(?:[.!?]+(?:\s*\[[^\]]{1,210}\])*|$)/g) ?? [paragraph];
    return sentences.map((sentence) => sentence.trim()).filter((sentence) => sentence.length > 0);
  }
  return lines.map((line) => (style === 'key-points' ? line.replace(/^(?:[-*•]|\d+[.)])\s+/, '') : line));
}

function wordsOf(text: string): Set<string> {
  return new Set(text.toLowerCase().match(/[\p{L}\p{N}]{3,}/gu) ?? []);
}

function bestMatch(words: Set<string>, candidates: Array<Set<string>>): number | null {
  let best: number | null = null;
  let bestScore = 0;
  candidates.forEach((candidate, i) => {
    let shared = 0;
    for (const word of words) if (candidate.has(word)) shared++;
    const score = shared / Math.sqrt(candidate.size + 1);
    if (score > bestScore) {
      bestScore = score;
      best = i;
    }
  });
  return best;
}

function sumTokens(parts: readonly PartRecord[]): number {
  return parts.reduce((sum, part) => sum + part.tokenCount, 0);
}

function average(total: number, count: number): number {
  return count === 0 ? 0 : total / count;
}
