/**
 * The session's saved workspace in R2: the agent's tar.gz of its workspace, streamed from the agent into
 * R2 (never held in memory), and streamed back to a new agent before it starts. It lives under the
 * session's prefix, so deleting the session removes it with the artifacts.
 */
import { INCARNATION_HEADER, WORKSPACE_ARCHIVE_MAX_BYTES, agentWorkspacePath } from "../protocol/agent";
import type { AgentEndpoint } from "./agent-link";

export const workspaceArchiveKey = (sessionId: string) => `sessions/${sessionId}/workspace.tar.gz`;

/** A failure to save or restore, with the words the session's events show. */
export class WorkspaceArchiveError extends Error {
  constructor(
    message: string,
    readonly detail: {
      /** The agent's answer; 409: it runs another incarnation now (a newer hello says what to do). */
      status?: number;
      /** The stored archive is gone: the next run clones instead. */
      missing?: boolean;
    } = {},
  ) {
    super(message);
  }
}

/** Streams the latest archive of `incarnation` into R2; returns its size. Refuses one over the cap. */
export async function saveWorkspaceArchive(
  bucket: R2Bucket,
  agent: AgentEndpoint,
  sessionId: string,
  incarnation: string,
): Promise<number> {
  const response = await agent.fetch(agentWorkspacePath(sessionId), {
    headers: { [INCARNATION_HEADER]: incarnation },
  });
  if (!response.ok || !response.body) {
    await response.body?.cancel();
    throw new WorkspaceArchiveError(`the agent answered ${response.status} for the workspace archive`, {
      status: response.status,
    });
  }
  const size = Number(response.headers.get("content-length"));
  if (!Number.isSafeInteger(size) || size < 0) {
    await response.body.cancel();
    throw new WorkspaceArchiveError("the agent sent a workspace archive of unknown length");
  }
  if (size > WORKSPACE_ARCHIVE_MAX_BYTES) {
    await response.body.cancel();
    throw new WorkspaceArchiveError(
      `the workspace archive is ${formatBytes(size)}, over the ${formatBytes(WORKSPACE_ARCHIVE_MAX_BYTES)} cap`,
    );
  }
  // R2 takes a stream only with its length known; a short or long body fails the put and keeps the previous archive.
  const body = response.body.pipeThrough(new FixedLengthStream(size));
  await bucket.put(workspaceArchiveKey(sessionId), body, {
    httpMetadata: { contentType: "application/gzip" },
  });
  return size;
}

/** Streams the stored archive to the agent incarnation waiting for it. */
export async function restoreWorkspaceArchive(
  bucket: R2Bucket,
  agent: AgentEndpoint,
  sessionId: string,
  incarnation: string,
): Promise<void> {
  const object = await bucket.get(workspaceArchiveKey(sessionId));
  if (!object)
    throw new WorkspaceArchiveError("the saved workspace is missing from storage", { missing: true });
  const response = await agent.fetch(agentWorkspacePath(sessionId), {
    method: "PUT",
    headers: {
      [INCARNATION_HEADER]: incarnation,
      "content-type": "application/gzip",
      "content-length": String(object.size),
    },
    body: object.body,
  });
  const detail = await response.text().catch(() => "");
  if (response.status !== 204) {
    throw new WorkspaceArchiveError(
      `the agent refused the saved workspace (${response.status}): ${detail.slice(0, 300)}`,
      { status: response.status },
    );
  }
}

export function formatBytes(bytes: number): string {
  if (bytes >= 1024 ** 3) return `${(bytes / 1024 ** 3).toFixed(bytes % 1024 ** 3 === 0 ? 0 : 1)} GiB`;
  if (bytes >= 1024 ** 2) return `${(bytes / 1024 ** 2).toFixed(1)} MiB`;
  return `${Math.ceil(bytes / 1024)} KiB`;
}
