import { authenticateRequest } from "../auth";
import { getMembership } from "../auth/membership";
import type { Env } from "../env";
import { errorBody } from "../http/errors";
import { crossSiteRefusal } from "../http/origin";
import { withIdentity } from "./connections";

/**
 * Authorizes a WebSocket to a session room before the upgrade: a signed-in member of the session's
 * workspace (cookie, Bearer or `?token=`), else 401/404; a cookie-authenticated upgrade from another
 * site's page is 403. The room learns who connected from headers only the Worker can set, since a Durable
 * Object is not reachable from outside.
 */
export async function authorizeRoomConnection(request: Request, env: Env, sessionId: string): Promise<Request | Response> {
  const crossSite = crossSiteRefusal(request, env.PUBLIC_URL);
  if (crossSite) return Response.json(errorBody(crossSite.code, crossSite.message), { status: crossSite.status });
  const credential = await authenticateRequest(request, env);
  if (!credential) return Response.json(errorBody("unauthenticated", "sign in first"), { status: 401 });
  const row = await env.DB.prepare(`SELECT workspace_id FROM sessions WHERE id = ?`).bind(sessionId).first<{ workspace_id: string }>();
  const member = row ? await getMembership(env.DB, row.workspace_id, credential.user.id) : null;
  if (!member) return Response.json(errorBody("not_found", "session not found"), { status: 404 });
  return withIdentity(request, credential, member.role);
}
