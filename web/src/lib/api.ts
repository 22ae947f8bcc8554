/**
 * The typed client of the Worker API. Every failure is an `ApiError`. What each call sends and
 * returns is the Worker's own vocabulary (worker/protocol): the same zod schemas the Worker validates
 * requests with and types its answers by, so a field renamed there fails this app's type-check.
 */
import type { Phase } from "@tandem/protocol/lifecycle";
import type { ModelView } from "@tandem/protocol/models";
import type { WorkspaceUsage } from "@tandem/protocol/usage";
import type {
  Artifact,
  MessageAccepted,
  NewSession,
  RoomTicket,
  SessionEvent,
  SessionPage,
  SessionPatch,
  SessionView,
} from "@tandem/protocol/session";
import type { Delivery, NewTrigger, Trigger, WorkspaceCallback } from "@tandem/protocol/triggers";
import type { CreatedShare, GuestView, NewShare, Share } from "@tandem/protocol/shares";
import type { NewSchedule, Schedule, SchedulePatch, ScheduleRun } from "@tandem/protocol/schedules";
import type {
  Invitation,
  Member,
  Role,
  Secret,
  SecretScope,
  User,
  Workspace,
  WorkspacePatch,
} from "@tandem/protocol/workspace";
import type { Environment, WorkspaceEnvironment } from "@tandem/protocol/environment";
import type { NewWorkflow, WorkflowChange, WorkspaceWorkflow } from "@tandem/protocol/workflows";
import type { McpServer, McpServerDefinition, NewMcpServer } from "@tandem/protocol/mcp-servers";
import type { Changes, NewPush, PushResult } from "@tandem/protocol/git";
import type { InboxStatus, SessionOrder } from "@tandem/protocol/inbox";

export type { AgentStatus } from "@tandem/protocol/agent";
export type { Phase } from "@tandem/protocol/lifecycle";
export type {
  Artifact,
  DecisionBody,
  NewSession,
  Origin,
  SessionEvent,
  SessionListItem,
  SessionPage,
  SessionPatch,
  SessionSummary,
} from "@tandem/protocol/session";
export type { InboxCounts, InboxStatus, SessionOrder } from "@tandem/protocol/inbox";
export type { FeedEvent } from "@tandem/protocol/feed";
import type { DecisionBody } from "@tandem/protocol/session";
export type { Repo } from "@tandem/protocol/session-config";
export type { ModelView } from "@tandem/protocol/models";
export type { SessionUsage, UsageDay, WorkspaceUsage } from "@tandem/protocol/usage";
export type {
  Delivery,
  DeliveryStatus,
  NewTrigger,
  Trigger,
  WorkspaceCallback,
} from "@tandem/protocol/triggers";
export type {
  Invitation,
  Member,
  Role,
  Secret,
  SecretScope,
  User,
  Workspace,
  WorkspacePatch,
} from "@tandem/protocol/workspace";
export type { Environment, WorkspaceEnvironment } from "@tandem/protocol/environment";
export type { CreatedShare, GuestSession, GuestView, NewShare, Share } from "@tandem/protocol/shares";
export type { NewSchedule, Schedule, SchedulePatch, ScheduleRun } from "@tandem/protocol/schedules";
export type { NewWorkflow, WorkflowChange, WorkspaceWorkflow } from "@tandem/protocol/workflows";
export type {
  McpConnection,
  McpServer,
  McpServerDefinition,
  NewMcpServer,
} from "@tandem/protocol/mcp-servers";
export type { ChangedFile, Changes, NewPush, PushResult, RepoChanges } from "@tandem/protocol/git";
/** The session as GET …/sessions/:id returns it. */
export type Session = SessionView;

/** An error as the API sends it (`{error:{code,message,field?}}`), or a network failure (status 0). */
export class ApiError extends Error {
  readonly status: number;
  readonly code: string;
  readonly field: string | undefined;
  readonly phase: Phase | undefined;

  constructor(status: number, code: string, message: string, field?: string, phase?: Phase) {
    super(message);
    this.name = "ApiError";
    this.status = status;
    this.code = code;
    this.field = field;
    this.phase = phase;
  }
}

/** One of the signed-in person's API tokens (worker/api/tokens.ts); its secret is shown once, at creation. */
export interface ApiToken {
  id: string;
  name: string;
  createdAt: number;
  lastUsedAt: number | null;
}
export interface CreatedApiToken {
  id: string;
  name: string;
  createdAt: number;
  token: string;
}

