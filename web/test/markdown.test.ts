import { describe, expect, it } from "vitest";
import { renderBlocks, renderMarkdown } from "#lib/markdown.ts";

describe("renderMarkdown", () => {
  it("renders markdown", () => {
    const html = renderMarkdown("**bold** and `code`\n\n- a\n- b");
    expect(html).toContain("<strong>bold</strong>");
    expect(html).toContain("<code>code</code>");
    expect(html).toContain("<li>a</li>");
  });

  it("shows raw HTML from a transcript as text", () => {
    const el = document.createElement("div");
    el.innerHTML = renderMarkdown(
      'look: <img src=x onerror="window.hacked=1"> and <script>window.hacked=2</script>',
    );
    expect(el.querySelector("img")).toBeNull();
    expect(el.querySelector("script")).toBeNull();
    expect(el.textContent).toContain("<img src=x onerror=");
  });

  it("strips script URLs and marks links as external", () => {
    const el = document.createElement("div");
    el.innerHTML = renderMarkdown("[a](javascript:alert(1)) [b](https://example.com)");
    const links = [...el.querySelectorAll("a")];
    expect(links.some((a) => (a.getAttribute("href") ?? "").startsWith("javascript"))).toBe(false);
    const b = links.find((a) => a.textContent === "b");
    expect(b?.getAttribute("rel")).toContain("noopener");
  });
});

describe("renderBlocks", () => {
  it("splits a message into blocks that render like the whole", () => {
    const text = "# Title\n\nSome **bold** text.\n\n- a\n- b\n\n```\ncode\n\nmore\n```\n";
    const blocks = renderBlocks(text);
    expect(blocks.map((b) => b.html.split(">")[0])).toEqual(["<h1", "<p", "<ul", "<pre"]);
    expect(
      blocks
        .map((b) => b.html)
        .join("")
        .replace(/\s/g, ""),
    ).toBe(renderMarkdown(text).replace(/\s/g, ""));
  });

  it("keeps finished blocks as they were while the last one grows", () => {
    const first = renderBlocks("Done paragraph.\n\nGrow");
    const next = renderBlocks("Done paragraph.\n\nGrowing");
    expect(next[0].html).toBe(first[0].html);
    expect(next[1].html).toContain("Growing");
  });

  it("escapes raw HTML in every block", () => {
    const el = document.createElement("div");
    el.innerHTML = renderBlocks('ok\n\n<img src=x onerror="alert(1)">\n\n> <script>x</script>')
      .map((b) => b.html)
      .join("");
    expect(el.querySelector("img, script")).toBeNull();
    expect(el.textContent).toContain("<img src=x");
  });
});
