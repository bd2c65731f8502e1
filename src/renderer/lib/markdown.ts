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
import { blockHtml, escapeHtml, plainHtml, planAnswer, type BlockPlan } from './markdown-blocks';

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

  const parse = (markdown: string): string => marked.parse(markdown, { async: false });
  return (plan: BlockPlan): string => {
    let html: string;
    try {
      html = blockHtml(plan, parse);
    } catch {
      html = plainHtml(plan.text);
    }
    return purify.sanitize(html, {
      USE_PROFILES: { html: true },
      FORBID_TAGS: FORBIDDEN_TAGS,
      FORBID_ATTR: FORBIDDEN_ATTRIBUTES,
      ALLOWED_URI_REGEXP: ALLOWED_LINK,
      ALLOW_DATA_ATTR: false,
      ALLOW_ARIA_ATTR: false,
      SAFE_FOR_TEMPLATES: false,
      RETURN_TRUSTED_TYPE: false,
    });
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
  #plans: BlockPlan[] = [];
  #planKeys: string[] = [];
  readonly #render: MarkdownRenderer;
  readonly #now: () => number;

  constructor(render: MarkdownRenderer, now: () => number = () => performance.now()) {
    this.#render = render;
    this.#now = now;
  }

  render(source: string, budget: RenderBudget): RenderedPrefix {
    // A long answer takes many calls to render: plan it, and key its pieces, once. A cached
    // piece then matches by identity, so a frame costs nothing per piece already shown.
    if (source !== this.#source || this.#plans.length === 0) {
      this.#source = source;
      this.#plans = planAnswer(source);
      this.#planKeys = this.#plans.map(planKey);
      for (const [index, key] of this.#planKeys.entries()) if (this.#keys[index] === key) this.#keys[index] = key;
    }
    const plans = this.#plans;
    const keys = this.#planKeys;
    let fresh = 0;
    const html: string[] = [];
    for (const [index, plan] of plans.entries()) {
      const key = keys[index]!;
      const cached = this.#keys[index] === key ? this.#html[index] : undefined;
      if (cached !== undefined) {
        html.push(cached);
        continue;
      }
      // Always at least one fresh piece per call, so a slow machine still makes progress.
      if (fresh > 0 && (this.#now() > budget.deadline || plan.text.length > budget.maxChars)) {
        this.#forgetFrom(plans.length);
        return { html, complete: false };
      }
      const rendered = this.#render(plan);
      this.#keys[index] = key;
      this.#html[index] = rendered;
      html.push(rendered);
      fresh += 1;
      budget.maxChars -= plan.text.length;
    }
    this.#forgetFrom(plans.length);
    return { html, complete: true };
  }

  #forgetFrom(length: number): void {
    this.#keys.length = Math.min(this.#keys.length, length);
    this.#html.length = Math.min(this.#html.length, length);
  }
}
