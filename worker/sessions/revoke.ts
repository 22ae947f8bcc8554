/**
 * Taking access away ends live sockets too: after a member is removed or changes role, or an API token is
 * revoked, the API asks every room the person could be watching to close their sockets. A room without
 * sockets answers at once without loading its session (the RPC skips partyserver's start-up).
 */
import { sessionIdsOfUser, sessionIdsOfWorkspace } from "../db/sessions";
import type { Env } from "../env";
import type { RevokeFilter } from "../viewers/connections";

/** Rooms asked at once; the rest wait their turn. */
const CONCURRENCY = 25;

export async function revokeInWorkspace(env: Env, workspaceId: string, filter: RevokeFilter): Promise<void> {
  await revokeInRooms(env, await sessionIdsOfWorkspace(env.DB, workspaceId), filter);
}

/** Every session of every workspace the user belongs to: where one of their API tokens may hold a socket. */
export async function revokeForUser(env: Env, userId: string, filter: RevokeFilter): Promise<void> {
  await revokeInRooms(env, await sessionIdsOfUser(env.DB, userId), filter);
}

async function revokeInRooms(env: Env, sessionIds: string[], filter: RevokeFilter): Promise<void> {
  for (let start = 0; start < sessionIds.length; start += CONCURRENCY) {
    const batch = sessionIds.slice(start, start + CONCURRENCY);
    const results = await Promise.allSettled(
      batch.map((id) => env.SessionRoom.get(env.SessionRoom.idFromName(id)).revokeConnections(filter)),
    );
    for (const result of results) if (result.status === "rejected") console.error("closing revoked sockets failed", result.reason);
  }
}
