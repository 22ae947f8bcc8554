/**
 * Every route of the OpenAPI document × every kind of caller: no credentials, a revoked API token, an
 * expired Access JWT, a signed-in stranger, a viewer, an editor, an owner, and an owner pointing at another
 * workspace's ids. Each gets exactly the status SPEC §1 and §9 give (401 without a valid credential, 404 to
 * non-members and for another workspace's ids, 403 to a role that may not, the documented success to one
 * that may), a denied call changes nothing in D1, and no answer carries anything of another workspace.
 */
import { env, SELF } from "cloudflare:test";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { signBody } from "../../worker/secrets/hmac";
import { undocumented, type PublishedDocument } from "../harness/documented";
import { accessFetch, accessJwt, stubAccessKeys } from "./access";
import { loadDocument, type Operation } from "./operations";
import { countLeaks, observe, reportFigures, type Observed } from "./probe";
import { buildWorld, d1Snapshot, sampleBody, type World } from "./world";

reportFigures();

type Identity =
  "none" | "revokedToken" | "expiredJwt" | "stranger" | "viewer" | "editor" | "owner" | "foreign";
const IDENTITIES: Identity[] = [
  "none",
  "revokedToken",
  "expiredJwt",
  "stranger",
  "foreign",
  "viewer",
  "editor",
  "owner",
];

const { doc, operations } = await loadDocument();
const published = doc as unknown as PublishedDocument;

/** What each caller should get: "allowed" (a documented outcome), an exact status, or nothing to check. */
function expected(op: Operation, who: Identity): "allowed" | number | "skip" {
  if (op.access === "public") return who === "expiredJwt" ? "skip" : "allowed";
  if (op.access === "signature") return 401; // no caller signs: the signed case is its own test below
  if (who === "none" || who === "revokedToken" || who === "expiredJwt") return 401;
  if (op.access === "signedIn") return who === "foreign" ? "skip" : "allowed";
  if (op.access === "self") return who === "owner" ? "allowed" : 404;
  if (who === "stranger" || who === "foreign") return who === "foreign" && !hasForeignId(op) ? "skip" : 404;
  const rank = { viewer: 0, editor: 1, owner: 2 }[who];
  const needed = { member: 0, editor: 1, owner: 2 }[op.access];
  return rank >= needed ? "allowed" : 403;
}

/** Names are not ids: setting a secret named like one of another workspace's is just setting a secret. */
const hasForeignId = (op: Operation) => !(op.method === "PUT" && op.path.endsWith("/secrets/{name}"));

/** Outcomes an allowed caller may get besides the documented success, with their code. */
const ALSO_ALLOWED: Record<string, [number, string]> = {
  "POST /api/workspaces/{ws}/sessions/{id}/resume": [409, "invalid_transition"],
  "POST /api/workspaces/{ws}/sessions/{id}/approve": [409, "invalid_transition"],
  "POST /api/workspaces/{ws}/sessions/{id}/export": [400, "gdrive_not_configured"],
  // The world's session asks for no approval: an owner or editor reaches the route and finds none.
  "POST /api/workspaces/{ws}/sessions/{id}/approvals/{approvalId}": [404, "not_found"],
};

function fillPath(op: Operation, world: World, other: World, who: Identity): string {
  const foreign = who === "foreign";
  const idsBeyondWs = /\{(id|userId|name|triggerId|shareId|email)\}/.test(op.path);
  const from = (w: World) => ({
    sessions: w.sessionId,
    triggers: w.triggerId,
    schedules: w.scheduleId,
    tokens: w.tokenId,
    secrets: w.secretName,
    artifacts: w.artifactName,
    workflows: w.workflowName,
    invitations: w.invitationEmail,
    "mcp-servers": w.mcpServerName,
  });
  return op.path.replace(/\/([a-z-]+)\/\{(\w+)\}/g, (_, collection: string, param: string) => {
    const source = foreign ? other : world;
    if (param === "ws") return `/${collection}/${foreign && !idsBeyondWs ? other.ws : world.ws}`;
    if (param === "userId") return `/${collection}/${source.target.user.id}`;
    if (param === "triggerId") return `/${collection}/${source.triggerId}`;
    if (param === "shareId") return `/${collection}/${source.shareId}`;
    if (param === "approvalId") return `/${collection}/toolu_matrix`;
    // A guest's token names its session by itself: "another workspace's id" has no meaning for it.
    if (param === "token") return `/${collection}/${world.shareToken}`;
    const value = from(source)[collection as keyof ReturnType<typeof from>];
    if (value === undefined) throw new Error(`no value for {${param}} in ${op.path}`);
    return `/${collection}/${encodeURIComponent(value)}`;
  });
}

