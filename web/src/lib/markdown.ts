/**
 * Agent text to HTML. Raw HTML in a transcript is shown as text (escaped by the renderer), and the
 * result still goes through DOMPurify, so nothing a transcript contains can run script.
 */
import DOMPurify from "dompurify";
import { Marked } from "marked";

export function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

const marked = new Marked({
  gfm: true,
  breaks: true,
  async: false,
  renderer: {
    html: ({ text }) => escapeHtml(text),
  },
});

let hooked = false;
function purify(html: string): string {
  if (!hooked) {
    // Links from a transcript open elsewhere and cannot reach back into this page.
    DOMPurify.addHook("afterSanitizeAttributes", (node) => {
      if (node.tagName === "A" && node.getAttribute("href")) {
        node.setAttribute("target", "_blank");
        node.setAttribute("rel", "noopener noreferrer nofollow");
      }
    });
    hooked = true;
  }
  return DOMPurify.sanitize(html, { USE_PROFILES: { html: true }, FORBID_TAGS: ["style", "form", "input"] });
}

export function renderMarkdown(text: string): string {
  return purify(marked.parse(text) as string);
}

export interface RenderedBlock {
  raw: string;
  html: string;
}

// Finished blocks of a streaming message come back unchanged on every token: sanitize each once.
const cache = new Map<string, string>();
const CACHE_MAX = 2000;

/**
 * Agent text as top-level markdown blocks (paragraphs, lists, code…), each rendered on its own, so a
 * token appended to a long message re-renders only the block it lands in.
 */
export function renderBlocks(text: string): RenderedBlock[] {
  const out: RenderedBlock[] = [];
  for (const token of marked.lexer(text)) {
    if (token.type === "space") continue;
    let html = cache.get(token.raw);
    if (html === undefined) {
      html = purify(marked.parser([token]) as string);
      if (cache.size >= CACHE_MAX) cache.clear();
      cache.set(token.raw, html);
    }
    out.push({ raw: token.raw, html });
  }
  return out;
}
