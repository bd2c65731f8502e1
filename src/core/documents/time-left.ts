/**
 * How long a summary has left, from the rates measured on this run (issue 18, item 8).
 *
 * Steps differ a lot: a map step reads one chunk and writes short notes; the final step reads
 * every note and writes the longest answer. Averaging whole steps said "1 s left" half-way
 * through a run whose final step took half of it. So each step is split at its first token
 * into reading (prompt tokens, at the measured reading rate) and writing (answer tokens, at the
 * measured writing rate), and what is left is priced the same way, step by step.
 */

export interface StepTiming {
  /** Prompt tokens the model read for this step. */
  promptTokens: number;
  /** From the request to the first token of the answer. */
  readMs: number;
  /** Tokens the answer had. */
  answerTokens: number;
  /** The answer's budget (maxTokens) for this step. */
  answerBudget: number;
  /** From the first token to the end of the answer. */
  writeMs: number;
}

/** A step still to run: what it will read, and the most it may write. */
export interface PlannedStep {
  promptTokens: number;
  answerBudget: number;
}

export class TimeLeftEstimator {
  #readTokens = 0;
  #readMs = 0;
  #writtenTokens = 0;
  #writeMs = 0;
  #budgetTokens = 0;
  #steps = 0;

  record(step: StepTiming): void {
    this.#readTokens += step.promptTokens;
    this.#readMs += step.readMs;
    this.#writtenTokens += step.answerTokens;
    this.#writeMs += step.writeMs;
    this.#budgetTokens += step.answerBudget;
    this.#steps++;
  }

  /** Measured steps so far. */
  get steps(): number {
    return this.#steps;
  }

  /** Average prompt tokens of the steps measured (for steps like them still to come). */
  get averagePrompt(): number {
    return this.#steps === 0 ? 0 : this.#readTokens / this.#steps;
  }

  /** Share of its budget an answer used, on average (a model that rambles uses all of it). */
  get fill(): number {
    return this.#budgetTokens === 0 ? 1 : Math.min(1, this.#writtenTokens / this.#budgetTokens);
  }

  /** Seconds for the steps left, or null before any step was measured. */
  secondsFor(steps: readonly PlannedStep[]): number | null {
    if (this.#steps === 0 || this.#readTokens === 0 || this.#writtenTokens === 0) return null;
    const msPerRead = this.#readMs / this.#readTokens;
    const msPerWritten = this.#writeMs / this.#writtenTokens;
    const fill = this.fill;
    let ms = 0;
    for (const step of steps) ms += step.promptTokens * msPerRead + step.answerBudget * fill * msPerWritten;
    return Math.round(ms / 1000);
  }
}
