import { authenticateRequest } from "../auth";
import { getMembership } from "../auth/membership";
import { authorizeWithTicket } from "../auth/room-ticket";
import { workspaceOfSession } from "../db/sessions";
import type { Env } from "../env";
import { errorResponse } from "../http/errors";
import { crossSiteRefusal } from "../http/origin";
import { shareOfToken } from "../auth/share-link";
import { guestIdentity, identityOf, withIdentity } from "../viewers/connections";

/**
 * Authorizes a WebSocket to a session room before the upgrade: a room ticket from the API (`?ticket=`,
 * checked without D1; only the app's own pages can read one), or a signed-in member of the session's
 * workspace (cookie, Bearer or `?token=`), or a guest with a share link (`?share=`), else 401/404; a
 * cookie-authenticated upgrade from another site's page is 403. The room learns who connected from headers only the Worker can set, since a Durable
 * Object is not reachable from outside.
 */
export async function authorizeRoomConnection(request: Request, env: Env, sessionId: string): Promise<Request | Response> {
  const ticket = new URL(request.url).searchParams.get("ticket");
  if (ticket !== null) return authorizeWithTicket(request, env, sessionId, ticket);
  // A share link is the guest's whole credential, for its one session (any other is a 404, as for a stranger).
  const shareToken = new URL(request.url).searchParams.get("share");
  if (shareToken !== null) {
    const share = await shareOfToken(env, shareToken);
    if (!share || share.sessionId !== sessionId) return errorResponse("not_found", "session not found");
    return withIdentity(request, guestIdentity(share));
  }
  const crossSite = crossSiteRefusal(request, env.PUBLIC_URL);
  if (crossSite) return errorResponse(crossSite.code, crossSite.message);
  const credential = await authenticateRequest(request, env);
  if (!credential) return errorResponse("unauthenticated", "sign in first");
  const workspaceId = await workspaceOfSession(env.DB, sessionId);
  const member = workspaceId ? await getMembership(env.DB, workspaceId, credential.user.id) : null;
  if (!member) return errorResponse("not_found", "session not found");
  return withIdentity(request, identityOf(credential, member.role));
}
