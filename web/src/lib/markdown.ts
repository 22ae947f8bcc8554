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
