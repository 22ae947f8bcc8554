/**
 * Access that was taken away stays away: a room ticket fetched before a member was removed, demoted or
 * their API token revoked opens nothing once the room has heard of it; a socket's lease makes a socket
 * check its access again even when the room never heard (a lost revocation); a role change closes with its
 * own code; a ticket key is never the public dev fallback outside dev mode.
 */
import { createExecutionContext, env } from "cloudflare:test";
import { SignJWT } from "jose";
import { describe, expect, it } from "vitest";
import worker from "../../worker/index";
import { signIn, tokenClient, uniqueName, workspaceWith, type Client } from "../worker/helpers";
import { createSession, waitForPhase } from "../worker/session-helpers";
import { connectRoom, type RoomClient } from "../worker/yjs-client";
import { figures, observe, reportFigures } from "./probe";

reportFigures();

async function team() {
  const owner = await signIn(uniqueName("owner"));
  const editor = await signIn(uniqueName("editor"));
  const ws = await workspaceWith(owner, [{ client: editor, role: "editor" }]);
  const session = await createSession(owner, ws, { timeoutSeconds: 300 });
  await waitForPhase(owner, ws, session.id, "Running");
  return { owner, editor, ws, sessionId: session.id };
}

async function ticketOf(client: Client, ws: string, sessionId: string): Promise<string> {
  const res = await client.api(`/api/workspaces/${ws}/sessions/${sessionId}/ticket`);
  expect((await observe(res.clone())).status).toBe(200);
  return ((await res.json()) as { ticket: string }).ticket;
}

async function open(
  sessionId: string,
  headers: Record<string, string>,
  query = "",
  fetcher?: (url: string, init: RequestInit) => Promise<Response>,
): Promise<RoomClient> {
  const room = await connectRoom(sessionId, headers, query, fetcher);
  figures.requests++;
  if (room instanceof Response) throw new Error(`upgrade refused: ${room.status} ${await room.text()}`);
  return room;
}

/** The server's close, or a failure once `ms` pass without one. */
function closedWithin(room: RoomClient, ms: number): Promise<{ code: number; reason: string; at: number }> {
  return Promise.race([
    room.closed,
    new Promise<never>((_, reject) =>
      setTimeout(() => reject(new Error(`socket still open after ${ms} ms`)), ms),
    ),
  ]);
}

/** A ticket that reaches a room which knows of the revocation is closed before a single frame of the document. */
async function refusedAtOnce(sessionId: string, ticket: string): Promise<void> {
  const stale = await open(sessionId, {}, `?ticket=${ticket}`);
  expect(await closedWithin(stale, 2000)).toMatchObject({ code: 4403, reason: "access revoked" });
  expect(stale.frames).toHaveLength(0);
}

describe("a ticket fetched before access was taken away", () => {
  it("of a removed member opens nothing, once their live socket has closed", async () => {
    const { owner, editor, ws, sessionId } = await team();
    const stale = await ticketOf(editor, ws, sessionId);
    const live = await open(sessionId, { cookie: editor.cookie });
    await live.synced;
    expect(
      (
        await observe(
          await owner.api(`/api/workspaces/${ws}/members/${editor.user.id}`, { method: "DELETE" }),
        )
      ).status,
    ).toBe(204);
    // The closed socket says the room has heard of the removal; the ticket is still within its minute.
    expect((await closedWithin(live, 5000)).code).toBe(4403);
    await refusedAtOnce(sessionId, stale);
  });

  it("through a revoked API token opens nothing, while the same person's cookie still does", async () => {
    const { owner, ws, sessionId } = await team();
    const cli = await tokenClient(owner, "cli");
    const stale = await ticketOf(cli, ws, sessionId);
    const live = await open(sessionId, {}, `?token=${cli.token}`);
    await live.synced;
    expect((await observe(await owner.api(`/api/tokens/${cli.tokenId}`, { method: "DELETE" }))).status).toBe(
      204,
    );
    expect((await closedWithin(live, 5000)).code).toBe(4403);
    await refusedAtOnce(sessionId, stale);
    const fresh = await open(sessionId, {}, `?ticket=${await ticketOf(owner, ws, sessionId)}`);
    await fresh.synced;
    fresh.close();
  });

  it("of a demoted editor opens nothing; the role change closes their socket with its own code (4409) and a fresh ticket carries the new role", async () => {
    const { owner, editor, ws, sessionId } = await team();
    const asEditor = await ticketOf(editor, ws, sessionId);
    const live = await open(sessionId, { cookie: editor.cookie });
    await live.synced;
    const demoted = await owner.api(`/api/workspaces/${ws}/members/${editor.user.id}`, {
      method: "PATCH",
      body: { role: "viewer" },
    });
    expect((await observe(demoted)).status).toBe(200);
    expect(await closedWithin(live, 5000)).toMatchObject({ code: 4409, reason: "role changed" });
    await refusedAtOnce(sessionId, asEditor);
    const asViewer = await open(sessionId, {}, `?ticket=${await ticketOf(editor, ws, sessionId)}`);
    await asViewer.synced;
    asViewer.close();
  });
});

