/**
 * Taking access away ends live sockets too: after a member is removed or changes role, or an API token is
 * revoked, the API asks every room the person could be watching to close their sockets (and to remember
 * it, so a ticket fetched before opens nothing: viewers/revocations.ts). A member who may no longer make
 * share links (removed, or now a viewer) loses the links they made, and their guests' sockets close.
 * A room without sockets answers at once without loading its session (the RPC skips partyserver's start-up).
 */
import { sessionIdsOfUser, sessionIdsOfWorkspace } from "../db/sessions";
import { revokeSharesOf } from "../db/shares";
import { workspaceIdsOfUser } from "../db/members";
import { revokeInFeed } from "../feed/publish";
import type { Env } from "../env";
import type { Role } from "../protocol/workspace";
import { shareTokenId } from "../viewers/connections";
import type { Revocation } from "../viewers/revocations";

/** Rooms asked at once; the rest wait their turn. */
const CONCURRENCY = 25;

export async function revokeInWorkspace(
  env: Env,
  workspaceId: string,
  revocation: Revocation,
): Promise<void> {
  // The session list's feed first: it shows every session of the workspace.
  await revokeInFeed(env, workspaceId, revocation);
  await revokeInRooms(env, await sessionIdsOfWorkspace(env.DB, workspaceId), revocation);
}

/** Every session of every workspace the user belongs to: where one of their API tokens may hold a socket. */
export async function revokeForUser(env: Env, userId: string, revocation: Revocation): Promise<void> {
  for (const workspaceId of await workspaceIdsOfUser(env.DB, userId))
    await revokeInFeed(env, workspaceId, revocation);
  await revokeInRooms(env, await sessionIdsOfUser(env.DB, userId), revocation);
}

/**
 * A member was removed (`newRole` null) or given a new role. Their share links go first, in D1, before
 * the answer (guests are refused from then on); the sockets close after, in the background.
 */
export async function revokeMember(
  env: Env,
  workspaceId: string,
  userId: string,
  newRole: Role | null,
): Promise<() => Promise<void>> {
  const shares =
    newRole === null || newRole === "viewer"
      ? await revokeSharesOf(env.DB, workspaceId, userId, Date.now())
      : [];
  return async () => {
    await revokeInWorkspace(env, workspaceId, newRole === null ? { userId } : { userId, newRole });
    for (let start = 0; start < shares.length; start += CONCURRENCY) {
      await Promise.allSettled(
        shares
          .slice(start, start + CONCURRENCY)
          .map(({ id, sessionId }) => room(env, sessionId).revokeConnections({ tokenId: shareTokenId(id) })),
      );
    }
  };
}

const room = (env: Env, sessionId: string) => env.SessionRoom.get(env.SessionRoom.idFromName(sessionId));

async function revokeInRooms(env: Env, sessionIds: string[], revocation: Revocation): Promise<void> {
  for (let start = 0; start < sessionIds.length; start += CONCURRENCY) {
    const batch = sessionIds.slice(start, start + CONCURRENCY);
    const results = await Promise.allSettled(batch.map((id) => room(env, id).revokeConnections(revocation)));
    for (const result of results)
      if (result.status === "rejected") console.error("closing revoked sockets failed", result.reason);
  }
}
