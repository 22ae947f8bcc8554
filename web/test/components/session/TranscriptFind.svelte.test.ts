import { flushSync, tick } from "svelte";
import { afterEach, describe, expect, it } from "vitest";
import * as Y from "yjs";
import { renderTranscript } from "../../fixtures/render-transcript.svelte";
import { addMessage } from "../../fixtures/transcript-doc";

// jsdom lays nothing out and has no scrollIntoView; what is scrolled to is asserted by what is marked.
Element.prototype.scrollIntoView ??= function scrollIntoView() {};

let cleanup: (() => void) | undefined;
afterEach(() => {
  cleanup?.();
  document.body.innerHTML = "";
});

/** 400 messages, more than the 150 the transcript renders; "needle" five times in four of them. */
function longSession() {
  const doc = new Y.Doc();
  const needles: Record<number, string> = {
    3: "the first needle",
    10: "a needle, and another needle",
    200: "a needle just before the window",
    390: "the latest needle",
  };
  for (let n = 0; n < 400; n++)
    addMessage(doc, "user", [{ type: "text", text: needles[n] ?? `message ${n}` }]);
  const view = renderTranscript(doc);
  cleanup = view.destroy;
  return view;
}

describe("find in the transcript", () => {
  it("finds matches outside the rendered window, counts them, and moves the window to each", async () => {
    const { target } = longSession();
    const rendered = (id: string) => target.querySelector(`article[data-message="${id}"]`) !== null;
    const current = () => target.querySelector("article[data-find-current]")?.getAttribute("data-message");
    const count = () => target.querySelector("[data-find-count]")?.textContent;
    expect(rendered("m399") && !rendered("m249") && !rendered("m10")).toBe(true);

    target.querySelector<HTMLButtonElement>("[data-search-open]")!.click();
    await tick();
    const field = target.querySelector<HTMLInputElement>("input[data-search]")!;
    expect(document.activeElement).toBe(field);
    field.value = "NEEDLE";
    field.dispatchEvent(new Event("input", { bubbles: true }));
    flushSync();
    // It starts at the latest match, where the reader is.
    expect(count()).toBe("5 of 5");
    expect(current()).toBe("m390");

    const previous = () => {
      field.dispatchEvent(new KeyboardEvent("keydown", { key: "Enter", shiftKey: true, bubbles: true }));
      flushSync();
    };
    previous();
    // 50 messages before the window: it is extended back to it, still through the latest.
    expect([count(), current()]).toEqual(["4 of 5", "m200"]);
    expect(rendered("m399")).toBe(true);
    expect(target.querySelector("[data-jump]")).toBeNull();

    previous();
    // Far back: the window moves there instead of rendering all 390 messages down to the latest.
    expect([count(), current()]).toEqual(["3 of 5", "m10"]);
    expect(rendered("m399")).toBe(false);
    expect(target.querySelectorAll("article").length).toBeLessThanOrEqual(200);
    expect(target.querySelector("[data-jump]")?.textContent).toContain("Jump to latest");

    previous();
    previous();
    expect([count(), current()]).toEqual(["1 of 5", "m3"]);
    // Shift+Enter at the first wraps to the last, Enter at the last to the first.
    previous();
    expect([count(), current()]).toEqual(["5 of 5", "m390"]);
    field.dispatchEvent(new KeyboardEvent("keydown", { key: "Enter", bubbles: true }));
    flushSync();
    expect([count(), current()]).toEqual(["1 of 5", "m3"]);

    field.value = "no such words";
    field.dispatchEvent(new Event("input", { bubbles: true }));
    flushSync();
    expect(count()).toBe("No matches");
    expect(current()).toBeUndefined();
  }, 30_000); // 400 messages rendered in jsdom: seconds on a loaded machine

  it("gives the latest back after a jump far away, and closes with Escape", async () => {
    const { target } = longSession();
    target.querySelector<HTMLButtonElement>("[data-search-open]")!.click();
    await tick();
    const field = target.querySelector<HTMLInputElement>("input[data-search]")!;
    field.value = "first needle";
    field.dispatchEvent(new Event("input", { bubbles: true }));
    flushSync();
    expect(target.querySelector("[data-find-count]")?.textContent).toBe("1 of 1");
    expect(target.querySelector('article[data-message="m3"][data-find-current]')).not.toBeNull();
    expect(target.querySelector('article[data-message="m399"]')).toBeNull();

    // Reading on from the match renders what follows it.
    target.querySelector<HTMLButtonElement>(".later button")!.click();
    flushSync();
    expect(target.querySelector('article[data-message="m150"]')).not.toBeNull();

    target.querySelector<HTMLButtonElement>("[data-jump]")!.click();
    flushSync();
    expect(target.querySelector('article[data-message="m399"]')).not.toBeNull();
    expect(target.querySelector(".later")).toBeNull();

    field.dispatchEvent(new KeyboardEvent("keydown", { key: "Escape", bubbles: true }));
    flushSync();
    expect(target.querySelector("[data-transcript-find]")).toBeNull();
    expect(target.querySelector("[data-find-current]")).toBeNull();
  }, 30_000); // 400 messages rendered in jsdom: seconds on a loaded machine
});
