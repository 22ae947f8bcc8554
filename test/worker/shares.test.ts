/**
 * Share links (SPEC §10): members create, list and revoke them; a guest with a link and no account reads
 * the one session (GET /api/shares/:token, its Markdown export) and watches it on the read-only socket
 * (?share=), shown as "guest". Every route and the socket with a valid, a revoked, an expired and a forged
 * link; revoking or expiring a link closes its sockets within 5 s and then answers 404; a deleted
 * session's link is a 404; no guest answer carries the workspace's data.
 */
import { env } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { request, signIn, uniqueName, workspaceWith, type Client } from "./helpers";
import { createSession, eventually, transcriptOf, waitForPhase } from "./session-helpers";
import { connectRoom, docText, type RoomClient } from "./yjs-client";
import { GuestViewSchema } from "@tandem/protocol/shares";

const BOUND_MS = 5000;

interface Team {
  owner: Client;
  editor: Client;
  viewer: Client;
  ws: string;
  sessionId: string;
  /** What a guest must never see: the workspace's ids, emails, repositories, secrets, triggers. */
  markers: string[];
}

async function team(): Promise<Team> {
  const marker = `CANARY${crypto.randomUUID().replaceAll("-", "").slice(0, 12)}`;
  const [owner, editor, viewer] = await Promise.all(
    ["owner", "editor", "viewer"].map((r) => signIn(uniqueName(`share ${r}`))),
  );
  const ws = await workspaceWith(owner, [
    { client: editor, role: "editor" },
    { client: viewer, role: "viewer" },
  ]);
  const repo = `https://github.com/acme/${marker}.git`;
  const session = await createSession(owner, ws, {
    timeoutSeconds: 600,
    repos: [{ url: repo, branch: "main" }],
    workflow: "bug-fix",
  });
  await waitForPhase(owner, ws, session.id, "Running");
  const secretValue = `secret-${marker}`;
  await owner.api(`/api/workspaces/${ws}/secrets/SHARE_${marker}`, {
    method: "PUT",
    body: { value: secretValue },
  });
  await owner.api(`/api/workspaces/${ws}/triggers`, {
    body: { name: `trigger ${marker}`, session: {}, promptTemplate: "p" },
  });
  const people = [owner, editor, viewer].flatMap((p) => [p.user.id, p.user.email]);
  return {
    owner,
    editor,
    viewer,
    ws,
    sessionId: session.id,
    markers: [ws, repo, marker, secretValue, ...people],
  };
}

async function share(t: Team, by: Client = t.owner, body: Record<string, unknown> = {}) {
  const res = await by.api(`/api/workspaces/${t.ws}/sessions/${t.sessionId}/shares`, { body });
  expect(res.status, await res.clone().text()).toBe(201);
  const { share } = (await res.json()) as { share: { id: string; url: string; expiresAt: number | null } };
  return { ...share, token: share.url.split("/share/")[1]! };
}

const guestGet = (token: string) => request(`/api/shares/${token}`);
const guestExport = (token: string) => request(`/api/shares/${token}/export?format=markdown`);
const guestSocket = (sessionId: string, token: string) =>
  connectRoom(sessionId, {}, `?share=${encodeURIComponent(token)}`);

async function openGuest(sessionId: string, token: string): Promise<RoomClient> {
  const room = await guestSocket(sessionId, token);
  if (room instanceof Response) throw new Error(`guest upgrade refused: ${room.status} ${await room.text()}`);
  await room.synced;
  return room;
}

/** The status of every guest route and the socket for this token. */
async function surface(sessionId: string, token: string) {
  const socket = await guestSocket(sessionId, token);
  const socketStatus = socket instanceof Response ? socket.status : 101;
  if (!(socket instanceof Response)) socket.close();
  return {
    get: (await guestGet(token)).status,
    export: (await guestExport(token)).status,
    socket: socketStatus,
  };
}

const closedWithin = (room: RoomClient, ms: number) =>
  Promise.race([
    room.closed,
    new Promise<never>((_, reject) =>
      setTimeout(() => reject(new Error(`socket still open after ${ms} ms`)), ms),
    ),
  ]);

