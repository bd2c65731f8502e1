/**
 * Sentence ends, found with one linear regular-expression scan. Intl.Segmenter was tried
 * first and took minutes on a few megabytes of text on these machines; a document must never
 * be able to stall extraction that way.
 */

/** A sentence mark (with closing quotes or brackets) before white space, or a blank line. */
const SENTENCE_END = /[.!?…。！？]+["'”’»)\]]*(?=\s)|\n[ \t]*\n/g;

/** No piece of text between two breaks is longer than this: a run-on "sentence" is cut at a space. */
export const MAX_PIECE_CHARS = 800;

/** Offsets where sentences end in `text`, ascending, the last one `text.length` (none for empty text). */
export function sentenceBreaks(text: string): number[] {
  const ends: number[] = [];
  SENTENCE_END.lastIndex = 0;
  for (let match = SENTENCE_END.exec(text); match !== null; match = SENTENCE_END.exec(text)) {
    ends.push(match.index + match[0].length);
  }
  if (text.length > 0 && ends.at(-1) !== text.length) ends.push(text.length);
  const bounded: number[] = [];
  let start = 0;
  for (const end of ends) {
    while (end - start > MAX_PIECE_CHARS) {
      start = cutAt(text, start);
      bounded.push(start);
    }
    if (end > start) bounded.push(end);
    start = end;
  }
  return bounded;
}

/** Where to cut a run-on stretch starting at `start`: the last space in its first MAX_PIECE_CHARS, else hard. */
function cutAt(text: string, start: number): number {
  const limit = start + MAX_PIECE_CHARS;
  const space = text.lastIndexOf(' ', limit);
  if (space > start + MAX_PIECE_CHARS / 2) return space + 1;
  // Never between the two halves of a surrogate pair.
  const code = text.charCodeAt(limit - 1);
  return code >= 0xd800 && code <= 0xdbff ? limit - 1 : limit;
}

/** Spaces and tabs collapsed, at most one blank line in a row, no trailing space on lines. */
export function tidyText(text: string): string {
  return text
    .replace(/[ \t\f\v\u00a0]+/g, ' ')
    .replace(/ ?\n ?/g, '\n')
    .replace(/\n{3,}/g, '\n\n')
    .trim();
}
