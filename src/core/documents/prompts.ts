/**
 * The prompts of the map-reduce summary and of questions about a document. Kept together so
 * their wording (and the references they ask for) stays consistent.
 */
import type { SummaryStyle } from '../store/document-store';

export const SUMMARY_SYSTEM_PROMPT =
  'You summarise documents faithfully. Use only the text you are given; never add facts. Keep names, numbers and dates exact.';

export const QUESTION_SYSTEM_PROMPT =
  'You answer questions about a document using only the passages given with the question. Cite the passages you use by their reference in square brackets, e.g. [p. 3]. If the passages do not contain the answer, say so.';

const STYLE_INSTRUCTIONS: Record<SummaryStyle, string> = {
  brief: 'Write one short paragraph of three to five sentences.',
  'key-points': 'Write the key points as a list, one per line, each line starting with "- ".',
  outline: 'Write a detailed outline: a line "## " with a title for each main part, followed by its points on lines starting with "- ".',
};

function focusLine(focus: string | null): string {
  return focus === null ? '' : `\nPay particular attention to: ${focus}\n`;
}

/** One chunk → notes (or, for a one-chunk document, the summary itself in its style). */
export function mapPrompt(input: { fileName: string; label: string; text: string; style: SummaryStyle; focus: string | null; final: boolean }): string {
  const task = input.final
    ? `Summarise this document. ${STYLE_INSTRUCTIONS[input.style]}`
    : 'Write the main points of this passage as short notes, one per line, each line starting with "- ".';
  return `${task}${focusLine(input.focus)}
Passage from "${input.fileName}" [${input.label}]:
"""
${input.text}
"""`;
}

/** Several partial summaries → one, keeping their references. */
export function reducePrompt(input: { fileName: string; parts: ReadonlyArray<{ label: string; text: string }>; style: SummaryStyle; focus: string | null; final: boolean }): string {
  const task = input.final
    ? `Combine these notes on consecutive parts of "${input.fileName}" into one summary of the whole. ${STYLE_INSTRUCTIONS[input.style]}`
    : `Combine these notes on consecutive parts of "${input.fileName}" into shorter notes, one per line, each line starting with "- ".`;
  const notes = input.parts.map((part) => `[${part.label}]\n${part.text}`).join('\n\n');
  return `${task}
End each point with the references of the notes it comes from, in square brackets, exactly as written below (for example [${input.parts[0]?.label ?? 'p. 1'}]).${focusLine(input.focus)}
Notes:
${notes}`;
}

/** A question with the passages retrieved for it. */
export function questionPrompt(input: { question: string; passages: ReadonlyArray<{ fileName: string; label: string; text: string }> }): string {
  const passages = input.passages.map((passage) => `[${passage.label}] (${passage.fileName})\n${passage.text}`).join('\n\n');
  return `Passages from the attached document:
${passages}

Question: ${input.question}`;
}