function leaks(text: string, markers: string[]): string[] {
  return markers.filter((marker) => text.includes(marker));
}

describe("share links: members", () => {
  it("owners and editors create links (the token shown once), every member lists them, viewers cannot create or revoke", async () => {
    const t = await team();
    const mine = await share(t, t.owner, { expiresInHours: 2 });
    expect(mine.url).toMatch(/\/share\/tds_[0-9a-f]{64}$/);
    expect(mine.expiresAt! - Date.now()).toBeGreaterThan(2 * 3_600_000 - 60_000);
    const theirs = await share(t, t.editor);
    expect(theirs.expiresAt).toBeNull();
    expect(
      (await t.viewer.api(`/api/workspaces/${t.ws}/sessions/${t.sessionId}/shares`, { body: {} })).status,
    ).toBe(403);

    const listed = await (
      await t.viewer.api(`/api/workspaces/${t.ws}/sessions/${t.sessionId}/shares`)
    ).text();
    const { shares } = JSON.parse(listed) as { shares: { id: string; createdBy: string }[] };
    expect(shares.map((s) => s.id)).toEqual([mine.id, theirs.id]);
    expect(shares[0]!.createdBy).toBe(t.owner.user.name);
    expect(listed).not.toContain(mine.token);
    expect(listed).not.toContain(theirs.token);
    // Only the hash is stored.
    const rows = await env.DB.prepare("SELECT * FROM session_shares WHERE session_id = ?")
      .bind(t.sessionId)
      .all();
    expect(JSON.stringify(rows.results)).not.toContain(mine.token.slice(4));

    expect(
      (
        await t.viewer.api(`/api/workspaces/${t.ws}/sessions/${t.sessionId}/shares/${mine.id}`, {
          method: "DELETE",
        })
      ).status,
    ).toBe(403);
  });

  it("refuses an expiry outside 1–720 hours and unknown fields with 400 naming the field", async () => {
    const t = await team();
    for (const [body, field] of [
      [{ expiresInHours: 0 }, "expiresInHours"],
      [{ expiresInHours: 721 }, "expiresInHours"],
      [{ expiresInHours: 1.5 }, "expiresInHours"],
      [{ expiresInHours: "24" }, "expiresInHours"],
    ] as const) {
      const res = await t.owner.api(`/api/workspaces/${t.ws}/sessions/${t.sessionId}/shares`, { body });
      expect(res.status).toBe(400);
      expect(((await res.json()) as { error: { field?: string } }).error.field).toBe(field);
    }
    expect(
      (
        await t.owner.api(`/api/workspaces/${t.ws}/sessions/${t.sessionId}/shares`, {
          body: { sessionId: "x" },
        })
      ).status,
    ).toBe(400);
  });

  it("another workspace's session or link is a 404", async () => {
    const t = await team();
    const other = await team();
    const theirs = await share(other);
    expect(
      (await t.owner.api(`/api/workspaces/${t.ws}/sessions/${other.sessionId}/shares`, { body: {} })).status,
    ).toBe(404);
    expect(
      (
        await t.owner.api(`/api/workspaces/${t.ws}/sessions/${t.sessionId}/shares/${theirs.id}`, {
          method: "DELETE",
        })
      ).status,
    ).toBe(404);
    expect((await guestGet(theirs.token)).status).toBe(200);
  });
});

