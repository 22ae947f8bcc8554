/** Copying from the transcript: a message's text, a code block's code. */

/** Puts `text` on the clipboard; false when the browser refuses (no permission, not a secure context). */
export async function copyText(text: string): Promise<boolean> {
  try {
    await navigator.clipboard.writeText(text);
    return true;
  } catch {
    return false;
  }
}

const COPY_LABEL = "Copy code";

/**
 * Gives each rendered code block (`pre > code`) a copy button, once. The button is made here, after
 * DOMPurify has cleaned the markdown's HTML, and copies the code's text (never HTML).
 */
export function addCodeCopyButtons(root: HTMLElement): void {
  for (const pre of root.querySelectorAll("pre")) {
    const code = pre.querySelector("code");
    if (!code || pre.querySelector(":scope > button.copy-code")) continue;
    const button = document.createElement("button");
    button.type = "button";
    button.className = "copy-code";
    button.textContent = "Copy";
    button.setAttribute("aria-label", COPY_LABEL);
    button.addEventListener("click", async () => {
      const done = await copyText(code.textContent ?? "");
      button.textContent = done ? "Copied" : "Copy failed";
      setTimeout(() => (button.textContent = "Copy"), 1500);
    });
    pre.prepend(button);
  }
}

/** A turn's words to copy: its text blocks, in order, as the agent wrote them (markdown source). */
export function turnText(texts: readonly string[]): string {
  return texts
    .map((t) => t.trim())
    .filter(Boolean)
    .join("\n\n");
}
