import { flushSync, mount, tick, unmount } from "svelte";
import { afterEach, describe, expect, it } from "vitest";
import ConfirmHost from "#lib/components/ui/ConfirmHost.svelte";
import { confirm } from "#lib/components/ui/confirm.svelte.ts";

let cleanup: (() => void) | undefined;
afterEach(() => {
  cleanup?.();
  document.body.innerHTML = "";
});

function host() {
  const target = document.createElement("div");
  document.body.append(target);
  const app = mount(ConfirmHost, { target });
  cleanup = () => unmount(app);
}

async function settle() {
  flushSync();
  await tick();
  await new Promise((r) => setTimeout(r, 0));
  flushSync();
}

const button = (name: string) =>
  [...document.querySelectorAll("button")].find((b) => b.textContent?.trim() === name);

describe("confirm()", () => {
  it("asks in an alert dialog and resolves true when the person confirms", async () => {
    host();
    const answer = confirm({
      title: "Delete secret FOO?",
      body: "Sessions lose it.",
      confirmLabel: "Delete",
      danger: true,
    });
    await settle();
    const dialog = document.querySelector('[role="alertdialog"]');
    expect(dialog?.textContent).toContain("Delete secret FOO?");
    expect(dialog?.textContent).toContain("Sessions lose it.");
    const yes = button("Delete");
    expect(yes?.className).toContain("danger-solid");
    yes?.click();
    expect(await answer).toBe(true);
    await settle();
    // Closed (it may still be leaving: bits-ui keeps it for its ending transition).
    expect(document.querySelector('[role="alertdialog"][data-state="open"]')).toBeNull();
  });

  it("resolves false on Cancel", async () => {
    host();
    const answer = confirm({ title: "Revoke?" });
    await settle();
    button("Cancel")?.click();
    expect(await answer).toBe(false);
  });

  it("resolves false on Escape", async () => {
    host();
    const answer = confirm({ title: "Remove member?", confirmLabel: "Remove" });
    await settle();
    document.activeElement?.dispatchEvent(new KeyboardEvent("keydown", { key: "Escape", bubbles: true }));
    expect(await answer).toBe(false);
  });

  it("a second question answers the first with no", async () => {
    host();
    const first = confirm({ title: "First?" });
    const second = confirm({ title: "Second?" });
    expect(await first).toBe(false);
    await settle();
    expect(document.querySelector('[role="alertdialog"]')?.textContent).toContain("Second?");
    button("Confirm")?.click();
    expect(await second).toBe(true);
  });
});
