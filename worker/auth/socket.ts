import { authenticateRequest } from "./index";
import { membershipOf } from "./membership";
import { authorizeWithTicket } from "./room-ticket";
import { workspaceOfSession } from "../db/sessions";
import type { Env } from "../env";
import { errorResponse } from "../http/errors";
import { crossSiteRefusal } from "../http/origin";
import { shareOfToken } from "./share-link";
import type { Credential } from "../db/types";
import type { Role } from "../protocol/workspace";
import { rateLimitRefusal } from "../http/rate-limit";
import { guestIdentity, shareTokenId, withIdentity, type ConnectionIdentity } from "../viewers/connections";
import { socketLeaseMs } from "../viewers/revocations";

/**
 * Authorizes a WebSocket to a session room before the upgrade: a room ticket from the API (`?ticket=`,
 * checked without D1; only the app's own pages can read one), or a signed-in member of the session's
 * workspace (cookie, Bearer or `?token=`), or a guest with a share link (`?share=`), else 401/404; a
 * cookie-authenticated upgrade from another site's page is 403. The room learns who connected from headers only the Worker can set, since a Durable
 * Object is not reachable from outside.
 */
export async function authorizeRoomConnection(
  request: Request,
  env: Env,
  sessionId: string,
): Promise<Request | Response> {
  const ticket = new URL(request.url).searchParams.get("ticket");
  if (ticket !== null) return authorizeWithTicket(request, env, sessionId, ticket);
  // A share link is the guest's whole credential, for its one session (any other is a 404, as for a stranger).
  const shareToken = new URL(request.url).searchParams.get("share");
  if (shareToken !== null) {
    const share = await shareOfToken(env, shareToken);
    if (!share || share.sessionId !== sessionId) return errorResponse("not_found", "session not found");
    const limited = await rateLimitRefusal(env, "guest", shareTokenId(share.id));
    if (limited) return errorResponse(limited.code, limited.message, {}, limited.headers);
    return withIdentity(request, guestIdentity(share), socketLeaseMs(env));
  }
  const crossSite = crossSiteRefusal(request, env.PUBLIC_URL);
  if (crossSite) return errorResponse(crossSite.code, crossSite.message);
  const credential = await authenticateRequest(request, env);
  if (!credential) return errorResponse("unauthenticated", "sign in first");
  const workspaceId = await workspaceOfSession(env.DB, sessionId);
  const member = workspaceId ? await membershipOf(env.DB, workspaceId, credential.user) : null;
  if (!member) return errorResponse("not_found", "session not found");
  return withIdentity(request, identityOf(credential, member.role), socketLeaseMs(env));
}

/** Who a signed-in member is on a socket: the credential they came with, and their role in the workspace. */
export function identityOf(credential: Credential, role: Role): ConnectionIdentity {
  return {
    userId: credential.user.id,
    userName: credential.user.name,
    role,
    tokenId: credential.tokenId,
    expiresAt: credential.expiresAt,
    issuedAt: null,
  };
}
