import type { Context } from "hono";
import { API_TOKEN_PREFIX, hashApiToken } from "../auth/api-token";
import { issueRoomTicket } from "../auth/room-ticket";
import { findSession } from "../db/sessions";
import { liveTokenIdForHash } from "../db/tokens";
import { newApp, type AppEnv } from "../http/app";
import { HttpError, notFound, parseInput } from "../http/errors";
import { SessionParamsSchema } from "./session-schemas";

/**
 * GET /api/workspaces/:ws/sessions/:id/ticket (member): a short-lived signed pass to the session's
 * WebSocket (`/parties/session-room/:id?ticket=…`), checked at the upgrade without D1.
 */
export const ticketRoutes = newApp();

ticketRoutes.get("/", async (c) => {
  const { id } = parseInput(SessionParamsSchema, { id: c.req.param("id") });
  if (!(await findSession(c.env.DB, c.req.param("ws")!, id))) throw notFound("session not found");
  const access = { userId: c.var.user.id, role: c.var.member.role, tokenId: await tokenIdOf(c), expiresAt: null };
  const issued = await issueRoomTicket(c.env, id, access);
  if (!issued) throw new HttpError(503, "not_configured", "room tickets need AUTH_SECRET to be set");
  return c.json({ ...issued, url: `/parties/session-room/${encodeURIComponent(id)}?ticket=${issued.ticket}` });
});

/** The API token this request came with, if any: a ticket issued through a token dies with the token. */
async function tokenIdOf(c: Context<AppEnv>): Promise<string | null> {
  const token = c.req.header("authorization")?.match(/^Bearer\s+(\S+)\s*$/i)?.[1] ?? c.req.query("token");
  if (!token?.startsWith(API_TOKEN_PREFIX)) return null;
  return liveTokenIdForHash(c.env.DB, await hashApiToken(token));
}
