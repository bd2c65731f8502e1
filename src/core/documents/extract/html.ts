/**
 * HTML and XHTML → text split at headings. Scripts, styles and other non-text elements are
 * dropped; table cells are kept as "a | b" rows so a table still reads as one.
 */
import { Parser } from 'htmlparser2';

export interface HtmlSection {
  /** The heading the text follows, or null before the first heading. */
  title: string | null;
  /** Heading level 1–6 of `title` (0 when none). */
  level: number;
  text: string;
}

export interface HtmlText {
  /** The <title>, when the page has one. */
  title: string | null;
  sections: HtmlSection[];
}

const SKIPPED = new Set(['script', 'style', 'noscript', 'template', 'svg', 'math', 'iframe', 'object', 'canvas', 'select', 'button']);
const BLOCKS = new Set([
  'p', 'div', 'section', 'article', 'aside', 'header', 'footer', 'main', 'nav', 'blockquote', 'pre', 'ul', 'ol', 'dl', 'dt', 'dd',
  'table', 'thead', 'tbody', 'tfoot', 'figure', 'figcaption', 'address', 'hr', 'form', 'fieldset', 'body', 'caption',
]);
const HEADING = /^h([1-6])$/;
const MAX_TITLE_CHARS = 200;

export function htmlToSections(html: string): HtmlText {
  const sections: HtmlSection[] = [];
  let current: HtmlSection = { title: null, level: 0, text: '' };
  let skipDepth = 0;
  let inTitle = false;
  let pageTitle = '';
  let heading: { level: number; text: string } | null = null;
  let cellInRow = 0;
  let preDepth = 0;
  let cellDepth = 0;
  /** A list item's marker was just written: its first paragraph starts on the same line. */
  let itemOpened = false;

  const write = (text: string): void => {
    if (text.trim().length > 0) itemOpened = false;
    if (heading !== null) heading.text += text;
    else current.text += text;
  };
  /** A paragraph break, except inside a table cell (the cell stays on its row) or right after a list marker. */
  const blockBreak = (): void => {
    if (cellDepth > 0) write(' ');
    else if (!itemOpened) write('\n\n');
  };

  const parser = new Parser(
    {
      onopentag(name) {
        if (skipDepth > 0 || SKIPPED.has(name)) {
          skipDepth++;
          return;
        }
        if (name === 'title') inTitle = true;
        if (name === 'pre') preDepth++;
        const level = HEADING.exec(name)?.[1];
        if (level !== undefined) {
          heading = { level: Number(level), text: '' };
          return;
        }
        if (name === 'br') write('\n');
        else if (name === 'li') {
          write('\n- ');
          itemOpened = true;
        }
        else if (name === 'tr') {
          cellInRow = 0;
          write('\n');
        } else if (name === 'td' || name === 'th') {
          if (cellInRow++ > 0) write(' | ');
          cellDepth++;
        } else if (BLOCKS.has(name)) blockBreak();
      },
      ontext(text) {
        if (skipDepth > 0) return;
        // Source line breaks are only white space in HTML, except inside <pre>.
        const flowing = preDepth > 0 ? text : text.replace(/\s+/g, ' ');
        if (inTitle) pageTitle += flowing;
        else write(flowing);
      },
      onclosetag(name) {
        if (skipDepth > 0) {
          skipDepth--;
          return;
        }
        if (name === 'title') inTitle = false;
        if (name === 'pre' && preDepth > 0) preDepth--;
        if (HEADING.test(name) && heading !== null) {
          const title = heading.text.replace(/\s+/g, ' ').trim().slice(0, MAX_TITLE_CHARS);
          const level = heading.level;
          heading = null;
          if (title.length === 0) return;
          if (current.text.trim().length > 0 || current.title !== null) sections.push(current);
          current = { title, level, text: '' };
        } else if (name === 'td' || name === 'th') {
          if (cellDepth > 0) cellDepth--;
        } else if (name === 'tr') {
          write('\n');
        } else if (name === 'p' || BLOCKS.has(name)) {
          blockBreak();
        }
      },
    },
    { decodeEntities: true, lowerCaseTags: true, recognizeSelfClosing: true },
  );
  parser.write(html);
  parser.end();
  sections.push(current);
  const title = pageTitle.replace(/\s+/g, ' ').trim();
  return { title: title.length > 0 ? title.slice(0, MAX_TITLE_CHARS) : null, sections: sections.filter((section) => section.text.trim().length > 0 || section.title !== null) };
}
