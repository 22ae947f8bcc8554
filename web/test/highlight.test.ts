import { describe, expect, it } from "vitest";
import { diffLines } from "#lib/changes.ts";
import { highlightCodeBlocks, highlightLines, languageOf } from "#lib/highlight.ts";

describe("syntax highlighting", () => {
  it("knows languages by code-block name and by file extension", () => {
    expect(languageOf("ts")).toBe("typescript");
    expect(languageOf("src/app.svelte")).toBe("xml");
    expect(languageOf("notes.txt")).toBeNull();
  });

  it("highlights a diff's code line by line, escaping it: markup in code stays text", async () => {
    const lines = diffLines(
      'diff --git a/a.ts b/a.ts\n+++ b/a.ts\n+const x = "<img src=x onerror=alert(1)>"; // note\n',
    );
    expect(lines[2]).toMatchObject({ kind: "add", path: "a.ts" });
    const [html] = await highlightLines([lines[2].text.slice(1)], "typescript");
    expect(html).toContain('<span class="hljs-keyword">const</span>');
    expect(html).toContain("&lt;img src=x onerror=alert(1)&gt;");
    const holder = document.createElement("div");
    holder.innerHTML = html;
    expect(holder.querySelector("img")).toBeNull();
  });

  it("highlights fenced code in rendered markdown in place, once", async () => {
    const root = document.createElement("div");
    root.innerHTML =
      '<pre><code class="language-python">def f():\n    return "&lt;b&gt;"</code></pre><pre><code>plain</code></pre>';
    await highlightCodeBlocks(root);
    const code = root.querySelector("code.language-python") as HTMLElement;
    expect(code.dataset.highlighted).toBe("yes");
    expect(code.querySelector(".hljs-keyword")?.textContent).toBe("def");
    expect(code.querySelector("b")).toBeNull();
    expect(root.querySelectorAll("code")[1].innerHTML).toBe("plain");
  });
});
