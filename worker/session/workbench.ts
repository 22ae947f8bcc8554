/**
 * Changes and push of a session no agent runs for (Stopped, Completed, Failed), from its saved workspace:
 * one JSON line (the repositories, the push, and of the secrets only what the action needs: none to read
 * changes, GITHUB_TOKEN and GITHUB_API_URL to push, since a saved workspace may hold planted git
 * configuration that runs with whatever environment git gets) and then the archive in R2, streamed to the agent endpoint's workbench
 * route (containers/agent/workbench.ts: the local host, or the session's container, started for it). The
 * answer is redacted here with every secret of the workspace.
 */
import type { Env } from "../env";
import {
  PUSH_SECRET_NAMES,
  WORKBENCH_LINE_MAX_BYTES,
  agentWorkbenchPath,
  type AgentPush,
  type GitAction,
  type WorkbenchLine,
} from "../protocol/git";
import { Redaction } from "../protocol/redaction";
import { loadWorkspaceSecrets } from "../secrets";
import { agentEndpoint } from "./agent-link";
import { rateLimitRefusal } from "../http/rate-limit";
import type { Actor, SessionRecord } from "./record";
import { refused, type RoomResult } from "./room-result";
import { workspaceArchiveKey } from "./workspace-archive";

export interface WorkbenchRequest {
  response: Promise<Response>;
  /** The workspace's secrets as they are now: the answer is redacted with them. */
  redact(text: string): string;
}

export class WorkbenchError extends Error {}

/** Sends the saved workspace to the workbench; null when storage holds no archive for the session. */
export async function askWorkbench(
  env: Env,
  storage: DurableObjectStorage,
  record: Readonly<SessionRecord> | null,
  action: GitAction,
  push?: AgentPush,
): Promise<WorkbenchRequest | null> {
  if (!record) return null;
  const secrets = await loadWorkspaceSecrets(env, record.workspaceId);
  const forPush = push
    ? Object.entries(secrets.forAgent).filter(([name]) => PUSH_SECRET_NAMES.includes(name))
    : [];
  const line: WorkbenchLine = {
    repos: record.repos,
    secrets: Object.fromEntries(forPush),
    ...(push && { push }),
  };
  const head = new TextEncoder().encode(`${JSON.stringify(line)}\n`);
  if (head.byteLength > WORKBENCH_LINE_MAX_BYTES)
    throw new WorkbenchError(
      `its repositories, secrets and push request take more than ${WORKBENCH_LINE_MAX_BYTES / 1024} KB`,
    );
  const object = await env.ARTIFACTS.get(workspaceArchiveKey(record.id));
  if (!object) return null;
  // Streamed with its length known (the container's fetch, like R2, wants it): the line, then the archive.
  const { readable, writable } = new FixedLengthStream(head.byteLength + object.size);
  const writing = (async () => {
    const writer = writable.getWriter();
    await writer.write(head);
    writer.releaseLock();
    await object.body.pipeTo(writable);
  })();
  // A failed write fails the request's body, which the response reports.
  writing.catch(() => undefined);
  const endpoint = agentEndpoint(env, record.id, record.config.timeoutSeconds, storage);
  const response = endpoint.fetch(agentWorkbenchPath(record.id, action), {
    method: "POST",
    headers: {
      "content-type": "application/octet-stream",
      "content-length": String(head.byteLength + object.size),
    },
    body: readable,
  });
  const redaction = new Redaction(secrets.redact);
  return { response, redact: (text) => redaction.text(text) };
}

/**
 * Each workbench call starts the session's container (production) for one answer, and a container slot is
 * shared by the whole deployment: a person, and a workspace, may ask only so often (WORKBENCH_PERSON_LIMIT,
 * WORKBENCH_WORKSPACE_LIMIT); past that, 429.
 */
export async function workbenchLimit(
  env: Env,
  actor: Actor,
  record: Readonly<SessionRecord> | null,
): Promise<RoomResult<never> | null> {
  const refusal =
    (await rateLimitRefusal(env, "workbenchPerson", actor.id)) ??
    (record ? await rateLimitRefusal(env, "workbenchWorkspace", record.workspaceId) : null);
  return refusal ? refused("rate_limited", refusal.message) : null;
}
