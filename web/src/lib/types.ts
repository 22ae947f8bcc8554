/** The shapes the Worker API returns (SPEC §9), as the web app reads them. */
import type { ModelId } from "./config";

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
  createdAt: string;
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

export type Origin = { kind: "person"; userId?: string; name?: string } | { kind: "trigger"; triggerId?: string; name?: string };

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
  createdAt: string;
  updatedAt: string;
  activeSeconds: number;
}

export interface SessionEvent {
  seq: number;
  at: string;
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
