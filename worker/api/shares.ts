/**
 * Share links. Members: POST/GET …/sessions/:id/shares and DELETE …/shares/:shareId (owner,
 * editor create and revoke; every member lists). Guests: GET /api/shares/:token and its Markdown export,
 * with no account: a narrow view of the one session (protocol/shares.ts) and nothing of its workspace.
 * The token is random, shown once, stored as its SHA-256; a revoked or expired link, a forged token and a
 * deleted session all answer the same 404.
 */
import type { Context } from "hono";
import { z } from "zod";
import { requireRole } from "../auth/membership";
import { generateShareToken, hashShareToken, shareOfToken } from "../auth/share-link";
import { insertShare, listShares, revokeShare } from "../db/shares";
import type { Env } from "../env";
import { exportFileName } from "../export/document";
import { guestSessionToMarkdown } from "../export/guest-markdown";
import { attachment } from "../http/attachment";
import { newApp, type AppEnv } from "../http/app";
import { notFound, parseInput } from "../http/errors";
import { readJson } from "../http/body";
import { enforceRateLimit } from "../http/rate-limit";
import { CreateShareSchema, type CreatedShare, type GuestView } from "../protocol/shares";
import { shareTokenId } from "../viewers/connections";
import { sessionIdOfPath } from "./room";
import { roomOf, unwrap } from "../sessions/rooms";

const ShareParamsSchema = z.object({ shareId: z.uuid() });

export const shareUrl = (env: Env, token: string) => `${env.PUBLIC_URL.replace(/\/+$/, "")}/share/${token}`;

/** Mounted at /api/workspaces/:ws/sessions/:id/shares (membership checked before these run). */
export const shareRoutes = newApp();

shareRoutes.post("/", async (c) => {
  requireRole(c, "owner", "editor");
  const { expiresInHours } = await readJson(c, CreateShareSchema);
  const sessionId = await sessionIdOfPath(c);
  const token = generateShareToken();
  const now = Date.now();
  const share = {
    id: crypto.randomUUID(),
    expiresAt: expiresInHours ? now + expiresInHours * 3_600_000 : null,
  };
  await insertShare(c.env.DB, {
    ...share,
    sessionId,
    hash: await hashShareToken(token),
    createdBy: c.var.user.id,
    createdAt: now,
  });
  return c.json({ share: { ...share, url: shareUrl(c.env, token) } satisfies CreatedShare }, 201);
});

shareRoutes.get("/", async (c) =>
  c.json({ shares: await listShares(c.env.DB, await sessionIdOfPath(c), Date.now()) }),
);

shareRoutes.delete("/:shareId", async (c) => {
  requireRole(c, "owner", "editor");
  const { shareId } = parseInput(ShareParamsSchema, { shareId: c.req.param("shareId") });
  const sessionId = await sessionIdOfPath(c);
  if (!(await revokeShare(c.env.DB, sessionId, shareId, Date.now()))) throw notFound("share link not found");
  // At once, not in waitUntil: when the 204 arrives the guests' sockets are closing.
  await roomOf(c.env, sessionId).then((room) => room.revokeConnections({ tokenId: shareTokenId(shareId) }));
  return c.body(null, 204);
});

/** Mounted at /api/shares, before sign-in is required: the token is the guest's only credential. */
export const guestRoutes = newApp();

guestRoutes.get("/:token", async (c) => c.json((await guestView(c)) satisfies GuestView));

guestRoutes.get("/:token/export", async (c) => {
  parseInput(z.object({ format: z.literal("markdown").default("markdown") }), c.req.query());
  const view = await guestView(c);
  return new Response(guestSessionToMarkdown(view.session, view.phases, view.messages), {
    headers: {
      "content-type": "text/markdown; charset=utf-8",
      "content-disposition": attachment(exportFileName(view.session, "md")),
      "cache-control": "no-store",
    },
  });
});

/** The guest's view, made by the room once per version of its document (session/guest-view.ts), counted against the link's rate. */
async function guestView(c: Context<AppEnv>): Promise<GuestView> {
  const share = await shareOfToken(c.env, c.req.param("token") ?? "");
  if (!share) throw notFound("share link not found");
  await enforceRateLimit(c.env, "guest", shareTokenId(share.id));
  return unwrap(await (await roomOf(c.env, share.sessionId)).guestView());
}
