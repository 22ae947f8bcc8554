/**
 * Whether a session socket may open (again), decided by the server's close code and by the ticket API:
 * a socket closed because access ended, the credential expired or the session was deleted must not
 * reconnect, because every further attempt would be refused.
 */
import { api, ApiError } from "./api";

/** Why a session's live view ended for good. */
export type RoomEnd = "expired" | "revoked" | "deleted";

/** The close codes the SessionRoom (and its viewer shards) send (worker/viewers/connections.ts, room.ts). */
export const CLOSE_CODES = {
  expired: 4401,
  revoked: 4403,
  deleted: 4404,
  renew: 4408,
  roleChanged: 4409,
} as const;

/**
 * What a close code means: the end, a check of access first (a role change: a fresh ticket carries the new
 * role; a revocation: a fresh ticket tells whether the person is still in, say after being added again), or
 * a drop the provider reconnects from (its ticket asked for again), the socket's lease running out included.
 */
export function closeVerdict(code: number): RoomEnd | "check" | "reconnect" {
  if (code === CLOSE_CODES.expired) return "expired";
  if (code === CLOSE_CODES.deleted) return "deleted";
  if (code === CLOSE_CODES.revoked || code === CLOSE_CODES.roleChanged) return "check";
  return "reconnect";
}

export type Admission = { params: Record<string, string> } | { end: RoomEnd };

/**
 * The query of the next socket, or the end of access: a fresh room ticket (checked at the upgrade without a
 * database read). 401 means the credential is gone; 404 means the person is no longer a member or the
 * session is gone, which the workspace itself tells apart. Any other failure (a network blip, a server
 * without AUTH_SECRET) lets the socket try on the session cookie, and the provider keeps retrying.
 */
export async function admission(wsId: string, sessionId: string): Promise<Admission> {
  try {
    return { params: { ticket: (await api.roomTicket(wsId, sessionId)).ticket } };
  } catch (err) {
    if (!(err instanceof ApiError)) return { params: {} };
    if (err.status === 401) return { end: "expired" };
    if (err.status !== 404) return { params: {} };
  }
  try {
    await api.workspace(wsId);
    return { end: "deleted" };
  } catch (err) {
    if (err instanceof ApiError && err.status === 401) return { end: "expired" };
    if (err instanceof ApiError && err.status === 404) return { end: "revoked" };
    return { params: {} };
  }
}

/**
 * A guest's socket query: the share link itself. A link the API no longer knows (revoked, expired, its
 * session deleted) ends the view; anything else (a network blip) lets the provider keep trying.
 */
export async function guestAdmission(token: string): Promise<Admission> {
  try {
    await api.guestView(token);
  } catch (err) {
    if (err instanceof ApiError && err.status === 404) return { end: "revoked" };
  }
  return { params: { share: token } };
}

/** What the page says when the live view ended: a heading and what the person can do next. */
export const END_MESSAGES: Record<RoomEnd, { title: string; detail: string }> = {
  revoked: {
    title: "Your access to this session ended",
    detail:
      "You are no longer a member of this workspace, so the session stopped updating here. An owner can add you again.",
  },
  deleted: {
    title: "This session was deleted",
    detail: "Its transcript, events and artifacts are gone.",
  },
  expired: {
    title: "Your sign-in expired",
    detail: "The session stopped updating here. Sign in again to keep watching.",
  },
};
