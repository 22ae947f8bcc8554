import { afterEach, describe, expect, it } from "vitest";
import { setFetch } from "#lib/api.ts";
import { OwnerList } from "#lib/owner-list.svelte.ts";

const json = (body: unknown, status = 200) => new Response(JSON.stringify(body), { status });

afterEach(() => setFetch((...args) => fetch(...args)));

describe("OwnerList", () => {
  it("fetches the list only for an owner", async () => {
    let listed = 0;
    const list = new OwnerList(async () => (listed++, ["A"]));
    setFetch(async () => json({ workspace: { id: "w", name: "W", role: "editor", createdAt: 0 } }));
    await list.load("w");
    expect([list.isOwner, list.items, listed]).toEqual([false, null, 0]);
    setFetch(async () => json({ workspace: { id: "w", name: "W", role: "owner", createdAt: 0 } }));
    await list.load("w");
    expect([list.isOwner, list.items, listed]).toEqual([true, ["A"], 1]);
  });

  it("keeps a failed change's error after reloading", async () => {
    const list = new OwnerList(async () => []);
    setFetch(async () => json({ workspace: { id: "w", name: "W", role: "owner", createdAt: 0 } }));
    const ok = await list.change("w", async () => {
      throw new Error("secret not found");
    });
    expect(ok).toBe(false);
    expect(list.error).toBe("secret not found");
    expect(await list.change("w", async () => {})).toBe(true);
    expect(list.error).toBe("");
  });
});
