/**
 * Bounds on what reaches `marked`. Model output is untrusted and can be pathological: deep
 * nesting overflows marked's stack ('>'.repeat(2000)), and some delimiter runs make its
 * inline pass quadratic ('*_a'.repeat(1000) alone costs ~40 ms). So an answer is cut into
 * top-level blocks, each parsed on its own (and cached, so a streaming answer re-parses only
 * its tail), and a block that is too long, too nested or too dense in delimiters is shown as
 * escaped text instead. Pure module: no DOM.
 */

/** Longest block given to marked; longer ones are shown as text. ~10 ms of marked at worst. */
export const MAX_BLOCK_CHARS = 8 * 1024;
/** Neighbouring small blocks are parsed together up to this size (a few ms of marked and DOMPurify). */
export const MAX_GROUP_CHARS = 2 * 1024;
/** Deepest nesting of quotes and lists marked may see. */
export const MAX_NESTING = 12;
/** Most emphasis delimiters (`*`, `_`, `~`) in one block: marked's emphasis pass is quadratic in them. */
export const MAX_DELIMITERS = 400;

/**
 * How one block is shown. Long text and long code are cut into pieces of at most
 * MAX_BLOCK_CHARS, each its own element, so the page can lay them out over several frames;
 * `joined` pieces continue into the next one and are styled to read as one.
 */
export type BlockPlan =
  | { kind: 'markdown'; text: string }
  /** A fenced code block too long for marked: shown as code all the same. */
  | { kind: 'code'; text: string; code: string; joined?: boolean }
  | { kind: 'text'; text: string; reason: 'long' | 'nested' | 'delimiters'; joined?: boolean };

const FENCE = /^ {0,3}(`{3,}|~{3,})/;

/**
 * Top-level blocks, split at blank lines outside fenced code. A blank line followed by an
 * indented line does not split: that line continues a list item. `blocks.join('\n')` gives the
 * source back exactly.
 */
export function splitBlocks(source: string): string[] {
  return [...blocksOf(source)];
}

/** The lines of `source`, as `source.split('\n')` would give them, one at a time. */
function* linesOf(source: string): Generator<string> {
  let start = 0;
  for (;;) {
    const end = source.indexOf('\n', start);
    if (end === -1) break;
    yield source.slice(start, end);
    start = end + 1;
  }
  yield source.slice(start);
}

/** `splitBlocks`, one block at a time: the first blocks of a long answer cost no more than their own text. */
export function* blocksOf(source: string): Generator<string> {
  let current: string[] = [];
  // Blank lines go with the block after them, so a finished block never changes again while
  // an answer streams on.
  let blanks: string[] = [];
  let fence: string | null = null;
  for (const line of linesOf(source)) {
    if (fence !== null) {
      current.push(line);
      const close = FENCE.exec(line);
      if (close?.[1] !== undefined && close[1][0] === fence[0] && close[1].length >= fence.length && line.trim() === close[1]) fence = null;
      continue;
    }
    if (line.trim() === '') {
      blanks.push(line);
      continue;
    }
    if (blanks.length > 0 && !/^[ \t]/.test(line) && current.length > 0) {
      yield current.join('\n');
      current = [];
    }
    current.push(...blanks, line);
    blanks = [];
    const open = FENCE.exec(line);
    // A backtick fence's info string may not contain a backtick (CommonMark).
    if (open?.[1] !== undefined && !(open[1][0] === '`' && line.slice(line.indexOf(open[1]) + open[1].length).includes('`'))) fence = open[1];
  }
  current.push(...blanks);
  yield current.join('\n');
}

/** How deeply a line nests: quote markers, list markers and indentation (two spaces a level). */
function nesting(line: string): number {
  let depth = 0;
  let index = 0;
  let spaces = 0;
  while (index < line.length) {
    const char = line[index];
    if (char === ' ') spaces += 1;
    else if (char === '\t') spaces += 4;
    else if (char === '>') depth += 1;
    else if ((char === '-' || char === '+' || char === '*') && (line[index + 1] === ' ' || line[index + 1] === '\t')) depth += 1;
    else {
      const ordered = /^\d{1,9}[.)][ \t]/.exec(line.slice(index, index + 11));
      if (ordered === null) break;
      depth += 1;
      index += ordered[0].length - 1;
    }
    index += 1;
  }
  return depth + Math.floor(spaces / 2);
}

function fencedCode(block: string): string | null {
  const lines = block.replace(/^\s*\n/, '').replace(/\n+$/, '').split('\n');
  const open = FENCE.exec(lines[0] ?? '');
  if (open?.[1] === undefined) return null;
  const last = lines.at(-1)?.trim() ?? '';
  const closed = lines.length > 1 && last.startsWith(open[1][0]!) && /^(`{3,}|~{3,})$/.test(last);
  return lines.slice(1, closed ? -1 : undefined).join('\n');
}

