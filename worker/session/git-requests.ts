/**
 * A session's changes and a push of them, asked of its running agent over HTTP (the agent host's
 * /sessions/:id/changes and /push, signed like every request to it). The agent's refusals keep their code
 * (and so the API's status); anything the agent says passes the workspace's redaction once more here.
 */
import type { z } from "zod";
import { AgentErrorSchema, ChangesSchema, PushResultSchema, defaultBranch, type AgentPush, type Changes, type PushBody, type PushResult } from "../protocol/git";
import type { Phase } from "../protocol/lifecycle";
import type { Actor, SessionRecord } from "./record";
import { gone, ok, refused, type RoomErrorCode, type RoomResult } from "./room-result";

export interface GitRequester {
  readonly record: Readonly<SessionRecord> | null;
  /** A signed request to the run's agent; null when no agent is linked. */
  request(path: string, init?: RequestInit): Promise<Response> | null;
  redact(text: string): string;
  /** The session's page, named in the commit message. */
  sessionURL(record: Readonly<SessionRecord>): string;
}

const AGENT_CODES = new Set<RoomErrorCode>(["invalid_input", "github_token_missing", "nothing_to_push", "push_rejected", "github_error", "agent_not_running"]);

const notRunning = (phase: Phase, detail = "") =>
  refused("agent_not_running", `the session is ${phase}${detail}: changes and push need its agent running; resume the session first`, phase);

async function answer<T>(pending: Promise<Response>, schema: z.ZodType<T>, redact: (text: string) => string, phase: Phase): Promise<RoomResult<T>> {
  let res: Response;
  try {
    res = await pending;
  } catch (err) {
    return notRunning(phase, ` but its agent could not be reached (${redact(err instanceof Error ? err.message : String(err))})`);
  }
  const body: unknown = await res.json().catch(() => null);
  if (res.ok) {
    const parsed = schema.safeParse(body);
    return parsed.success ? ok(parsed.data) : notRunning(phase, " but its agent's answer was not understood");
  }
  const error = AgentErrorSchema.safeParse(body);
  const code = error.success ? (error.data.error.code as RoomErrorCode) : null;
  if (!error.success || !code || !AGENT_CODES.has(code)) return notRunning(phase, ` but its agent answered ${res.status}`);
  const { message, field } = error.data.error;
  return { ok: false, error: { code, message: redact(message), ...(field && { field }) } };
}

export function sessionChanges(git: GitRequester): Promise<RoomResult<Changes>> | RoomResult<Changes> {
  const record = git.record;
  if (!record) return gone;
  const pending = record.phase === "Running" ? git.request(`/sessions/${encodeURIComponent(record.id)}/changes`) : null;
  if (!pending) return notRunning(record.phase);
  return answer(pending, ChangesSchema, (text) => git.redact(text), record.phase);
}

/** The commit message: the person's (or a default), then which session and who asked. */
export function commitMessage(record: Readonly<SessionRecord>, message: string | undefined, actor: Actor, url: string): string {
  const subject = message ?? `Changes from the Tandem session "${record.displayName}"`;
  return `${subject}\n\nTandem session: ${record.displayName} (${url})\nAsked by: ${actor.name}`;
}

export function pushChanges(git: GitRequester, body: PushBody, actor: Actor): Promise<RoomResult<PushResult>> | RoomResult<PushResult> {
  const record = git.record;
  if (!record) return gone;
  if (record.phase !== "Running") return notRunning(record.phase);
  if (record.agentStatus !== "idle") return refused("agent_busy", "the agent is working: push once it is idle, so the commit holds a finished change");
  const request: AgentPush = {
    repo: body.repo,
    branch: body.branch ?? defaultBranch(record.displayName),
    message: commitMessage(record, body.message, actor, git.sessionURL(record)),
    pullRequest: body.pullRequest,
  };
  const pending = git.request(`/sessions/${encodeURIComponent(record.id)}/push`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify(request),
  });
  if (!pending) return notRunning(record.phase, " but its agent is not connected");
  return answer(pending, PushResultSchema, (text) => git.redact(text), record.phase);
}
