/**
 * Model output is untrusted. It is rendered as Markdown with `marked` and then sanitised
 * with DOMPurify before it may touch the DOM. Pure module: it needs a window (the page's, or
 * jsdom's in a Node test) and nothing else.
 *
 * Layers, so that one mistake is not enough:
 *  1. Raw HTML in the Markdown is escaped, so `<b>` or `<script>` shows as text.
 *  2. Images become their alt text (a remote image would be an outbound request).
 *  3. DOMPurify removes what is left: scripts, styles, forms, frames, `on*` attributes,
 *     and links whose scheme is not http, https or mailto.
 *
 * What reaches marked is bounded first (lib/markdown-blocks.ts): an answer is parsed block by
 * block, and a block too long, too nested or too dense for marked is shown as escaped text.
 */
import DOMPurify, { type WindowLike } from 'dompurify';
import { Marked } from 'marked';
import { blockHtml, escapeHtml, plainHtml, planPieces, type BlockPlan } from './markdown-blocks';

export { escapeHtml };

const ALLOWED_LINK = /^(?:https?:|mailto:)/i;

const FORBIDDEN_TAGS = [
  'style', 'script', 'form', 'input', 'button', 'textarea', 'select', 'option', 'label',
  'iframe', 'frame', 'frameset', 'object', 'embed', 'img', 'picture', 'source', 'video',
  'audio', 'track', 'link', 'meta', 'base', 'svg', 'math', 'template', 'dialog',
];
const FORBIDDEN_ATTRIBUTES = ['style', 'srcset', 'action', 'formaction', 'xlink:href', 'target', 'id', 'name'];

export function createMarked(): Marked {
  return new Marked({
    gfm: true,
    breaks: true,
    async: false,
    renderer: {
      html({ text, block }) {
        const escaped = escapeHtml(block ? text.trim() : text);
        return block ? `<p>${escaped}</p>\n` : escaped;
      },
      image({ text }) {
        return escapeHtml(text);
      },
    },
  });
}

/** One planned block of Markdown (from `planBlocks`) to sanitised HTML. */
export type MarkdownRenderer = (plan: BlockPlan) => string;

/**
 * Returns a function turning one block of Markdown into sanitised HTML. Each renderer owns
 * its own DOMPurify instance, so its hooks never leak into other users of DOMPurify.
 */
export function createMarkdownRenderer(window: WindowLike): MarkdownRenderer {
  const marked = createMarked();
  const purify = DOMPurify(window);

  purify.addHook('uponSanitizeAttribute', (_node, data) => {
    // DOMPurify drops event handlers already; this says so explicitly and covers any
    // attribute whose name starts with "on" whatever its case.
    if (data.attrName.toLowerCase().startsWith('on')) data.keepAttr = false;
  });

  purify.addHook('afterSanitizeAttributes', (node) => {
    if (node.nodeName !== 'A') return;
    const href = node.getAttribute('href');
    if (href === null || !ALLOWED_LINK.test(href.trim())) {
      node.removeAttribute('href');
      return;
    }
    node.setAttribute('target', '_blank');
    node.setAttribute('rel', 'noopener noreferrer');
  });

  // Set once: given with each call, DOMPurify rebuilt its allow-lists for every piece of every
  // answer (a small part of its time, which is most of a piece's rendering time).
  purify.setConfig({
    USE_PROFILES: { html: true },
    FORBID_TAGS: FORBIDDEN_TAGS,
    FORBID_ATTR: FORBIDDEN_ATTRIBUTES,
    ALLOWED_URI_REGEXP: ALLOWED_LINK,
    ALLOW_DATA_ATTR: false,
    ALLOW_ARIA_ATTR: false,
    SAFE_FOR_TEMPLATES: false,
    RETURN_TRUSTED_TYPE: false,
  });

  const parse = (markdown: string): string => marked.parse(markdown, { async: false });
  return (plan: BlockPlan): string => {
    let html: string;
    try {
      html = blockHtml(plan, parse);
    } catch {
      html = plainHtml(plan.text);
    }
    return purify.sanitize(html);
  };
}

export interface RenderedPrefix {
  /** Sanitised HTML of the first pieces, in order. */
  html: string[];
  /** False while pieces remain: call `render` again in a later frame. */
  complete: boolean;
}

/**
 * How much rendering may do: stop once past `deadline` (a `performance.now()` time) or past
 * `maxChars` of new text. Calls sharing one budget share what is left of it.
 */
export interface RenderBudget {
  deadline: number;
  maxChars: number;
}

function planKey(plan: BlockPlan): string {
  return `${plan.kind}${'joined' in plan && plan.joined === true ? '+' : ''}\u0000${plan.text}`;
}

/**
 * Renders an answer piece by piece, remembering each piece's HTML: a streaming answer only
 * re-renders the pieces that changed (its tail), and a long one is rendered and laid out over
 * several frames, each bounded in time and in new HTML, so the page keeps answering input.
 */
export class IncrementalMarkdown {
  #keys: string[] = [];
  #html: string[] = [];
  #source = '';
  /** The pieces of `#source` planned so far, and the rest still to plan. */
  #plans: BlockPlan[] = [];
  #planKeys: string[] = [];
  #unplanned: Iterator<BlockPlan> | undefined;
  readonly #render: MarkdownRenderer;
  readonly #now: () => number;

  constructor(render: MarkdownRenderer, now: () => number = () => performance.now()) {
    this.#render = render;
    this.#now = now;
  }

  render(source: string, budget: RenderBudget): RenderedPrefix {
    // A long answer takes many calls to render: it is planned as far as it is rendered, once.
    // A cached piece then matches by identity, so a frame costs nothing per piece already shown.
    if (source !== this.#source || this.#unplanned === undefined) {
      this.#source = source;
      this.#plans = [];
      this.#planKeys = [];
      this.#unplanned = planPieces(source);
    }
    let fresh = 0;
    const html: string[] = [];
    for (let index = 0; ; index++) {
      const plan = this.#planAt(index);
      if (plan === undefined) {
        this.#forgetFrom(index);
        return { html, complete: true };
      }
      const key = this.#planKeys[index]!;
      const cached = this.#keys[index] === key ? this.#html[index] : undefined;
      if (cached !== undefined) {
        html.push(cached);
        continue;
      }
      // Always at least one fresh piece per call, so a slow machine still makes progress.
      if (fresh > 0 && (this.#now() > budget.deadline || plan.text.length > budget.maxChars)) return { html, complete: false };
      const rendered = this.#render(plan);
      this.#keys[index] = key;
      this.#html[index] = rendered;
      html.push(rendered);
      fresh += 1;
      budget.maxChars -= plan.text.length;
    }
  }

  /** The piece at `index`, planned now if it was not yet; undefined past the end. */
  #planAt(index: number): BlockPlan | undefined {
    while (this.#plans.length <= index) {
      const next = this.#unplanned?.next();
      if (next === undefined || next.done === true) return undefined;
      const key = planKey(next.value);
      const at = this.#plans.length;
      // The same text as the piece cached here: keep one string, so later frames compare by identity.
      this.#planKeys.push(this.#keys[at] === key ? this.#keys[at] : key);
      this.#plans.push(next.value);
    }
    return this.#plans[index];
  }

  #forgetFrom(length: number): void {
    this.#keys.length = Math.min(this.#keys.length, length);
    this.#html.length = Math.min(this.#html.length, length);
  }
}
