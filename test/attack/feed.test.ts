/**
 * The workspace feed (GET /api/workspaces/:ws/feed, a WebSocket) under attack: every kind of caller gets
 * what the API's own routes give (401 without a valid credential, 404 to strangers and for another
 * workspace, 403 cross-site with a cookie, a socket to members of every role); malformed, oversized and
 * binary frames close the sender's socket and nobody else's; a revoked API token's socket closes at once.
 */
import { SELF } from "cloudflare:test";
import { beforeAll, describe, expect, it } from "vitest";
import { tokenClient } from "../worker/helpers";
import { connectFeed, type FeedClient } from "../worker/feed-client";
import { createSession } from "../worker/session-helpers";
import { figures, observe, reportFigures } from "./probe";
import { buildWorld, type World } from "./world";

reportFigures();

let world: World;
let other: World;
beforeAll(async () => {
  [world, other] = await Promise.all([buildWorld("feed"), buildWorld("feed other")]);
});

async function status(ws: string, headers: Record<string, string>, query = ""): Promise<number> {
  const res = await connectFeed(ws, headers, query);
  if (res instanceof Response) return (await observe(res)).status;
  res.socket.close();
  return 101;
}

async function open(ws: string, headers: Record<string, string>, query = ""): Promise<FeedClient> {
  const res = await connectFeed(ws, headers, query);
  if (res instanceof Response) throw new Error(`feed refused: ${res.status}`);
  return res;
}

const within = <T>(promise: Promise<T>, ms: number, late: T) =>
  Promise.race([promise, new Promise<T>((resolve) => setTimeout(() => resolve(late), ms))]);

describe("who may open the feed", () => {
  it("401 without a valid credential, 404 to strangers and other workspaces, 403 cross-site, open to every role", async () => {
    expect(await status(world.ws, {})).toBe(401);
    expect(await status(world.ws, { authorization: `Bearer ${world.revokedToken}` })).toBe(401);
    expect(await status(world.ws, {}, `?token=${world.revokedToken}`)).toBe(401);
    expect(await status(world.ws, { cookie: "tandem_dev_session=x.y" })).toBe(401);
    expect(await status(world.ws, { cookie: world.stranger.cookie })).toBe(404);
    expect(await status(other.ws, { cookie: world.owner.cookie })).toBe(404);
    expect(await status(world.ws, { cookie: world.owner.cookie, origin: "https://attacker.example" })).toBe(
      403,
    );
    expect(await status(world.ws, { cookie: world.owner.cookie, "sec-fetch-site": "cross-site" })).toBe(403);
    for (const member of [world.viewer, world.editor, world.owner])
      expect(await status(world.ws, { cookie: member.cookie })).toBe(101);
    // Only the workspace route takes sockets: the feed's Durable Object is not reachable as a party.
    const party = await SELF.fetch(`http://localhost:8787/parties/workspace-feed/${world.ws}`, {
      headers: { upgrade: "websocket", cookie: world.owner.cookie },
    });
    expect((await observe(party)).status).toBe(404);
  });

  it("closes an API token's socket at once when the token is revoked, and never opens one again", async () => {
    const scripted = await tokenClient(world.owner, "feed script");
    const watching = await open(world.ws, {}, `?token=${scripted.token}`);
    const revoked = await world.owner.api(`/api/tokens/${scripted.tokenId}`, { method: "DELETE" });
    expect(revoked.status).toBe(204);
    expect((await within(watching.closed, 3000, { code: -1, reason: "" })).code).toBe(4403);
    expect(await status(world.ws, {}, `?token=${scripted.token}`)).toBe(401);
  });
});

describe("malformed frames", () => {
  const BAD_FRAMES: (string | Uint8Array)[] = [
    "",
    "ping",
    "{}",
    "null",
    JSON.stringify({ type: "pong" }),
    JSON.stringify({ type: "ping", session: { id: "x" } }),
    JSON.stringify({ type: "session", session: { id: "forged" } }),
    JSON.stringify({ type: "ping" }) + " ".repeat(100),
    "x".repeat(1 << 20),
    new Uint8Array([0, 1, 2, 255]),
    "\ud800",
  ];

  it("close only the sender's socket; the other lists keep receiving", async () => {
    const bystander = await open(world.ws, { cookie: world.viewer.cookie });
    for (const frame of BAD_FRAMES) {
      const attacker = await open(world.ws, { cookie: world.editor.cookie });
      figures.socketFrames++;
      attacker.socket.send(frame);
      const closed = await within(attacker.closed, 3000, { code: -1, reason: "" });
      expect(closed.code, `frame ${String(frame).slice(0, 40)}`).toBe(1008);
      expect(attacker.events.filter((e) => e.type !== "pong")).toEqual([]);
    }
    bystander.socket.send(JSON.stringify({ type: "ping" }));
    await bystander.next((e) => e.type === "pong");
    const session = await createSession(world.owner, world.ws, { prompt: "still live" });
    await bystander.next((e) => e.type === "session" && e.session.id === session.id);
  });
});
