/**
 * Share links against their own misuse: a link lives only as long as its creator may share (a removed or
 * demoted editor's links end, their guests' sockets close, and a creator demoted behind the API's back
 * is checked at every use); a link's reads and socket upgrades are rate-limited; one link holds at most
 * 20 sockets; the guest view stays fresh while it is kept per document version.
 */
import { env } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { request, signIn, uniqueName, workspaceWith, type Client } from "../worker/helpers";
import { createSession, eventually, waitForPhase } from "../worker/session-helpers";
import { connectRoom, type RoomClient } from "../worker/yjs-client";
import { figures, observe, reportFigures, type Observed } from "./probe";

reportFigures();

async function team() {
  const owner = await signIn(uniqueName("owner"));
  const editor = await signIn(uniqueName("editor"));
  const ws = await workspaceWith(owner, [{ client: editor, role: "editor" }]);
  const session = await createSession(owner, ws, { timeoutSeconds: 300 });
  await waitForPhase(owner, ws, session.id, "Running");
  return { owner, editor, ws, sessionId: session.id };
}

async function linkBy(client: Client, ws: string, sessionId: string): Promise<string> {
  const res = await client.api(`/api/workspaces/${ws}/sessions/${sessionId}/shares`, { body: {} });
  expect((await observe(res.clone())).status).toBe(201);
  return ((await res.json()) as { share: { url: string } }).share.url.split("/share/")[1]!;
}

const guestGet = async (token: string) => observe(await request(`/api/shares/${token}`));

async function guestSocket(sessionId: string, token: string): Promise<RoomClient | Observed> {
  const room = await connectRoom(sessionId, {}, `?share=${token}`);
  if (room instanceof Response) return observe(room);
  figures.requests++;
  await room.synced;
  return room;
}

async function openGuest(sessionId: string, token: string): Promise<RoomClient> {
  const room = await guestSocket(sessionId, token);
  if (!("socket" in room)) throw new Error(`guest upgrade refused: ${room.status} ${room.text}`);
  return room;
}

const closedWithin = (room: RoomClient, ms: number) =>
  Promise.race([
    room.closed,
    new Promise<never>((_, reject) =>
      setTimeout(() => reject(new Error(`socket still open after ${ms} ms`)), ms),
    ),
  ]);

describe("a share link outlives no one's right to share", () => {
  for (const [what, change] of [
    ["removed", { method: "DELETE" }],
    ["demoted to viewer", { method: "PATCH", body: { role: "viewer" } }],
  ] as const) {
    it(`an editor ${what}: their links answer 404 and their guests' sockets close; the owner's link lives on`, async () => {
      const { owner, editor, ws, sessionId } = await team();
      const editorsLink = await linkBy(editor, ws, sessionId);
      const ownersLink = await linkBy(owner, ws, sessionId);
      const guest = await openGuest(sessionId, editorsLink);
      const ownersGuest = await openGuest(sessionId, ownersLink);
      expect((await guestGet(editorsLink)).status).toBe(200);

      expect(
        (await observe(await owner.api(`/api/workspaces/${ws}/members/${editor.user.id}`, change))).status,
      ).toBe(what === "removed" ? 204 : 200);
      expect((await guestGet(editorsLink)).status).toBe(404);
      expect((await observe(await request(`/api/shares/${editorsLink}/export?format=markdown`))).status).toBe(
        404,
      );
      expect((await closedWithin(guest, 5000)).code).toBe(4403);
      expect(((await guestSocket(sessionId, editorsLink)) as Observed).status).toBe(404);
      // Listed no more, and gone for good: added back as an editor, the link stays dead.
      const listed = (await (
        await owner.api(`/api/workspaces/${ws}/sessions/${sessionId}/shares`)
      ).json()) as { shares: unknown[] };
      expect(listed.shares).toHaveLength(1);
      if (what === "demoted to viewer")
        await owner.api(`/api/workspaces/${ws}/members/${editor.user.id}`, {
          method: "PATCH",
          body: { role: "editor" },
        });
      else
        await owner.api(`/api/workspaces/${ws}/members`, {
          body: { user: editor.user.email, role: "editor" },
        });
      expect((await guestGet(editorsLink)).status).toBe(404);

      expect((await guestGet(ownersLink)).status).toBe(200);
      expect(
        await Promise.race([
          ownersGuest.closed.then(() => "closed"),
          new Promise((r) => setTimeout(() => r("open"), 300)),
        ]),
      ).toBe("open");
      ownersGuest.close();
    });
  }

  it("checks the creator at every use: a creator demoted in D1 alone (the API never told) no longer shares", async () => {
    const { editor, ws, sessionId } = await team();
    const link = await linkBy(editor, ws, sessionId);
    expect((await guestGet(link)).status).toBe(200);
    await env.DB.prepare(`UPDATE members SET role = 'viewer' WHERE workspace_id = ? AND user_id = ?`)
      .bind(ws, editor.user.id)
      .run();
    expect((await guestGet(link)).status).toBe(404);
    expect(((await guestSocket(sessionId, link)) as Observed).status).toBe(404);
  });
});

