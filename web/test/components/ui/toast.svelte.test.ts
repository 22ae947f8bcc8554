import { flushSync, mount, unmount } from "svelte";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import Toasts from "#lib/components/ui/Toasts.svelte";
import { TOAST_MS, toast, toasts } from "#lib/components/ui/toast.svelte.ts";

let cleanup: (() => void) | undefined;
beforeEach(() => vi.useFakeTimers());
afterEach(() => {
  cleanup?.();
  toasts.splice(0);
  vi.useRealTimers();
  document.body.innerHTML = "";
});

function host() {
  const target = document.createElement("div");
  document.body.append(target);
  const app = mount(Toasts, { target });
  cleanup = () => unmount(app);
}

describe("toast()", () => {
  it("shows a success note in the polite region and takes it away after a while", () => {
    host();
    toast("Secret saved");
    flushSync();
    const note = document.querySelector('[role="status"] [data-toast="success"]');
    expect(note?.textContent).toContain("Secret saved");
    vi.advanceTimersByTime(TOAST_MS + 10);
    flushSync();
    expect(toasts).toHaveLength(0);
  });

  it("keeps an error in the assertive region until dismissed", () => {
    host();
    toast("Could not save", { kind: "error" });
    flushSync();
    const note = document.querySelector('[role="alert"] [data-toast="error"]');
    expect(note?.textContent).toContain("Could not save");
    vi.advanceTimersByTime(TOAST_MS * 3);
    flushSync();
    expect(toasts).toHaveLength(1);
    note?.querySelector<HTMLButtonElement>('button[aria-label="Dismiss"]')?.click();
    flushSync();
    expect(toasts).toHaveLength(0);
  });
});