/** Cuts text into pieces of at most `max` characters, at line ends where it can, never inside a surrogate pair. */
export function pieces(text: string, max = MAX_BLOCK_CHARS): string[] {
  const out: string[] = [];
  let start = 0;
  while (text.length - start > max) {
    let end = text.lastIndexOf('\n', start + max);
    if (end <= start) {
      end = start + max;
      const code = text.charCodeAt(end - 1);
      if (code >= 0xd800 && code <= 0xdbff) end -= 1;
      out.push(text.slice(start, end));
      start = end;
    } else {
      out.push(text.slice(start, end));
      start = end + 1;
    }
  }
  out.push(text.slice(start));
  return out;
}

/** The pieces one block is shown as: usually one; a long block several. */
export function planBlocks(text: string): BlockPlan[] {
  if (text.length <= MAX_BLOCK_CHARS) return [planBlock(text)];
  const code = fencedCode(text);
  if (code !== null) {
    const parts = pieces(code);
    return parts.map((part, index) => ({ kind: 'code', text: part, code: part, joined: index < parts.length - 1 }));
  }
  const parts = pieces(text.replace(/^\n+|\n+$/g, ''));
  return parts.map((part, index) => ({ kind: 'text', text: part, reason: 'long', joined: index < parts.length - 1 }));
}

function countDelimiters(text: string): number {
  let delimiters = 0;
  for (let index = 0; index < text.length; index++) {
    const char = text.charCodeAt(index);
    if (char === 42 /* * */ || char === 95 /* _ */ || char === 126 /* ~ */) delimiters += 1;
  }
  return delimiters;
}

/**
 * The pieces a whole answer is shown as. Neighbouring Markdown blocks are parsed together,
 * up to the same bounds as one block: fewer, larger pieces cost the page far less than
 * thousands of tiny ones. Groups are made from the start, so while an answer streams only
 * its last group changes.
 */
export function planAnswer(source: string): BlockPlan[] {
  return [...planPieces(source)];
}

/**
 * `planAnswer`, one piece at a time, so a long answer opened on screen plans only what the
 * first frames render (planning 200 KB at once took 4–20 ms on a 2-core machine).
 */
export function* planPieces(source: string): Generator<BlockPlan> {
  let group: string[] = [];
  let groupChars = 0;
  let groupDelimiters = 0;
  for (const block of blocksOf(source)) {
    const blockPlans = planBlocks(block);
    const only = blockPlans.length === 1 ? blockPlans[0] : undefined;
    const delimiters = only?.kind === 'markdown' ? countDelimiters(block) : 0;
    if (group.length > 0 && (only?.kind !== 'markdown' || groupChars + block.length + 1 > MAX_GROUP_CHARS || groupDelimiters + delimiters > MAX_DELIMITERS)) {
      yield { kind: 'markdown', text: group.join('\n') };
      group = [];
      groupChars = 0;
      groupDelimiters = 0;
    }
    if (only?.kind !== 'markdown') {
      yield* blockPlans;
      continue;
    }
    group.push(block);
    groupChars += block.length + 1;
    groupDelimiters += delimiters;
  }
  if (group.length > 0) yield { kind: 'markdown', text: group.join('\n') };
}

export function planBlock(text: string): BlockPlan {
  if (text.length > MAX_BLOCK_CHARS) {
    const code = fencedCode(text);
    return code === null ? { kind: 'text', text, reason: 'long' } : { kind: 'code', text, code };
  }
  const delimiters = countDelimiters(text);
  if (delimiters > MAX_DELIMITERS && fencedCode(text) === null) return { kind: 'text', text, reason: 'delimiters' };
  let start = 0;
  while (start <= text.length) {
    const end = text.indexOf('\n', start);
    const line = text.slice(start, end === -1 ? undefined : end);
    if (nesting(line) > MAX_NESTING) return { kind: 'text', text, reason: 'nested' };
    if (end === -1) break;
    start = end + 1;
  }
  return { kind: 'markdown', text };
}

export function escapeHtml(text: string): string {
  return text
    .replaceAll('&', '&amp;')
    .replaceAll('<', '&lt;')
    .replaceAll('>', '&gt;')
    .replaceAll('"', '&quot;')
    .replaceAll("'", '&#39;');
}

/** The escaped text of a block, kept readable: its line breaks stay (CSS pre-wrap). */
export function plainHtml(text: string, joined = false): string {
  return `<p class="${joined ? 'plain joined' : 'plain'}">${escapeHtml(text.replace(/^\n+|\n+$/g, ''))}</p>`;
}

/**
 * HTML for one block, before sanitising. `parse` is marked; anything it throws (a stack
 * overflow the bounds missed) shows the block as escaped text.
 */
export function blockHtml(plan: BlockPlan, parse: (markdown: string) => string): string {
  switch (plan.kind) {
    case 'code':
      return `<pre${plan.joined === true ? ' class="joined"' : ''}><code>${escapeHtml(plan.code)}</code></pre>`;
    case 'text':
      return plainHtml(plan.text, plan.joined);
    case 'markdown':
      try {
        return parse(plan.text);
      } catch {
        return plainHtml(plan.text);
      }
  }
}
