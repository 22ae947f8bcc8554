import { flushSync, mount, tick, unmount } from "svelte";
import { afterEach, describe, expect, it } from "vitest";
import { WorkspaceSchema } from "@tandem/protocol/workspace";
import { setFetch, type Role } from "#lib/api.ts";
import CommandPalette from "#lib/components/ui/CommandPalette.svelte";
import { keyboard } from "#lib/components/ui/keyboard.svelte.ts";

// jsdom lays nothing out, so it has neither of these; bits-ui's Command scrolls the highlighted item into
// view and sizes its list as it changes. Nothing here depends on either.
Element.prototype.scrollIntoView ??= function scrollIntoView() {};
globalThis.ResizeObserver ??= class {
  observe() {}
  unobserve() {}
  disconnect() {}
};

let cleanup: (() => void) | undefined;
afterEach(() => {
  cleanup?.();
  keyboard.paletteOpen = false;
  document.body.innerHTML = "";
  setFetch((...args) => fetch(...args));
});

async function settle() {
  for (let i = 0; i < 3; i++) {
    flushSync();
    await tick();
    await new Promise((r) => setTimeout(r, 0));
  }
  flushSync();
}

/** The API as the palette reads it: this person is `role` in workspace w1, and w1 has one session. */
function serve(role: Role) {
  const workspace = WorkspaceSchema.parse({
    id: "w1",
    name: "Team",
    role,
    createdAt: 1,
    idleStopMinutes: 30,
    monthlyBudgetUsd: null,
  });
  setFetch(async (input) => {
    const path = String(input);
    if (path === "/api/workspaces") return Response.json({ workspaces: [workspace] });
    if (path.startsWith("/api/workspaces/w1/sessions"))
      return Response.json({ sessions: [], nextCursor: null });
    return Response.json({ error: { code: "not_found", message: path } }, { status: 404 });
  });
}

/** Opens the palette in workspace w1 and returns what it offers, and where choosing each goes. */
async function offered(role: Role): Promise<{ items: string[]; went: string[] }> {
  serve(role);
  const went: string[] = [];
  const target = document.body.appendChild(document.createElement("div"));
  const app = mount(CommandPalette, {
    target,
    props: { wsId: "w1", navigate: async (href: string) => void went.push(href) },
  });
  cleanup = () => unmount(app);
  keyboard.paletteOpen = true;
  await settle();
  const items = [...document.querySelectorAll('[data-palette] [role="option"]')].map(
    (el) => el.textContent?.replace(/\s+/g, " ").trim() ?? "",
  );
  return { items, went };
}

const OWNER_ONLY = ["Triggers", "Secrets"];
const OPERATOR_ONLY = ["New session c", "Environment"];

describe("CommandPalette", () => {
  it("offers a viewer only what a viewer may do: no new session, no owners' or editors' pages", async () => {
    const { items } = await offered("viewer");
    expect(items).toContain("Sessions");
    expect(items).toContain("Members");
    expect(items).toContain("Team");
    for (const refused of [...OWNER_ONLY, ...OPERATOR_ONLY]) expect(items).not.toContain(refused);
  });

  it("offers an editor a new session and the environment, not the owners' pages", async () => {
    const { items } = await offered("editor");
    for (const allowed of OPERATOR_ONLY) expect(items).toContain(allowed);
    for (const refused of OWNER_ONLY) expect(items).not.toContain(refused);
  });

  it("offers an owner everything, and choosing New session opens the list's dialog", async () => {
    const { items, went } = await offered("owner");
    for (const allowed of [...OWNER_ONLY, ...OPERATOR_ONLY]) expect(items).toContain(allowed);
    const newSession = [...document.querySelectorAll<HTMLElement>('[data-palette] [role="option"]')].find(
      (el) => el.textContent?.includes("New session"),
    );
    newSession?.click();
    await settle();
    expect(went).toEqual(["/w/w1?new=1"]);
    expect(keyboard.paletteOpen).toBe(false);
  });
});
