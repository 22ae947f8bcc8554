/**
 * A session's changes and a push of them, asked of its running agent over HTTP (the agent host's
 * /sessions/:id/changes and /push, signed like every request to it), or, when no agent runs (Stopped,
 * Completed, Failed), from its saved workspace: the changes kept with the archive (saved-changes.ts), else
 * the agent host's workbench (workbench.ts), which starts the session's container for one answer: so its
 * calls are limited per person and per workspace, and the container stops again after. The agent's
 * refusals keep their code (and so the API's status); anything the agent says passes the workspace's
 * redaction once more here.
 */
import type { z } from "zod";
import {
  AgentErrorSchema,
  ChangesSchema,
  PushResultSchema,
  defaultBranch,
  type AgentPush,
  type Changes,
  type GitAction,
  type PushBody,
  type PushResult,
} from "../protocol/git";
import type { Phase } from "../protocol/lifecycle";
import type { Actor, SessionRecord } from "./record";
import { gone, ok, refused, type RoomErrorCode, type RoomResult } from "./room-result";
import type { WorkbenchRequest } from "./workbench";

export interface GitRequester {
  readonly record: Readonly<SessionRecord> | null;
  /** A signed request to the run's agent; null when no agent is linked. */
  request(path: string, init?: RequestInit): Promise<Response> | null;
  redact(text: string): string;
  redactDeep<T>(value: T): T;
  /** The request on the saved workspace, when no agent runs; null when storage holds no archive. */
  workbench(action: GitAction, push?: AgentPush): Promise<WorkbenchRequest | null>;
  /** A refusal when this person or workspace has asked the workbench too often lately; null to go on. */
  workbenchLimit(actor: Actor): Promise<RoomResult<never> | null>;
  /** The workbench answered: the container started for it stops. */
  workbenchDone(): void;
  /** The changes kept with the saved workspace (null: none yet), and keeping them once made. */
  keptChanges(): Promise<Changes | null>;
  keepChanges(changes: Changes): Promise<void>;
  /** The session's page, named in the commit message. */
  sessionURL(record: Readonly<SessionRecord>): string;
}

const AGENT_CODES = new Set<RoomErrorCode>([
  "invalid_input",
  "github_token_missing",
  "nothing_to_push",
  "push_rejected",
  "github_error",
  "agent_not_running",
]);

/** Phases with no agent, whose saved workspace (if any) answers instead. */
const SAVED_PHASES = new Set<Phase>(["Stopped", "Completed", "Failed"]);

type Failure = (phase: Phase, detail?: string) => RoomResult<never>;

const notRunning: Failure = (phase, detail = "") =>
  refused(
    "agent_not_running",
    `the session is ${phase}${detail}: changes and push need its agent running; resume the session first`,
    phase,
  );

const benchFailed: Failure = (phase, detail = "") =>
  refused(
    "agent_not_running",
    `the session is ${phase}, and its saved workspace could not be read${detail}`,
    phase,
  );

const nothingSaved = (phase: Phase) =>
  refused(
    "agent_not_running",
    `the session is ${phase} and has no saved workspace: there is nothing saved to read changes from or push; resume the session to clone its repositories again`,
    phase,
  );

const reason = (err: unknown) => (err instanceof Error ? err.message : String(err));

async function answer<T>(
  pending: Promise<Response>,
  schema: z.ZodType<T>,
  redact: (text: string) => string,
  phase: Phase,
  fail: Failure = notRunning,
): Promise<RoomResult<T>> {
  let res: Response;
  try {
    res = await pending;
  } catch (err) {
    return fail(phase, ` but its agent could not be reached (${redact(reason(err))})`);
  }
  const body: unknown = await res.json().catch(() => null);
  if (res.ok) {
    const parsed = schema.safeParse(body);
    return parsed.success ? ok(parsed.data) : fail(phase, " but its agent's answer was not understood");
  }
  const error = AgentErrorSchema.safeParse(body);
  const code = error.success ? (error.data.error.code as RoomErrorCode) : null;
  if (!error.success || !code || !AGENT_CODES.has(code))
    return fail(
      phase,
      ` but its agent answered ${res.status}${error.success ? `: ${redact(error.data.error.message)}` : ""}`,
    );
  const { message, field } = error.data.error;
  return { ok: false, error: { code, message: redact(message), ...(field && { field }) } };
}