describe("share links: the guest's surface", () => {
  it("a valid link: the session, its transcript and phase changes, an export and the live socket, with nothing of the workspace", async () => {
    const t = await team();
    await t.owner.api(`/api/workspaces/${t.ws}/sessions/${t.sessionId}/messages`, {
      body: { text: "hello guests" },
    });
    await eventually(
      () => transcriptOf(t.owner, t.ws, t.sessionId),
      (m) => m.some((x) => x.role === "assistant"),
    );
    const link = await share(t);

    const res = await guestGet(link.token);
    expect(res.status).toBe(200);
    const text = await res.text();
    const view = GuestViewSchema.strict().parse(JSON.parse(text));
    expect(Object.keys(view.session).sort()).toEqual([
      "activeSeconds",
      "agentStatus",
      "createdAt",
      "displayName",
      "id",
      "interactive",
      "model",
      "phase",
      "runSeconds",
      "step",
      "timeoutSeconds",
      "updatedAt",
    ]);
    expect(view.session).toMatchObject({ id: t.sessionId, phase: "Running" });
    expect(view.phases.map((p) => p.phase)).toEqual(["Pending", "Creating", "Running"]);
    expect(
      view.messages.some((m) => m.role === "user" && JSON.stringify(m.blocks).includes("hello guests")),
    ).toBe(true);
    expect(view.messages.some((m) => m.role === "assistant")).toBe(true);
    expect(leaks(text, t.markers)).toEqual([]);
    expect(text).not.toMatch(/workspaceId|repos|workflow|origin|createdBy|savedWorkspace|"actor"|"reason"/);

    const exported = await guestExport(link.token);
    expect(exported.status).toBe(200);
    expect(exported.headers.get("content-type")).toContain("text/markdown");
    const markdown = await exported.text();
    expect(markdown).toContain("hello guests");
    expect(markdown).toContain("| Running |");
    expect(leaks(markdown, t.markers)).toEqual([]);
    expect((await request(`/api/shares/${link.token}/export?format=pdf`)).status).toBe(400);

    // The socket: synced read-only, presence shows the guest as "guest" whatever it claims.
    const member = await connectRoom(t.sessionId, { cookie: t.owner.cookie });
    if (member instanceof Response) throw new Error(`member refused ${member.status}`);
    await member.synced;
    const guest = await openGuest(t.sessionId, link.token);
    expect(docText(guest.doc)).toContain("hello guests");
    // The socket's document is the members' one (architecture.md, "Share links"): it carries the session's
    // repositories and workflow, but never the workspace's id, its people's emails or ids, or a secret.
    const docJson = JSON.stringify({
      session: guest.doc.getMap("session").toJSON(),
      messages: guest.doc.getArray("messages").toJSON(),
    });
    const [, repo, marker, ...rest] = t.markers;
    expect(docJson).toContain(repo);
    expect(
      leaks(
        docJson,
        [t.ws, ...rest].filter((m) => m !== marker),
      ),
    ).toEqual([]);
    guest.setPresence({
      user: { id: t.owner.user.id, name: "Totally the owner", color: "#c33" },
      typing: false,
    });
    await eventually(
      async () =>
        [...member.awareness.getStates().values()].map((s) => (s as { user?: { name?: string } }).user?.name),
      (names) => names.includes("guest"),
    );
    expect(
      [...member.awareness.getStates().values()].map((s) => (s as { user?: { name?: string } }).user?.name),
    ).not.toContain("Totally the owner");
    // A write from the guest never reaches the document.
    const before = docText(member.doc);
    const forged = new (await import("yjs")).Doc();
    forged.getArray("messages").insert(0, ["forged"]);
    guest.sendUpdate((await import("yjs")).encodeStateAsUpdate(forged));
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(docText(member.doc)).toBe(before);
    guest.close();
    member.close();
  });

  it("a guest reaches nothing else: the member routes with the token are 401, another session's socket is 404", async () => {
    const t = await team();
    const other = await createSession(t.owner, t.ws, { timeoutSeconds: 600 });
    const link = await share(t);
    for (const path of [
      `/api/workspaces/${t.ws}/sessions/${t.sessionId}`,
      `/api/workspaces/${t.ws}/sessions/${t.sessionId}/artifacts`,
      `/api/workspaces/${t.ws}/sessions`,
      "/api/me",
    ]) {
      expect((await request(path, { headers: { authorization: `Bearer ${link.token}` } })).status).toBe(401);
      expect((await request(`${path}?share=${link.token}`)).status).toBe(401);
    }
    expect((await request(`/api/shares/${link.token}/artifacts`)).status).toBe(404);
    expect((await surface(other.id, link.token)).socket).toBe(404);
    expect(
      ((await connectRoom(t.sessionId, { authorization: `Bearer ${link.token}` })) as Response).status,
    ).toBe(401);
  });

  it("a revoked link: its open socket closes within 5 s (4403), then every route and the socket answer 404", async () => {
    const t = await team();
    const link = await share(t);
    const kept = await share(t);
    const guest = await openGuest(t.sessionId, link.token);
    const otherGuest = await openGuest(t.sessionId, kept.token);
    const revokedAt = Date.now();
    expect(
      (
        await t.editor.api(`/api/workspaces/${t.ws}/sessions/${t.sessionId}/shares/${link.id}`, {
          method: "DELETE",
        })
      ).status,
    ).toBe(204);
    const closed = await closedWithin(guest, BOUND_MS);
    expect(closed.code).toBe(4403);
    expect(closed.at - revokedAt).toBeLessThan(BOUND_MS);
    expect(await surface(t.sessionId, link.token)).toEqual({ get: 404, export: 404, socket: 404 });
    // The other link and its guest are untouched.
    const outcome = await Promise.race([
      otherGuest.closed.then(() => "closed"),
      new Promise((r) => setTimeout(() => r("open"), 300)),
    ]);
    expect(outcome).toBe("open");
    expect((await guestGet(kept.token)).status).toBe(200);
    expect(
      (
        await t.owner.api(`/api/workspaces/${t.ws}/sessions/${t.sessionId}/shares/${link.id}`, {
          method: "DELETE",
        })
      ).status,
    ).toBe(404);
    const { shares } = (await (
      await t.owner.api(`/api/workspaces/${t.ws}/sessions/${t.sessionId}/shares`)
    ).json()) as { shares: { id: string }[] };
    expect(shares.map((s) => s.id)).toEqual([kept.id]);
    otherGuest.close();
  });

  it("an expiring link: its open socket closes at expiry (4401) within 5 s, then every route and the socket answer 404", async () => {
    const t = await team();
    const link = await share(t, t.owner, { expiresInHours: 1 });
    // The clock moved forward: the link now expires in 1.5 s.
    const expiresAt = Date.now() + 1500;
    await env.DB.prepare("UPDATE session_shares SET expires_at = ? WHERE id = ?")
      .bind(expiresAt, link.id)
      .run();
    const guest = await openGuest(t.sessionId, link.token);
    const closed = await closedWithin(guest, 1500 + BOUND_MS);
    expect(closed.code).toBe(4401);
    expect(closed.at - expiresAt).toBeLessThan(BOUND_MS);
    expect(await surface(t.sessionId, link.token)).toEqual({ get: 404, export: 404, socket: 404 });
    const { shares } = (await (
      await t.owner.api(`/api/workspaces/${t.ws}/sessions/${t.sessionId}/shares`)
    ).json()) as { shares: unknown[] };
    expect(shares).toEqual([]);
  });

  it("a forged link (well-formed or not) answers 404 on every route and the socket", async () => {
    const t = await team();
    await share(t);
    const forged = `tds_${"0".repeat(64)}`;
    expect(await surface(t.sessionId, forged)).toEqual({ get: 404, export: 404, socket: 404 });
    expect(await surface(t.sessionId, "tds_nope")).toEqual({ get: 404, export: 404, socket: 404 });
    expect(await surface(t.sessionId, "")).toEqual({ get: 404, export: 404, socket: 404 });
  });

  it("a deleted session's link answers 404, and its row is gone", async () => {
    const t = await team();
    const link = await share(t);
    expect(
      (await t.owner.api(`/api/workspaces/${t.ws}/sessions/${t.sessionId}`, { method: "DELETE" })).status,
    ).toBe(204);
    expect(await surface(t.sessionId, link.token)).toEqual({ get: 404, export: 404, socket: 404 });
    expect(
      (await env.DB.prepare("SELECT count(*) AS n FROM session_shares WHERE id = ?")
        .bind(link.id)
        .first<{ n: number }>())!.n,
    ).toBe(0);
  });
});
