import { SELF, env, runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { issueRoomTicket } from "../../worker/auth/room-ticket";
import { RevocationMemory } from "../../worker/viewers/revocations";
import { signIn, tokenClient, uniqueName, workspaceWith, type Client } from "./helpers";
import { createSession, eventually, roomStub, textOf, transcriptOf, waitForPhase } from "./session-helpers";
import { connectRoom, docText, type RoomClient } from "./yjs-client";

async function runningSession(owner: Client, ws: string) {
  const { id } = await createSession(owner, ws, { prompt: "ticketed", timeoutSeconds: 60 });
  await waitForPhase(owner, ws, id, "Running");
  await eventually(
    () => transcriptOf(owner, ws, id),
    (m) => textOf(m).includes("echo: ticketed"),
  );
  return id;
}

/** Whether the room has heard of a revocation (the API tells it in the background). */
const remembered = (id: string) =>
  runInDurableObject(
    roomStub(id),
    (_room, state) => state.storage.sql.exec(`SELECT count(*) AS n FROM viewer_revocations`).one().n !== 0,
  );

async function ticketFor(client: Client, ws: string, id: string) {
  const res = await client.api(`/api/workspaces/${ws}/sessions/${id}/ticket`);
  expect(res.status, await res.clone().text()).toBe(200);
  return (await res.json()) as { ticket: string; expiresAt: number; url: string };
}

describe("room tickets", () => {
  it("are issued to any member and open the session's socket with no cookie, read-only", async () => {
    const owner = await signIn(uniqueName("owner"));
    const viewer = await signIn(uniqueName("viewer"));
    const ws = await workspaceWith(owner, [{ client: viewer, role: "viewer" }]);
    const id = await runningSession(owner, ws);

    const issued = await ticketFor(viewer, ws, id);
    expect(issued.expiresAt - Date.now()).toBeGreaterThan(30_000);
    expect(issued.expiresAt - Date.now()).toBeLessThanOrEqual(60_000);
    expect(issued.url).toBe(`/parties/session-room/${id}?ticket=${issued.ticket}`);
    const client = (await connectRoom(id, {}, `?ticket=${issued.ticket}`)) as RoomClient;
    await client.synced;
    expect(docText(client.doc)).toContain("echo: ticketed");
    await owner.api(`/api/workspaces/${ws}/sessions/${id}/messages`, {
      body: { text: "live over a ticket" },
    });
    await eventually(
      async () => docText(client.doc),
      (text) => text.includes("echo: live over a ticket"),
    );
    client.close();
  });

  it("are checked at the upgrade without D1, but a room refuses one issued before it heard of a removal", async () => {
    const owner = await signIn(uniqueName("owner"));
    const editor = await signIn(uniqueName("editor"));
    const ws = await workspaceWith(owner, [{ client: editor, role: "editor" }]);
    const id = await runningSession(owner, ws);
    const { ticket } = await ticketFor(editor, ws, id);
    expect(
      (await owner.api(`/api/workspaces/${ws}/members/${editor.user.id}`, { method: "DELETE" })).status,
    ).toBe(204);
    // The cookie path reads D1 and refuses at once; the room refuses the ticket once the revocation reaches it.
    expect(((await connectRoom(id, { cookie: editor.cookie })) as Response).status).toBe(404);
    await eventually(() => remembered(id), Boolean);
    const client = (await connectRoom(id, {}, `?ticket=${ticket}`)) as RoomClient;
    expect(await client.closed).toMatchObject({ code: 4403, reason: "access revoked" });
    expect(client.frames).toHaveLength(0);
  });

  it("are refused after a removal the room heard of while it kept its revocations in memory, and after a wake", async () => {
    const owner = await signIn(uniqueName("owner"));
    const editor = await signIn(uniqueName("editor"));
    const ws = await workspaceWith(owner, [{ client: editor, role: "editor" }]);
    const id = await runningSession(owner, ws);
    // A ticket opens a socket first: the room has read its revocations (none) and keeps them in memory.
    const first = (await connectRoom(
      id,
      {},
      `?ticket=${(await ticketFor(editor, ws, id)).ticket}`,
    )) as RoomClient;
    await first.synced;
    const { ticket } = await ticketFor(editor, ws, id);
    expect(
      (await owner.api(`/api/workspaces/${ws}/members/${editor.user.id}`, { method: "DELETE" })).status,
    ).toBe(204);
    expect(await first.closed).toMatchObject({ code: 4403, reason: "access revoked" });
    await eventually(() => remembered(id), Boolean);
    const client = (await connectRoom(id, {}, `?ticket=${ticket}`)) as RoomClient;
    expect(await client.closed).toMatchObject({ code: 4403, reason: "access revoked" });
    expect(client.frames).toHaveLength(0);
    // A woken room has nothing in memory: it reads the table, as a fresh memory of it does.
    const issuedAt = Date.now() - 1000;
    const revokedAfterWake = await runInDurableObject(roomStub(id), (_room, state) =>
      new RevocationMemory(state.storage.sql).revoked(
        { userId: editor.user.id, userName: "", role: "editor", tokenId: null, expiresAt: null, issuedAt },
        Date.now(),
      ),
    );
    expect(revokedAfterWake).toBe(true);
  });

  it("refuses a ticket that is forged, expired, for another session or of another signing key, with 401", async () => {
    const owner = await signIn(uniqueName("owner"));
    const ws = await workspaceWith(owner);
    const id = await runningSession(owner, ws);
    const other = await createSession(owner, ws, { timeoutSeconds: 60 });
    const { ticket } = await ticketFor(owner, ws, id);
    const access = {
      userId: owner.user.id,
      userName: owner.user.name,
      role: "owner" as const,
      tokenId: null,
      expiresAt: null,
    };

    const refused = async (query: string, target = id) => {
      const res = (await connectRoom(target, {}, query)) as Response;
      expect(res.status).toBe(401);
      expect(((await res.json()) as { error: { code: string } }).error.code).toBe("invalid_ticket");
    };
    await refused(`?ticket=${ticket}`, other.id);
    const [header, payload, signature] = ticket.split(".");
    const claims = JSON.parse(atob(payload.replace(/-/g, "+").replace(/_/g, "/"))) as Record<string, unknown>;
    const forged = btoa(JSON.stringify({ ...claims, sid: other.id, role: "owner" }))
      .replace(/=+$/, "")
      .replace(/\+/g, "-")
      .replace(/\//g, "_");
    await refused(`?ticket=${header}.${forged}.${signature}`, other.id);
    await refused(`?ticket=${ticket.slice(0, -2)}xx`);
    await refused(`?ticket=not-a-ticket`);
    const expired = await issueRoomTicket(env, id, access, Date.now() - 120_000);
    await refused(`?ticket=${expired!.ticket}`);
    const otherKey = await issueRoomTicket({ ...env, AUTH_SECRET: "some other secret" }, id, access);
    await refused(`?ticket=${otherKey!.ticket}`);
    const credentialExpired = await issueRoomTicket(env, id, { ...access, expiresAt: Date.now() - 1 });
    await refused(`?ticket=${credentialExpired!.ticket}`);
  });

  it("move the room's alarm when their credential ends before it, and only then", async () => {
    const owner = await signIn(uniqueName("owner"));
    const ws = await workspaceWith(owner);
    const id = await runningSession(owner, ws);
    const alarm = () => runInDurableObject(roomStub(id), (_room, state) => state.storage.getAlarm());
    // Once the phase-change callbacks are out, the alarm is the agent watch's, within 20 s. Two sockets,
    // both on the room (SHARD_AFTER_VIEWERS=2 here).
    const watch = await eventually(alarm, (at) => at !== null && at > Date.now() + 15_000);
    const access = {
      userId: owner.user.id,
      userName: owner.user.name,
      role: "owner" as const,
      tokenId: null,
    };
    const later = await issueRoomTicket(env, id, { ...access, expiresAt: watch! + 60_000 });
    const lasting = (await connectRoom(id, {}, `?ticket=${later!.ticket}`)) as RoomClient;
    await lasting.synced;
    // Its credential ends after the alarm rings: nothing is written (before, the watch moved on by the join).
    expect(await alarm()).toBe(watch);
    // A credential that ends sooner brings the alarm forward: its socket closes then.
    const expiresAt = Date.now() + 1500;
    const soon = await issueRoomTicket(env, id, { ...access, expiresAt });
    const expiring = (await connectRoom(id, {}, `?ticket=${soon!.ticket}`)) as RoomClient;
    await expiring.synced;
    expect(await eventually(alarm, (at) => at === expiresAt)).toBe(expiresAt);
    // The room's own alarm closes it (run by hand at the expiry, it raced the real one: viewer-shards).
    expect(await expiring.closed).toMatchObject({ code: 4401 });
    expect(Date.now()).toBeGreaterThanOrEqual(expiresAt);
    // It rang: the next alarm is written again.
    expect(await eventually(alarm, (at) => at !== null && at > Date.now())).not.toBeNull();
    lasting.close();
  });

  it("are only issued to members, for sessions of their workspace", async () => {
    const owner = await signIn(uniqueName("owner"));
    const stranger = await signIn(uniqueName("stranger"));
    const ws = await workspaceWith(owner);
    const strangerWs = await workspaceWith(stranger);
    const id = await runningSession(owner, ws);
    expect((await stranger.api(`/api/workspaces/${ws}/sessions/${id}/ticket`)).status).toBe(404);
    expect((await stranger.api(`/api/workspaces/${strangerWs}/sessions/${id}/ticket`)).status).toBe(404);
    expect(
      (await SELF.fetch(`http://localhost:8787/api/workspaces/${ws}/sessions/${id}/ticket`)).status,
    ).toBe(401);
  });

  it("carry the API token they were issued through: revoking the token's access closes the socket", async () => {
    const owner = await signIn(uniqueName("owner"));
    const ws = await workspaceWith(owner);
    const id = await runningSession(owner, ws);
    const cli = await tokenClient(owner, "cli");
    const { ticket } = await ticketFor(cli, ws, id);
    const viaToken = (await connectRoom(id, {}, `?ticket=${ticket}`)) as RoomClient;
    const viaCookie = (await connectRoom(id, { cookie: owner.cookie })) as RoomClient;
    await Promise.all([viaToken.synced, viaCookie.synced]);
    const room = env.SessionRoom.get(env.SessionRoom.idFromName(id));
    expect(await room.revokeConnections({ tokenId: cli.tokenId })).toBe(1);
    expect(await viaToken.closed).toMatchObject({ code: 4403, reason: "access revoked" });
    await owner.api(`/api/workspaces/${ws}/sessions/${id}/messages`, { body: { text: "still here" } });
    await eventually(
      async () => docText(viaCookie.doc),
      (text) => text.includes("echo: still here"),
    );
    viaCookie.close();
  });

  it("are in the OpenAPI document", async () => {
    const doc = (await (await SELF.fetch("http://localhost:8787/api/openapi.json")).json()) as {
      paths: Record<string, { get?: { description: string } }>;
    };
    expect(doc.paths["/api/workspaces/{ws}/sessions/{id}/ticket"]?.get?.description).toBe("Who: member.");
  });
});

describe("the session socket's namespace", () => {
  it("takes sockets only for session rooms: shards and containers are not reachable from outside", async () => {
    const owner = await signIn(uniqueName("owner"));
    const ws = await workspaceWith(owner);
    const id = await runningSession(owner, ws);
    for (const path of [`session-shard/${id}:shard:0`, `agent-container/${id}`]) {
      const res = await SELF.fetch(`http://localhost:8787/parties/${path}`, {
        headers: { Upgrade: "websocket", cookie: owner.cookie },
      });
      expect(res.status).toBe(404);
    }
  });
});