async function call(
  op: Operation,
  world: World,
  other: World,
  who: Identity,
  jwt: string,
): Promise<{ res: Observed; sent: string }> {
  const path = fillPath(op, world, other, who);
  const headers: Record<string, string> = {};
  const body = op.body ? JSON.stringify(sampleBody(op.body, world)) : undefined;
  if (body) headers["content-type"] = "application/json";
  const client = {
    stranger: world.stranger,
    viewer: world.viewer,
    editor: world.editor,
    owner: world.owner,
    foreign: world.owner,
  }[who as string];
  if (client) headers.cookie = (client as World["owner"]).cookie;
  if (who === "revokedToken") headers.authorization = `Bearer ${world.revokedToken}`;
  if (who === "expiredJwt") headers["cf-access-jwt-assertion"] = jwt;
  const init = { method: op.method, headers, body };
  const res =
    who === "expiredJwt"
      ? await accessFetch(path, init)
      : await SELF.fetch(`http://localhost:8787${path}`, init);
  return { res: await observe(res), sent: `${path} ${body ?? ""}` };
}

/** Counts (and fails on) another workspace's markers, or any secret value, in an answer; what the caller sent itself is not a leak. */
function leaksIn(res: Observed, sent: string, world: World, other: World): number {
  const markers = [...other.markers, other.secretValue, world.secretValue].filter(
    (marker) => !sent.includes(marker),
  );
  return countLeaks(res.text, markers);
}

const needs = (op: Operation) => ({
  session: op.path.includes("/sessions/{id}") || op.path.includes("/shares/{token}"),
  artifact: op.path.includes("/artifacts/{name}"),
});

