/**
 * Revocation ends live sockets: a removed member's, a revoked API token's and an expired Access JWT's
 * session sockets close (within 5 s of the removal or revocation, and at expiry), and no one else's do.
 */
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { signIn, tokenClient, uniqueName, workspaceWith, type Client } from "../worker/helpers";
import { createSession, waitForPhase } from "../worker/session-helpers";
import { connectRoom, type RoomClient } from "../worker/yjs-client";
import { accessFetch, accessJwt, stubAccessKeys } from "./access";
import { reportFigures } from "./probe";

reportFigures();

const REVOCATION_BOUND_MS = 5000;

async function watching(
  client: Client | { headers: Record<string, string>; query?: string },
  sessionId: string,
): Promise<RoomClient> {
  const headers = "cookie" in client ? { cookie: client.cookie } : client.headers;
  const query = "cookie" in client ? "" : (client.query ?? "");
  const room = await connectRoom(sessionId, headers, query);
  if (room instanceof Response) throw new Error(`upgrade refused: ${room.status} ${await room.text()}`);
  await room.synced;
  return room;
}

/** The server's close of the socket, or a failure once `ms` have passed without one. */
async function closedWithin(room: RoomClient, ms: number): Promise<{ code: number; at: number }> {
  const timeout = new Promise<never>((_, reject) =>
    setTimeout(() => reject(new Error(`socket still open after ${ms} ms`)), ms),
  );
  return Promise.race([room.closed, timeout]);
}

/** Whether the socket is still open after a moment in which a close would have arrived. */
async function stillOpen(room: RoomClient, ms = 300): Promise<boolean> {
  const outcome = await Promise.race([
    room.closed.then(() => "closed"),
    new Promise((resolve) => setTimeout(() => resolve("open"), ms)),
  ]);
  return outcome === "open";
}

async function teamWithSession() {
  const owner = await signIn(uniqueName("owner"));
  const member = await signIn(uniqueName("member"));
  const ws = await workspaceWith(owner, [{ client: member, role: "viewer" }]);
  const session = await createSession(owner, ws, { timeoutSeconds: 120 });
  await waitForPhase(owner, ws, session.id, "Running");
  return { owner, member, ws, sessionId: session.id };
}

describe("removing a member", () => {
  it("closes their sockets in that workspace within 5 s, and nobody else's", async () => {
    const { owner, member, ws, sessionId } = await teamWithSession();
    // The same person in another workspace, where they stay a member.
    const elsewhere = await teamWithSession();
    await elsewhere.owner.api(`/api/workspaces/${elsewhere.ws}/members`, {
      body: { user: member.user.email, role: "viewer" },
    });
    const theirs = await watching(member, sessionId);
    const ownersOwn = await watching(owner, sessionId);
    const otherWorkspace = await watching(member, elsewhere.sessionId);

    const removedAt = Date.now();
    expect(
      (await owner.api(`/api/workspaces/${ws}/members/${member.user.id}`, { method: "DELETE" })).status,
    ).toBe(204);
    const closed = await closedWithin(theirs, REVOCATION_BOUND_MS);
    expect(closed.code).toBe(4403);
    expect(closed.at - removedAt).toBeLessThan(REVOCATION_BOUND_MS);
    expect(await stillOpen(ownersOwn)).toBe(true);
    expect(await stillOpen(otherWorkspace)).toBe(true);
    // And they cannot come back.
    expect(((await connectRoom(sessionId, { cookie: member.cookie })) as Response).status).toBe(404);
    ownersOwn.close();
    otherWorkspace.close();
  });

  it("reconnects a member whose role changed (close code 4409, its own), so the room holds the new role", async () => {
    const { owner, member, ws, sessionId } = await teamWithSession();
    const before = await watching(member, sessionId);
    expect(
      (
        await owner.api(`/api/workspaces/${ws}/members/${member.user.id}`, {
          method: "PATCH",
          body: { role: "editor" },
        })
      ).status,
    ).toBe(200);
    expect((await closedWithin(before, REVOCATION_BOUND_MS)).code).toBe(4409);
    const after = await watching(member, sessionId);
    expect(await stillOpen(after)).toBe(true);
    after.close();
  });
});

describe("revoking an API token", () => {
  it("closes the sockets opened with it within 5 s, and not the same person's other sockets", async () => {
    const { owner, sessionId } = await teamWithSession();
    const revoked = await tokenClient(owner, "revoked");
    const kept = await tokenClient(owner, "kept");
    const viaRevoked = await watching({ headers: {}, query: `?token=${revoked.token}` }, sessionId);
    const viaBearer = await watching({ headers: { authorization: `Bearer ${revoked.token}` } }, sessionId);
    const viaKept = await watching({ headers: {}, query: `?token=${kept.token}` }, sessionId);
    const viaCookie = await watching(owner, sessionId);

    const revokedAt = Date.now();
    expect((await owner.api(`/api/tokens/${revoked.tokenId}`, { method: "DELETE" })).status).toBe(204);
    for (const room of [viaRevoked, viaBearer]) {
      const closed = await closedWithin(room, REVOCATION_BOUND_MS);
      expect(closed.code).toBe(4403);
      expect(closed.at - revokedAt).toBeLessThan(REVOCATION_BOUND_MS);
    }
    expect(await stillOpen(viaKept)).toBe(true);
    expect(await stillOpen(viaCookie)).toBe(true);
    expect(((await connectRoom(sessionId, {}, `?token=${revoked.token}`)) as Response).status).toBe(401);
    viaKept.close();
    viaCookie.close();
  });
});

describe("an Access JWT", () => {
  beforeAll(stubAccessKeys);
  afterAll(() => vi.restoreAllMocks());

  it("closes the socket it opened when it expires, and is refused once expired", async () => {
    const { owner, ws, sessionId } = await teamWithSession();
    const email = `${crypto.randomUUID()}@example.com`;
    const first = await accessFetch("/api/me", {
      headers: { "cf-access-jwt-assertion": await accessJwt(email, Math.floor(Date.now() / 1000) + 60) },
    });
    expect(first.status).toBe(200);
    expect(
      (await owner.api(`/api/workspaces/${ws}/members`, { body: { user: email, role: "viewer" } })).status,
    ).toBe(201);

    const expiresAt = Math.floor(Date.now() / 1000) + 3;
    const jwt = await accessJwt(email, expiresAt);
    const room = await connectRoom(sessionId, { "cf-access-jwt-assertion": jwt }, "", (url, init) =>
      accessFetch(new URL(url).pathname, init),
    );
    if (room instanceof Response) throw new Error(`upgrade refused: ${room.status}`);
    await room.synced;
    const longLived = await connectRoom(
      sessionId,
      { "cf-access-jwt-assertion": await accessJwt(email, expiresAt + 600) },
      "",
      (url, init) => accessFetch(new URL(url).pathname, init),
    );
    if (longLived instanceof Response) throw new Error(`upgrade refused: ${longLived.status}`);

    const closed = await closedWithin(room, 3000 + REVOCATION_BOUND_MS);
    expect(closed.code).toBe(4401);
    expect(closed.at).toBeGreaterThanOrEqual(expiresAt * 1000);
    expect(closed.at - expiresAt * 1000).toBeLessThan(1500);
    expect(await stillOpen(longLived)).toBe(true);
    const again = await connectRoom(sessionId, { "cf-access-jwt-assertion": jwt }, "", (url, init) =>
      accessFetch(new URL(url).pathname, init),
    );
    expect((again as Response).status).toBe(401);
    longLived.close();
  });
});
