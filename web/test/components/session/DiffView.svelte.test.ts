import { flushSync, mount, unmount } from "svelte";
import { afterEach, describe, expect, it } from "vitest";
import DiffView from "#lib/components/session/DiffView.svelte";

afterEach(() => {
  document.body.innerHTML = "";
});

describe("DiffView", () => {
  it("shows a diff as text: markup in it is never parsed, and lines are coloured by kind", () => {
    const target = document.createElement("div");
    document.body.append(target);
    const diff =
      '@@ -1 +1 @@\n-<b>old</b>\n+<img src=x onerror="window.__pwned = 1"><script>window.__pwned = 2</script>\n';
    const app = mount(DiffView, { target, props: { diff } });
    flushSync();
    expect(target.querySelector("img, script, b")).toBeNull();
    const lines = [...target.querySelectorAll(".line")];
    expect(lines.map((l) => l.className.split(" ")[1])).toEqual(["hunk", "del", "add"]);
    expect(lines[2].textContent).toContain('<img src=x onerror="window.__pwned = 1">');
    expect((window as unknown as { __pwned?: number }).__pwned).toBeUndefined();
    unmount(app);
  });
});