describe("every route × every caller", () => {
  let other: World;
  let jwt = "";

  beforeAll(async () => {
    await stubAccessKeys();
    other = await buildWorld("other", { session: true, artifact: true });
  }, 60_000);
  afterAll(() => vi.restoreAllMocks());

  it("covers every route of the document", () => {
    expect(operations.length).toBeGreaterThanOrEqual(40);
    expect(operations.every((op) => op.access !== undefined)).toBe(true);
  });

  for (const op of operations.filter((o) => o.access !== "signature")) {
    it(`${op.method} ${op.path} (${op.access})`, async () => {
      const base = await buildWorld("matrix", needs(op));
      jwt = await accessJwt(base.owner.user.email, Math.floor(Date.now() / 1000) - 60);
      const denied = IDENTITIES.filter((who) => typeof expected(op, who) === "number");
      const before = await d1Snapshot();
      for (const who of denied) {
        const { res, sent } = await call(op, base, other, who, jwt);
        expect(res.status, `${who}: ${res.text}`).toBe(expected(op, who));
        expect(res.errorShaped, who).toBe(true);
        expect(leaksIn(res, sent, base, other), `${who} leaked: ${res.text}`).toBe(0);
      }
      expect(await d1Snapshot(), "a denied call changed D1").toBe(before);

      for (const who of IDENTITIES.filter((w) => expected(op, w) === "allowed")) {
        // A call that changes something gets a world of its own, so each allowed caller meets the same state.
        const world = op.method === "GET" ? base : await buildWorld("matrix", needs(op));
        const { res, sent } = await call(op, world, other, who, jwt);
        const also = ALSO_ALLOWED[`${op.method} ${op.path}`];
        // The documented success: its status, its content type and, for JSON, a body the documented schema accepts.
        if (op.success.includes(res.status)) {
          const answer = {
            status: res.status,
            contentType: res.headers.get("content-type") ?? "",
            text: res.text,
          };
          expect(
            undocumented(published, op.method, op.path, answer),
            `${who}: ${res.text.slice(0, 500)}`,
          ).toEqual([]);
        } else {
          expect(also, `${who}: ${res.status} ${res.text}`).toBeDefined();
          expect([res.status, JSON.parse(res.text).error.code], who).toEqual(also);
        }
        expect(leaksIn(res, sent, world, other), `${who} leaked: ${res.text}`).toBe(0);
      }
    });
  }

  it("POST /webhooks/{triggerId} (signature): unsigned, signed for another trigger, and signed", async () => {
    const world = await buildWorld("matrix");
    const deliver = async (triggerId: string, secret: string | null) => {
      const body = JSON.stringify({ action: "opened", n: crypto.randomUUID() });
      const headers: Record<string, string> = { "content-type": "application/json" };
      if (secret) headers["x-hub-signature-256"] = await signBody(secret, body);
      const res = await observe(
        await SELF.fetch(`http://localhost:8787/webhooks/${triggerId}`, { method: "POST", headers, body }),
      );
      expect(leaksIn(res, body, world, other)).toBe(0);
      return res;
    };
    expect((await deliver(world.triggerId, null)).status).toBe(401);
    expect((await deliver(other.triggerId, world.triggerSecret)).status).toBe(401);
    expect((await deliver(world.triggerId, other.triggerSecret)).status).toBe(401);
    expect((await deliver(crypto.randomUUID(), world.triggerSecret)).status).toBe(404);
    expect((await deliver(world.triggerId, world.triggerSecret)).status).toBe(202);
  });

  it("the session socket: 401 without a valid credential, 404 to strangers and other workspaces, open to members", async () => {
    const world = await buildWorld("matrix", { session: true });
    const upgrade = async (
      headers: Record<string, string>,
      sessionId = world.sessionId,
      viaAccess = false,
    ) => {
      const init = { headers: { upgrade: "websocket", ...headers } };
      const path = `/parties/session-room/${sessionId}`;
      const res = viaAccess
        ? await accessFetch(path, init)
        : await SELF.fetch(`http://localhost:8787${path}`, init);
      res.webSocket?.accept();
      res.webSocket?.close();
      return (await observe(res)).status;
    };
    jwt = await accessJwt(world.owner.user.email, Math.floor(Date.now() / 1000) - 60);
    expect(await upgrade({})).toBe(401);
    expect(await upgrade({ authorization: `Bearer ${world.revokedToken}` })).toBe(401);
    expect(await upgrade({ "cf-access-jwt-assertion": jwt }, world.sessionId, true)).toBe(401);
    expect(await upgrade({ cookie: world.stranger.cookie })).toBe(404);
    expect(await upgrade({ cookie: world.owner.cookie }, other.sessionId)).toBe(404);
    for (const member of [world.viewer, world.editor, world.owner])
      expect(await upgrade({ cookie: member.cookie })).toBe(101);
  });

  it("left the other workspace as it was", async () => {
    const read = async (path: string) => (await other.owner.api(path)).json();
    expect(await read(`/api/workspaces/${other.ws}/sessions/${other.sessionId}`)).toMatchObject({
      session: { phase: "Running" },
    });
    expect(
      ((await read(`/api/workspaces/${other.ws}/members`)) as { members: unknown[] }).members,
    ).toHaveLength(4);
    expect(
      ((await read(`/api/workspaces/${other.ws}/triggers`)) as { triggers: unknown[] }).triggers,
    ).toHaveLength(1);
    expect(
      ((await read(`/api/workspaces/${other.ws}/secrets`)) as { secrets: unknown[] }).secrets,
    ).toHaveLength(1);
    expect(((await read("/api/tokens")) as { tokens: { id: string }[] }).tokens.map((t) => t.id)).toContain(
      other.tokenId,
    );
    expect(
      (
        (await read(`/api/workspaces/${other.ws}/sessions/${other.sessionId}/artifacts`)) as {
          artifacts: unknown[];
        }
      ).artifacts,
    ).toHaveLength(1);
  });
});