describe("a socket's lease", () => {
  /** The Worker as deployed with a short lease (SOCKET_LEASE_SECONDS), so the test sees one run out. */
  const leased = (url: string, init: RequestInit) =>
    worker.fetch(new Request(url, init), { ...env, SOCKET_LEASE_SECONDS: "2" }, createExecutionContext());

  it("runs out (4408) and the access is checked again: a removal the room never heard of ends there", async () => {
    const { owner, editor, ws, sessionId } = await team();
    const watched = await open(sessionId, { cookie: editor.cookie }, "", leased);
    await watched.synced;
    const opened = Date.now();
    // The membership goes in D1 alone: the room is never told (a revocation lost on its way).
    await env.DB.prepare(`DELETE FROM members WHERE workspace_id = ? AND user_id = ?`)
      .bind(ws, editor.user.id)
      .run();
    const closed = await closedWithin(watched, 8000);
    expect(closed).toMatchObject({ code: 4408 });
    expect(closed.at - opened).toBeLessThan(6000);
    // Reconnecting as a client does on 4408: the access is checked afresh, and refused.
    expect(
      (
        await observe(
          await leased(`http://localhost:8787/parties/session-room/${sessionId}`, {
            headers: { Upgrade: "websocket", cookie: editor.cookie },
          }),
        )
      ).status,
    ).toBe(404);
    expect(
      (await observe(await owner.api(`/api/workspaces/${ws}/sessions/${sessionId}/ticket`))).status,
    ).toBe(200);
    expect(
      (await observe(await editor.api(`/api/workspaces/${ws}/sessions/${sessionId}/ticket`))).status,
    ).toBe(404);
  });
});

describe("the ticket key", () => {
  it("is never the public dev fallback outside dev mode: a ticket forged with it is refused under a mistyped AUTH_MODE", async () => {
    const { owner, sessionId } = await team();
    const key = new TextEncoder().encode(`room-ticket\0tandem-dev-only-not-a-secret`);
    const now = Math.floor(Date.now() / 1000);
    const forged = await new SignJWT({ sid: sessionId, name: "forger", role: "owner" })
      .setProtectedHeader({ alg: "HS256" })
      .setSubject(owner.user.id)
      .setAudience("tandem:session-room")
      .setIssuedAt(now)
      .setExpirationTime(now + 60)
      .sign(key);
    for (const AUTH_MODE of ["Access", "production", ""]) {
      const misconfigured = { ...env, AUTH_MODE, AUTH_SECRET: undefined } as unknown as typeof env;
      const res = await worker.fetch(
        new Request(`http://localhost:8787/parties/session-room/${sessionId}?ticket=${forged}`, {
          headers: { Upgrade: "websocket" },
        }),
        misconfigured,
        createExecutionContext(),
      );
      const seen = await observe(res);
      expect(seen.status, AUTH_MODE).toBe(401);
      expect(JSON.parse(seen.text)).toMatchObject({ error: { code: "invalid_ticket" } });
    }
  });
});
