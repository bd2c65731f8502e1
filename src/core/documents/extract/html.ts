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
  const collector = new SectionCollector();
  const parser = new Parser(
    {
      onopentag: (name) => collector.open(name),
      ontext: (text) => collector.text(text),
      onclosetag: (name) => collector.close(name),
    },
    { decodeEntities: true, lowerCaseTags: true, recognizeSelfClosing: true },
  );
  parser.write(html);
  parser.end();
  return collector.result();
}

/** The parser's callbacks: collects the text of each section, and the page's title. */
class SectionCollector {
  #sections: HtmlSection[] = [];
  #current: HtmlSection = { title: null, level: 0, text: '' };
  #skipDepth = 0;
  #inTitle = false;
  #pageTitle = '';
  #heading: { level: number; text: string } | null = null;
  #cellInRow = 0;
  #preDepth = 0;
  #cellDepth = 0;
  /** A list item's marker was just written: its first paragraph starts on the same line. */
  #itemOpened = false;

  #write(text: string): void {
    if (text.trim().length > 0) this.#itemOpened = false;
    if (this.#heading !== null) this.#heading.text += text;
    else this.#current.text += text;
  }

  /** A paragraph break, except inside a table cell (the cell stays on its row) or right after a list marker. */
  #blockBreak(): void {
    if (this.#cellDepth > 0) this.#write(' ');
    else if (!this.#itemOpened) this.#write('\n\n');
  }

  open(name: string): void {
    if (this.#skipDepth > 0 || SKIPPED.has(name)) {
      this.#skipDepth++;
      return;
    }
    if (name === 'title') this.#inTitle = true;
    if (name === 'pre') this.#preDepth++;
    const level = HEADING.exec(name)?.[1];
    if (level !== undefined) {
      this.#heading = { level: Number(level), text: '' };
      return;
    }
    if (name === 'br') this.#write('\n');
    else if (name === 'li') {
      this.#write('\n- ');
      this.#itemOpened = true;
    } else if (name === 'tr') {
      this.#cellInRow = 0;
      this.#write('\n');
    } else if (name === 'td' || name === 'th') {
      if (this.#cellInRow++ > 0) this.#write(' | ');
      this.#cellDepth++;
    } else if (BLOCKS.has(name)) this.#blockBreak();
  }

  text(text: string): void {
    if (this.#skipDepth > 0) return;
    // Source line breaks are only white space in HTML, except inside <pre>.
    const flowing = this.#preDepth > 0 ? text : text.replace(/\s+/g, ' ');
    if (this.#inTitle) this.#pageTitle += flowing;
    else this.#write(flowing);
  }

  close(name: string): void {
    if (this.#skipDepth > 0) {
      this.#skipDepth--;
      return;
    }
    if (name === 'title') this.#inTitle = false;
    if (name === 'pre' && this.#preDepth > 0) this.#preDepth--;
    if (HEADING.test(name) && this.#heading !== null) {
      const title = this.#heading.text.replace(/\s+/g, ' ').trim().slice(0, MAX_TITLE_CHARS);
      const level = this.#heading.level;
      this.#heading = null;
      if (title.length === 0) return;
      if (this.#current.text.trim().length > 0 || this.#current.title !== null) this.#sections.push(this.#current);
      this.#current = { title, level, text: '' };
    } else if (name === 'td' || name === 'th') {
      if (this.#cellDepth > 0) this.#cellDepth--;
    } else if (name === 'tr') {
      this.#write('\n');
    } else if (name === 'p' || BLOCKS.has(name)) {
      this.#blockBreak();
    }
  }

  result(): HtmlText {
    const sections = [...this.#sections, this.#current];
    const title = this.#pageTitle.replace(/\s+/g, ' ').trim();
    return { title: title.length > 0 ? title.slice(0, MAX_TITLE_CHARS) : null, sections: sections.filter((section) => section.text.trim().length > 0 || section.title !== null) };
  }
}
