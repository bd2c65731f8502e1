/** Markdown → sections at headings, with marked's lexer (the renderer's Markdown library). */
import { marked, type Token } from 'marked';

export interface MarkdownSection {
  title: string | null;
  text: string;
}

const MAX_TITLE_CHARS = 200;

export function markdownToSections(source: string): MarkdownSection[] {
  const tokens: Token[] = marked.lexer(source, { gfm: true });
  const sections: MarkdownSection[] = [];
  let current: MarkdownSection = { title: null, text: '' };
  for (const token of tokens) {
    if (token.type === 'heading') {
      if (current.text.trim().length > 0 || current.title !== null) sections.push(current);
      const title = String((token as { text?: unknown }).text ?? '').replace(/\s+/g, ' ').trim().slice(0, MAX_TITLE_CHARS);
      current = { title: title.length > 0 ? title : null, text: '' };
    } else {
      current.text += token.raw;
    }
  }
  sections.push(current);
  return sections.filter((section) => section.text.trim().length > 0 || section.title !== null);
}
