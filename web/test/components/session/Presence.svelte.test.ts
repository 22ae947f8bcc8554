import { flushSync, mount, unmount } from "svelte";
import { afterEach, describe, expect, it } from "vitest";
import type { Peer } from "#lib/room.svelte.ts";
import Presence from "#lib/components/session/Presence.svelte";

let cleanup: (() => void) | undefined;
afterEach(() => {
  cleanup?.();
  document.body.innerHTML = "";
});

const peer = (clientId: number, id: string, name: string, extra: Partial<Peer> = {}): Peer => ({
  clientId,
  id,
  name,
  color: "#000000",
  typing: false,
  self: false,
  ...extra,
});

function render(peers: Peer[], shown?: number) {
  const target = document.createElement("div");
  document.body.append(target);
  const app = mount(Presence, { target, props: { peers, ...(shown && { shown }) } });
  flushSync();
  cleanup = () => unmount(app);
  return target;
}

describe("Presence", () => {
  const room = [
    peer(1, "u1", "Ada Lovelace", { self: true }),
    peer(2, "u2", "Bob Stone"),
    peer(3, "u2", "Bob Stone", { typing: true }),
    peer(4, "u3", "Carol King"),
    peer(5, "u4", "Dan Ray"),
  ];

  it("shows one avatar per person, a few of them, and counts the rest", () => {
    const target = render(room, 2);
    expect([...target.querySelectorAll("[data-peer]")].map((a) => a.textContent)).toEqual(["AL", "BS"]);
    expect(target.querySelector(".more")?.textContent).toBe("+2");
    expect(target.querySelector("button .sr-only")?.textContent).toMatch(/^Watching now: 4 people/);
  });

  it("lists everyone watching in a popover, you first, with who is typing", async () => {
    const target = render(room, 2);
    target.querySelector("button")?.click();
    flushSync();
    await new Promise((r) => setTimeout(r, 0));
    const rows = [...document.body.querySelectorAll("[data-watcher]")];
    expect(rows.map((r) => r.getAttribute("data-watcher"))).toEqual([
      "Ada Lovelace",
      "Bob Stone",
      "Carol King",
      "Dan Ray",
    ]);
    expect(rows[0].textContent).toMatch(/\(you\)/);
    expect(rows[1].textContent).toMatch(/typing/);
  });

  it("gives each person a colour pair of their own", () => {
    const target = render(room);
    const styles = [...target.querySelectorAll<HTMLElement>("[data-peer]")].map((a) =>
      a.getAttribute("style"),
    );
    expect(styles[0]).toMatch(/--swatch-light: #[0-9a-f]{6}; --swatch-dark: #[0-9a-f]{6}/);
    expect(new Set(styles).size).toBeGreaterThan(1);
  });
});
