/** The shapes the Worker API returns (SPEC §9), as the web app reads them. */
import type { ModelId } from "./config";

/** The API sends times as ms since the epoch; ISO strings are read too. */
export type Timestamp = number | string;

export type Role = "owner" | "editor" | "viewer";
export type Phase = "Pending" | "Creating" | "Running" | "Stopping" | "Stopped" | "Completed" | "Failed";
export type AgentStatus = "working" | "idle" | "waiting_input";

export interface User {
  id: string;
  name: string;
  email: string | null;
}

export interface Workspace {
  id: string;
  name: string;
  role: Role;
  createdAt: Timestamp;
  /** A Running session idle this long is stopped (reason `idle`); SPEC §3. */
  idleStopMinutes: number;
}

/** What an owner may change of a workspace (`PATCH /api/workspaces/:ws`). */
export interface WorkspacePatch {
  name?: string;
  idleStopMinutes?: number;
}

/** Where every phase change of every session of the workspace is POSTed, signed (its secret is shown once). */
export interface WorkspaceCallback {
  url: string;
  updatedAt: Timestamp;
}

export interface Member {
  userId: string;
  name: string;
  email: string | null;
  role: Role;
}

export interface RepoRef {
  url: string;
  branch?: string;
}

export type Origin =
  | { kind: "person" }
  | { kind: "trigger"; triggerId: string; triggerName?: string; deliveryId?: string | null };

export interface Session {
  id: string;
  workspaceId: string;
  displayName: string;
  model: ModelId;
  temperature: number;
  maxTokens: number;
  timeoutSeconds: number;
  thinking: boolean;
  phase: Phase;
  agentStatus: AgentStatus;
  repos: RepoRef[];
  workflow: string | null;
  origin: Origin;
  createdBy: { id: string; name: string } | null;
  createdAt: Timestamp;
  updatedAt: Timestamp;
  activeSeconds: number;
  /** Started by a trigger that requires approval, not approved yet: it waits in Pending. */
  awaitingApproval: boolean;
  /** Active seconds of the current run: the timeout applies per run. */
  runSeconds: number;
  /** false: the session goes to Completed when a turn ends with nothing queued. */
  interactive: boolean;
  /** The latest saved copy of the agent's workspace (restored on Resume), if any. */
  savedWorkspace: { size: number; savedAt: Timestamp } | null;
}

/** A row of the session list: the index's fields, not the whole session. */
export type SessionSummary = Pick<
  Session,
  "id" | "workspaceId" | "displayName" | "phase" | "agentStatus" | "model" | "origin" | "createdBy" | "createdAt" | "updatedAt" | "awaitingApproval"
>;

export interface SessionEvent {
  seq: number;
  at: Timestamp;
  type: string;
  phase?: Phase;
  actor?: string | { id: string; name: string };
  reason?: string;
}

export interface Artifact {
  name: string;
  size: number;
}

export interface NewSession {
  displayName?: string;
  model?: ModelId;
  temperature?: number;
  maxTokens?: number;
  timeoutSeconds?: number;
  thinking?: boolean;
  interactive?: boolean;
  repos?: RepoRef[];
  workflow?: string;
  prompt?: string;
}

/** A workspace secret as listed: its value never leaves the server. */
export interface Secret {
  name: string;
  updatedAt: Timestamp;
}

export interface TriggerFilter {
  event?: string;
  action?: string;
}

export interface Trigger {
  id: string;
  name: string;
  session: NewSession;
  promptTemplate: string;
  filter: { event: string | null; action: string | null };
  callbackUrl: string | null;
  requireApproval: boolean;
  webhookUrl: string;
  createdBy: { id: string; name: string };
  createdAt: Timestamp;
}

export interface NewTrigger {
  name: string;
  session: NewSession;
  promptTemplate: string;
  filter?: TriggerFilter;
  callbackUrl?: string;
  requireApproval?: boolean;
}

export type DeliveryStatus = "pending" | "accepted" | "skipped" | "failed";

export interface Delivery {
  deliveryId: string;
  event: string | null;
  status: DeliveryStatus;
  outcome: string | null;
  sessionId: string | null;
  receivedAt: Timestamp;
  updatedAt: Timestamp;
}

export interface SessionPatch {
  displayName?: string;
  repos?: RepoRef[];
  workflow?: string | null;
}