/** The request on the saved workspace: redacted with the workspace's secrets as loaded for it, and the room's. */
async function fromWorkbench<T>(
  git: GitRequester,
  phase: Phase,
  actor: Actor,
  schema: z.ZodType<T>,
  action: GitAction,
  push?: AgentPush,
): Promise<RoomResult<T>> {
  const limited = await git.workbenchLimit(actor);
  if (limited) return limited;
  let bench: WorkbenchRequest | null;
  try {
    bench = await git.workbench(action, push);
  } catch (err) {
    git.workbenchDone();
    return benchFailed(phase, ` (${git.redact(reason(err))})`);
  }
  if (!bench) return nothingSaved(phase);
  const { response, redact } = bench;
  try {
    return await answer(response, schema, (text) => git.redact(redact(text)), phase, benchFailed);
  } finally {
    git.workbenchDone();
  }
}

/** A saved workspace's changes: those kept with its archive, else made once by the workbench and kept. */
async function savedChanges(git: GitRequester, phase: Phase, actor: Actor): Promise<RoomResult<Changes>> {
  const kept = await git.keptChanges().catch(() => null);
  if (kept) return ok(git.redactDeep(kept));
  const made = await fromWorkbench(git, phase, actor, ChangesSchema, "changes");
  if (made.ok)
    await git.keepChanges(made.value).catch((err: unknown) => console.error("changes not kept", err));
  return made;
}

export function sessionChanges(
  git: GitRequester,
  actor: Actor,
): Promise<RoomResult<Changes>> | RoomResult<Changes> {
  const record = git.record;
  if (!record) return gone;
  if (SAVED_PHASES.has(record.phase))
    return record.savedWorkspace ? savedChanges(git, record.phase, actor) : nothingSaved(record.phase);
  const pending =
    record.phase === "Running" ? git.request(`/sessions/${encodeURIComponent(record.id)}/changes`) : null;
  if (!pending) return notRunning(record.phase);
  return answer(pending, ChangesSchema, (text) => git.redact(text), record.phase);
}

/** The commit message: the person's (or a default), then which session and who asked. */
export function commitMessage(
  record: Readonly<SessionRecord>,
  message: string | undefined,
  actor: Actor,
  url: string,
): string {
  const subject = message ?? `Changes from the Tandem session "${record.displayName}"`;
  return `${subject}\n\nTandem session: ${record.displayName} (${url})\nAsked by: ${actor.name}`;
}

export function pushChanges(
  git: GitRequester,
  body: PushBody,
  actor: Actor,
): Promise<RoomResult<PushResult>> | RoomResult<PushResult> {
  const record = git.record;
  if (!record) return gone;
  const saved = SAVED_PHASES.has(record.phase);
  if (saved && !record.savedWorkspace) return nothingSaved(record.phase);
  if (!saved && record.phase !== "Running") return notRunning(record.phase);
  if (!saved && record.agentStatus !== "idle")
    return refused(
      "agent_busy",
      "the agent is working: push once it is idle, so the commit holds a finished change",
    );
  const request: AgentPush = {
    repo: body.repo,
    branch: body.branch ?? defaultBranch(record.displayName),
    message: commitMessage(record, body.message, actor, git.sessionURL(record)),
    pullRequest: body.pullRequest,
  };
  if (saved) return fromWorkbench(git, record.phase, actor, PushResultSchema, "push", request);
  const pending = git.request(`/sessions/${encodeURIComponent(record.id)}/push`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify(request),
  });
  if (!pending) return notRunning(record.phase, " but its agent is not connected");
  return answer(pending, PushResultSchema, (text) => git.redact(text), record.phase);
}
