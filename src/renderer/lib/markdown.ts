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
 */
import DOMPurify, { type WindowLike } from 'dompurify';
import { Marked } from 'marked';

const ALLOWED_LINK = /^(?:https?:|mailto:)/i;

const FORBIDDEN_TAGS = [
  'style', 'script', 'form', 'input', 'button', 'textarea', 'select', 'option', 'label',
  'iframe', 'frame', 'frameset', 'object', 'embed', 'img', 'picture', 'source', 'video',
  'audio', 'track', 'link', 'meta', 'base', 'svg', 'math', 'template', 'dialog',
];
const FORBIDDEN_ATTRIBUTES = ['style', 'srcset', 'action', 'formaction', 'xlink:href', 'target', 'id', 'name'];

export function escapeHtml(text: string): string {
  return text
    .replaceAll('&', '&amp;')
    .replaceAll('<', '&lt;')
    .replaceAll('>', '&gt;')
    .replaceAll('"', '&quot;')
    .replaceAll("'", '&#39;');
}

function createMarked(): Marked {
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

export type MarkdownRenderer = (markdown: string) => string;

/**
 * Returns a function turning Markdown into sanitised HTML. Each renderer owns its own
 * DOMPurify instance, so its hooks never leak into other users of DOMPurify.
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

  return (markdown: string): string => {
    const html = marked.parse(markdown, { async: false });
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
