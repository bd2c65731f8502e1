/**
 * Turns what a user types into an FTS5 MATCH expression that cannot be a syntax error.
 * Every word and phrase is emitted as an FTS5 string ("…", with " doubled), so operators
 * (AND, OR, NOT, NEAR), column filters, parentheses and stray punctuation are plain text;
 * the expression is bound as a parameter, never spliced into SQL.
 */

export interface QueryPart {
  text: string;
  /** Came from "double quotes": its words must appear together, in order. */
  phrase: boolean;
  /** Its last word may be the start of a longer word (the user is still typing it). */
  prefix: boolean;
}

/** More parts than this are ignored: nobody types them, and each costs a doclist scan. */
export const MAX_QUERY_PARTS = 16;
/**
 * A prefix shorter than this is matched as a whole word: one letter would match most of the
 * index, and the FTS tables keep prefix indexes for 2 and 3 characters only.
 */
export const MIN_PREFIX_CHARS = 2;

const WORD_CHAR = /[\p{L}\p{N}]/u;
const CONTROL_CHARS = /\p{Cc}/gu;

/**
 * Words and "quoted phrases", in order. An unterminated quote runs to the end. The last part
 * gets a prefix match unless the user has moved on (typed a space or closed the quote).
 */
export function parseSearchQuery(input: string): QueryPart[] {
  const text = input.replace(CONTROL_CHARS, ' ');
  const parts: QueryPart[] = [];
  let i = 0;
  let lastClosed = false;
  while (i < text.length) {
    const char = text[i] ?? '';
    if (/\s/u.test(char)) {
      i++;
      continue;
    }
    if (char === '"') {
      const end = text.indexOf('"', i + 1);
      const body = end === -1 ? text.slice(i + 1) : text.slice(i + 1, end);
      parts.push({ text: body.trim(), phrase: true, prefix: false });
      lastClosed = end !== -1;
      i = end === -1 ? text.length : end + 1;
      continue;
    }
    let end = i;
    while (end < text.length && text[end] !== '"' && !/\s/u.test(text[end] ?? '')) end++;
    parts.push({ text: text.slice(i, end), phrase: false, prefix: false });
    lastClosed = false;
    i = end;
  }
  const useful = parts.filter((part) => WORD_CHAR.test(part.text)).slice(0, MAX_QUERY_PARTS);
  const last = useful.at(-1);
  const stillTyping = !lastClosed && !/\s$/u.test(text) && last === parts.at(-1);
  if (last !== undefined && stillTyping && lastWordLength(last.text) >= MIN_PREFIX_CHARS) last.prefix = true;
  return useful;
}

/** The MATCH expression for the parts (all must match), or null when there is nothing to search for. */
export function toMatchExpression(parts: readonly QueryPart[]): string | null {
  if (parts.length === 0) return null;
  return parts.map((part) => `"${part.text.replaceAll('"', '""')}"${part.prefix ? '*' : ''}`).join(' ');
}

export function matchExpressionFor(input: string): string | null {
  return toMatchExpression(parseSearchQuery(input));
}

function lastWordLength(text: string): number {
  const words = text.split(/[^\p{L}\p{N}]+/u).filter((word) => word.length > 0);
  return [...(words.at(-1) ?? '')].length;
}
