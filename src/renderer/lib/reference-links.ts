/**
 * Makes the references in a rendered answer ([p. 3], [§ "Costs"]) clickable: each becomes a
 * real <button> made with DOM calls (its text set as text, never parsed as HTML), so it is
 * reachable by keyboard and nothing from the model's output can add markup. Pure DOM: runs
 * on the page or on jsdom in a test.
 */
import { REFERENCE_PATTERN } from './reference-pattern';

const SKIP = new Set(['CODE', 'PRE', 'A', 'BUTTON']);

/** Replaces the reference labels in `container`'s text with buttons; returns how many it made. */
export function linkReferences(container: HTMLElement, onreference: (label: string) => void): number {
  const document = container.ownerDocument;
  const walker = document.createTreeWalker(container, 4 /* NodeFilter.SHOW_TEXT */);
  const texts: Text[] = [];
  for (let node = walker.nextNode(); node !== null; node = walker.nextNode()) {
    if (!(node.nodeValue ?? '').includes('[')) continue;
    let parent = node.parentElement;
    let skip = false;
    while (parent !== null && parent !== container) {
      if (SKIP.has(parent.tagName)) skip = true;
      parent = parent.parentElement;
    }
    if (!skip) texts.push(node as Text);
  }
  let made = 0;
  for (const text of texts) {
    const value = text.nodeValue ?? '';
    const pattern = new RegExp(REFERENCE_PATTERN.source, 'g');
    let last = 0;
    const parts: Node[] = [];
    for (let match = pattern.exec(value); match !== null; match = pattern.exec(value)) {
      const label = match[1] ?? '';
      if (match.index > last) parts.push(document.createTextNode(value.slice(last, match.index)));
      const button = document.createElement('button');
      button.type = 'button';
      button.className = 'reference';
      button.dataset.reference = label;
      button.textContent = label;
      button.setAttribute('aria-label', `Show the passage at ${label}`);
      button.addEventListener('click', () => onreference(label));
      parts.push(button);
      last = match.index + match[0].length;
      made += 1;
    }
    if (parts.length === 0) continue;
    if (last < value.length) parts.push(document.createTextNode(value.slice(last)));
    text.replaceWith(...parts);
  }
  return made;
}
