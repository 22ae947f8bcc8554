import { authenticate } from "../auth";
import { authorizeWithTicket } from "../auth/room-ticket";
import { getMembership } from "../auth/membership";
import type { Env } from "../env";
import { errorBody } from "../http/errors";

/**
 * Authorizes a WebSocket to a session room before the upgrade: a room ticket from the API (`?ticket=`,
 * checked without D1), or a signed-in member of the session's workspace (cookie, Bearer or `?token=`);
 * else 401/404. The room learns who connected from headers
 * only the Worker can set, since a Durable Object is not reachable from outside.
 */
export async function authorizeRoomConnection(request: Request, env: Env, sessionId: string): Promise<Request | Response> {
  const ticket = new URL(request.url).searchParams.get("ticket");
  if (ticket !== null) return authorizeWithTicket(request, env, sessionId, ticket);
  const user = await authenticate(request, env);
  if (!user) return Response.json(errorBody("unauthenticated", "sign in first"), { status: 401 });
  const row = await env.DB.prepare(`SELECT workspace_id FROM sessions WHERE id = ?`).bind(sessionId).first<{ workspace_id: string }>();
  const member = row ? await getMembership(env.DB, row.workspace_id, user.id) : null;
  if (!member) return Response.json(errorBody("not_found", "session not found"), { status: 404 });
  const forwarded = new Request(request);
  forwarded.headers.set("x-tandem-user-id", user.id);
  forwarded.headers.set("x-tandem-role", member.role);
  return forwarded;
}
