/**
 * How the rest of the Worker reaches a workspace's feed: session rooms when a session changes, the API
 * when one is deleted, revocation when a member or token goes. A feed that cannot be reached costs its
 * lists a live update (they reconnect and load the list again), never the change itself: failures are
 * logged, not thrown.
 */
import { getServerByName } from "partyserver";
import type { Env } from "../env";
import type { FeedEvent } from "../protocol/feed";
import type { Revocation } from "../viewers/revocations";

export function feedOf(env: Pick<Env, "WorkspaceFeed">, workspaceId: string) {
  return getServerByName(env.WorkspaceFeed, workspaceId);
}

export async function publishToFeed(
  env: Pick<Env, "WorkspaceFeed">,
  workspaceId: string,
  event: FeedEvent,
): Promise<void> {
  try {
    await (await feedOf(env, workspaceId)).publish(event);
  } catch (err) {
    console.error("the workspace feed missed a change", err);
  }
}

export async function revokeInFeed(
  env: Pick<Env, "WorkspaceFeed">,
  workspaceId: string,
  revocation: Revocation,
): Promise<void> {
  try {
    await (await feedOf(env, workspaceId)).revoke(revocation);
  } catch (err) {
    console.error("closing revoked feed sockets failed", err);
  }
}