describe("a share link's cost", () => {
  it("holds at most 20 sockets at once: the 21st is a 429 in the error shape; closing one makes room", async () => {
    const { owner, ws, sessionId } = await team();
    const link = await linkBy(owner, ws, sessionId);
    const other = await linkBy(owner, ws, sessionId);
    const guests: RoomClient[] = [];
    for (let i = 0; i < 20; i++) guests.push(await openGuest(sessionId, link));
    const refused = (await guestSocket(sessionId, link)) as Observed;
    expect(refused.status).toBe(429);
    expect(refused.errorShaped).toBe(true);
    expect(JSON.parse(refused.text)).toMatchObject({ error: { code: "rate_limited" } });
    // Another link, and members, are not affected.
    const elsewhere = await openGuest(sessionId, other);
    const member = await connectRoom(sessionId, { cookie: owner.cookie });
    expect(member).not.toBeInstanceOf(Response);
    guests.pop()!.close();
    await eventually(
      async () => guestSocket(sessionId, link),
      (room) => "socket" in room,
    );
    for (const room of [...guests, elsewhere, member as RoomClient]) room.close();
  });

  it("answers at most 120 reads and upgrades a minute per link (429 with Retry-After), and no other link's", async () => {
    const { owner, ws, sessionId } = await team();
    const link = await linkBy(owner, ws, sessionId);
    const other = await linkBy(owner, ws, sessionId);
    // Local rate limiting counts in wall-clock minutes: start the burst in a fresh one.
    const left = 60_000 - (Date.now() % 60_000);
    if (left < 40_000) await new Promise((resolve) => setTimeout(resolve, left + 50));
    const statuses: number[] = [];
    for (let i = 0; i < 120; i++) statuses.push((await guestGet(link)).status);
    expect(statuses).toEqual(Array(120).fill(200));
    const limited = await guestGet(link);
    expect(limited.status).toBe(429);
    expect(limited.errorShaped).toBe(true);
    expect(limited.headers.get("retry-after")).toBe("60");
    expect(((await guestSocket(sessionId, link)) as Observed).status).toBe(429);
    expect((await observe(await request(`/api/shares/${link}/export?format=markdown`))).status).toBe(429);
    expect((await guestGet(other)).status).toBe(200);
    // A forged token costs nothing of the link's rate: it is a 404 before it is counted.
    expect((await guestGet(`tds_${"0".repeat(64)}`)).status).toBe(404);
  });

  it("keeps the guest view per document version and never serves a stale one: a new message, a new phase show at once", async () => {
    const { owner, ws, sessionId } = await team();
    const link = await linkBy(owner, ws, sessionId);
    const first = JSON.parse((await guestGet(link)).text) as { messages: unknown[]; phases: unknown[] };
    expect(JSON.parse((await guestGet(link)).text)).toMatchObject({
      messages: first.messages,
      phases: first.phases,
    });
    await owner.api(`/api/workspaces/${ws}/sessions/${sessionId}/messages`, {
      body: { text: "a guest must see this" },
    });
    await eventually(
      async () => (await guestGet(link)).text,
      (text) => text.includes("echo: a guest must see this"),
    );
    await owner.api(`/api/workspaces/${ws}/sessions/${sessionId}/stop`, { method: "POST" });
    await eventually(
      async () =>
        JSON.parse((await guestGet(link)).text) as {
          session: { phase: string };
          phases: { phase: string }[];
        },
      (view) => view.session.phase === "Stopped" && view.phases.at(-1)?.phase === "Stopped",
    );
  });
});