type Fetch = typeof fetch;
let fetcher: Fetch = (...args) => fetch(...args);

/** Tests swap the transport; the app uses the browser's fetch with the session cookie. */
export function setFetch(f: Fetch): void {
  fetcher = f;
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null;
}

async function toError(res: Response): Promise<ApiError> {
  let body: unknown = null;
  try {
    body = await res.json();
  } catch {
    // Not JSON (a proxy's error page, say): the status text is all there is.
  }
  const e = isRecord(body) && isRecord(body.error) ? body.error : null;
  if (!e)
    return new ApiError(res.status, `http_${res.status}`, res.statusText || `Request failed (${res.status})`);
  const str = (v: unknown) => (typeof v === "string" ? v : undefined);
  return new ApiError(
    res.status,
    str(e.code) ?? `http_${res.status}`,
    str(e.message) ?? `Request failed (${res.status})`,
    str(e.field),
    str(e.phase) as Phase | undefined,
  );
}

export async function request<T>(method: string, path: string, body?: unknown): Promise<T> {
  let res: Response;
  try {
    res = await fetcher(path, {
      method,
      credentials: "same-origin",
      headers:
        body === undefined
          ? { accept: "application/json" }
          : { accept: "application/json", "content-type": "application/json" },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
  } catch (err) {
    throw new ApiError(
      0,
      "network",
      err instanceof Error ? `Network error: ${err.message}` : "Network error",
    );
  }
  if (!res.ok) throw await toError(res);
  if (res.status === 204) return undefined as T;
  const text = await res.text();
  return (text ? JSON.parse(text) : undefined) as T;
}

const enc = encodeURIComponent;
const ws = (id: string) => `/api/workspaces/${enc(id)}`;
const ses = (wsId: string, id: string) => `${ws(wsId)}/sessions/${enc(id)}`;

export const api = {
  signIn: (name: string) => request<{ user: User }>("POST", "/api/auth/dev", { name }),
  me: () => request<{ user: User }>("GET", "/api/me"),
  signOut: () => request<void>("POST", "/api/auth/signout"),
  tokens: () => request<{ tokens: ApiToken[] }>("GET", "/api/tokens"),
  createToken: (name: string) => request<CreatedApiToken>("POST", "/api/tokens", { name }),
  revokeToken: (id: string) => request<void>("DELETE", `/api/tokens/${enc(id)}`),
  models: () => request<{ models: ModelView[] }>("GET", "/api/models"),

  workspaces: () => request<{ workspaces: Workspace[] }>("GET", "/api/workspaces"),
  createWorkspace: (name: string) => request<{ workspace: Workspace }>("POST", "/api/workspaces", { name }),
  workspace: (id: string) => request<{ workspace: Workspace }>("GET", ws(id)),
  updateWorkspace: (id: string, patch: WorkspacePatch) =>
    request<{ workspace: Workspace }>("PATCH", ws(id), patch),
  usage: (id: string, range: { from?: string; to?: string } = {}) =>
    request<WorkspaceUsage>("GET", `${ws(id)}/usage?${new URLSearchParams(range)}`),

  members: (wsId: string) =>
    request<{ members: Member[]; invitations: Invitation[] }>("GET", `${ws(wsId)}/members`),
  addMember: (wsId: string, user: string, role: Role) =>
    request<{ invitation: Invitation }>("POST", `${ws(wsId)}/members`, { user, role }),
  withdrawInvitation: (wsId: string, email: string) =>
    request<void>("DELETE", `${ws(wsId)}/invitations/${enc(email)}`),
  setRole: (wsId: string, userId: string, role: Role) =>
    request<{ member: Member }>("PATCH", `${ws(wsId)}/members/${enc(userId)}`, { role }),
  removeMember: (wsId: string, userId: string) =>
    request<void>("DELETE", `${ws(wsId)}/members/${enc(userId)}`),

  sessions: (
    wsId: string,
    opts: {
      phase?: Phase | "";
      cursor?: string;
      status?: InboxStatus | "";
      q?: string;
      order?: SessionOrder;
      limit?: number;
    } = {},
  ) => {
    const q = new URLSearchParams();
    if (opts.phase) q.set("phase", opts.phase);
    if (opts.status) q.set("status", opts.status);
    if (opts.q?.trim()) q.set("q", opts.q.trim());
    if (opts.order) q.set("order", opts.order);
    if (opts.limit) q.set("limit", String(opts.limit));
    if (opts.cursor) q.set("cursor", opts.cursor);
    const qs = q.toString();
    return request<SessionPage>("GET", `${ws(wsId)}/sessions${qs ? `?${qs}` : ""}`);
  },
  /** The caller has looked at the session: what happened to it until now is read, for them. */
  markSeen: (wsId: string, id: string) => request<void>("POST", `${ses(wsId, id)}/seen`),
  createSession: (wsId: string, body: NewSession) =>
    request<{ session: SessionView }>("POST", `${ws(wsId)}/sessions`, body),
  session: (wsId: string, id: string) => request<{ session: SessionView }>("GET", ses(wsId, id)),
  updateSession: (wsId: string, id: string, patch: SessionPatch) =>
    request<{ session: SessionView }>("PATCH", ses(wsId, id), patch),
  events: (wsId: string, id: string) => request<{ events: SessionEvent[] }>("GET", `${ses(wsId, id)}/events`),
  sendMessage: (wsId: string, id: string, text: string) =>
    request<MessageAccepted>("POST", `${ses(wsId, id)}/messages`, { text }),
  stop: (wsId: string, id: string) => request<{ session: SessionView }>("POST", `${ses(wsId, id)}/stop`),
  resume: (wsId: string, id: string) => request<{ session: SessionView }>("POST", `${ses(wsId, id)}/resume`),
  approve: (wsId: string, id: string) =>
    request<{ session: SessionView }>("POST", `${ses(wsId, id)}/approve`),
  clone: (wsId: string, id: string) => request<{ session: SessionView }>("POST", `${ses(wsId, id)}/clone`),
  deleteSession: (wsId: string, id: string) => request<void>("DELETE", ses(wsId, id)),
  artifacts: (wsId: string, id: string) =>
    request<{ artifacts: Artifact[] }>("GET", `${ses(wsId, id)}/artifacts`),
  decideApproval: (wsId: string, id: string, approvalId: string, body: DecisionBody) =>
    request<{ approval: { approvalId: string; decision: string; decidedBy: string } }>(
      "POST",
      `${ses(wsId, id)}/approvals/${encodeURIComponent(approvalId)}`,
      body,
    ),
  exportToDrive: (wsId: string, id: string) =>
    request<{ url: string }>("POST", `${ses(wsId, id)}/export`, { format: "gdrive" }),
  roomTicket: (wsId: string, id: string) => request<RoomTicket>("GET", `${ses(wsId, id)}/ticket`),
  changes: (wsId: string, id: string) => request<Changes>("GET", `${ses(wsId, id)}/changes`),
  push: (wsId: string, id: string, body: NewPush) =>
    request<PushResult>("POST", `${ses(wsId, id)}/push`, body),

  workspaceCallback: (wsId: string) =>
    request<{ callback: WorkspaceCallback | null }>("GET", `${ws(wsId)}/callback`),
  setWorkspaceCallback: (wsId: string, url: string) =>
    request<{ callback: WorkspaceCallback; secret: string }>("PUT", `${ws(wsId)}/callback`, { url }),
  deleteWorkspaceCallback: (wsId: string) => request<void>("DELETE", `${ws(wsId)}/callback`),

  environment: (wsId: string) =>
    request<{ environment: WorkspaceEnvironment }>("GET", `${ws(wsId)}/environment`),
  putEnvironment: (wsId: string, environment: Environment) =>
    request<{ environment: WorkspaceEnvironment }>("PUT", `${ws(wsId)}/environment`, environment),

  secrets: (wsId: string) => request<{ secrets: Secret[] }>("GET", `${ws(wsId)}/secrets`),
  putSecret: (wsId: string, name: string, value: string, scope?: SecretScope) =>
    request<void>("PUT", `${ws(wsId)}/secrets/${enc(name)}`, { value, ...(scope && { scope }) }),
  deleteSecret: (wsId: string, name: string) => request<void>("DELETE", `${ws(wsId)}/secrets/${enc(name)}`),

  mcpServers: (wsId: string) => request<{ mcpServers: McpServer[] }>("GET", `${ws(wsId)}/mcp-servers`),
  createMcpServer: (wsId: string, body: NewMcpServer) =>
    request<{ mcpServer: McpServer }>("POST", `${ws(wsId)}/mcp-servers`, body),
  updateMcpServer: (wsId: string, name: string, body: McpServerDefinition) =>
    request<{ mcpServer: McpServer }>("PUT", `${ws(wsId)}/mcp-servers/${enc(name)}`, body),
  deleteMcpServer: (wsId: string, name: string) =>
    request<void>("DELETE", `${ws(wsId)}/mcp-servers/${enc(name)}`),

  triggers: (wsId: string) => request<{ triggers: Trigger[] }>("GET", `${ws(wsId)}/triggers`),
  createTrigger: (wsId: string, body: NewTrigger) =>
    request<{ trigger: Trigger; secret: string }>("POST", `${ws(wsId)}/triggers`, body),
  deleteTrigger: (wsId: string, id: string) => request<void>("DELETE", `${ws(wsId)}/triggers/${enc(id)}`),
  deliveries: (wsId: string, id: string) =>
    request<{ deliveries: Delivery[] }>("GET", `${ws(wsId)}/triggers/${enc(id)}/deliveries`),

  shares: (wsId: string, id: string) => request<{ shares: Share[] }>("GET", `${ses(wsId, id)}/shares`),
  createShare: (wsId: string, id: string, body: NewShare) =>
    request<{ share: CreatedShare }>("POST", `${ses(wsId, id)}/shares`, body),
  revokeShare: (wsId: string, id: string, shareId: string) =>
    request<void>("DELETE", `${ses(wsId, id)}/shares/${enc(shareId)}`),
  guestView: (token: string) => request<GuestView>("GET", `/api/shares/${enc(token)}`),

  schedules: (wsId: string) => request<{ schedules: Schedule[] }>("GET", `${ws(wsId)}/schedules`),
  schedule: (wsId: string, id: string) =>
    request<{ schedule: Schedule; runs: ScheduleRun[] }>("GET", `${ws(wsId)}/schedules/${enc(id)}`),
  createSchedule: (wsId: string, body: NewSchedule) =>
    request<{ schedule: Schedule }>("POST", `${ws(wsId)}/schedules`, body),
  updateSchedule: (wsId: string, id: string, patch: SchedulePatch) =>
    request<{ schedule: Schedule }>("PATCH", `${ws(wsId)}/schedules/${enc(id)}`, patch),
  deleteSchedule: (wsId: string, id: string) => request<void>("DELETE", `${ws(wsId)}/schedules/${enc(id)}`),
  runSchedule: (wsId: string, id: string) =>
    request<{ sessionId: string }>("POST", `${ws(wsId)}/schedules/${enc(id)}/run`),
  workflows: (wsId: string) => request<{ workflows: WorkspaceWorkflow[] }>("GET", `${ws(wsId)}/workflows`),
  createWorkflow: (wsId: string, body: NewWorkflow) =>
    request<{ workflow: WorkspaceWorkflow }>("POST", `${ws(wsId)}/workflows`, body),
  updateWorkflow: (wsId: string, name: string, body: WorkflowChange) =>
    request<{ workflow: WorkspaceWorkflow }>("PUT", `${ws(wsId)}/workflows/${enc(name)}`, body),
  deleteWorkflow: (wsId: string, name: string, force = false) =>
    request<void>("DELETE", `${ws(wsId)}/workflows/${enc(name)}${force ? "?force=true" : ""}`),
};

/** Addresses the browser opens directly (downloads), not through `request`. */
export const links = {
  artifact: (wsId: string, id: string, name: string) => `${ses(wsId, id)}/artifacts/${enc(name)}`,
  export: (wsId: string, id: string, format: "markdown" | "pdf") =>
    `${ses(wsId, id)}/export?format=${format}`,
  guestExport: (token: string) => `/api/shares/${enc(token)}/export?format=markdown`,
};

/** Whether a download exists on this server (export may not be built yet): a HEAD that answers 2xx. */
export async function exists(url: string): Promise<boolean> {
  try {
    const res = await fetcher(url, { method: "HEAD", credentials: "same-origin" });
    return res.ok;
  } catch {
    return false;
  }
}

export function errorMessage(err: unknown): string {
  if (err instanceof ApiError || err instanceof Error) return err.message;
  return String(err);
}
