import { describe, expect, it } from "vitest";
import { renderMarkdown } from "./markdown";

describe("renderMarkdown", () => {
  it("renders markdown", () => {
    const html = renderMarkdown("**bold** and `code`\n\n- a\n- b");
    expect(html).toContain("<strong>bold</strong>");
    expect(html).toContain("<code>code</code>");
    expect(html).toContain("<li>a</li>");
  });

  it("shows raw HTML from a transcript as text", () => {
    const el = document.createElement("div");
    el.innerHTML = renderMarkdown('look: <img src=x onerror="window.hacked=1"> and <script>window.hacked=2</script>');
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
