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
  email: string;
}

export interface Workspace {
  id: string;
  name: string;
  role: Role;
  createdAt: Timestamp;
}

export interface Member {
  userId: string;
  name: string;
  email: string;
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
}

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
  repos?: RepoRef[];
  workflow?: string;
  prompt?: string;
}

export interface SessionPatch {
  displayName?: string;
  repos?: RepoRef[];
  workflow?: string | null;
}
