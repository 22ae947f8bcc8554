import { z } from "zod";
import type { AgentStatus } from "../protocol/agent";
import type { Repo, SessionConfig } from "../protocol/session-config";
import type { Phase } from "./lifecycle";

export const OriginSchema = z.discriminatedUnion("kind", [
  z.object({ kind: z.literal("person") }),
  z.object({
    kind: z.literal("trigger"),
    triggerId: z.string(),
    triggerName: z.string(),
    deliveryId: z.string().nullable(),
  }),
]);
export type Origin = z.infer<typeof OriginSchema>;

export interface Actor {
  id: string;
  name: string;
}

/** Everything the SessionRoom knows about its session, kept in DO storage (the truth). */
export interface SessionRecord {
  id: string;
  workspaceId: string;
  displayName: string;
  config: SessionConfig;
  repos: Repo[];
  workflow: string | null;
  origin: Origin;
  createdBy: Actor;
  createdAt: number;
  updatedAt: number;
  phase: Phase;
  agentStatus: AgentStatus;
  /** Provisioning step shown during Creating ("cloning repo 1 of 2"). */
  step: string | null;
  /** Time spent in active phases before `activeSince`. */
  activeMs: number;
  /** When the current active stretch began; null outside active phases. */
  activeSince: number | null;
  /** The last agent frame applied (and acknowledged). */
  agentSeq: number;
  /** The last sequence number given to a person's input. */
  inputSeq: number;
  /** The last input the agent has read. */
  consumedSeq: number;
  /** Started by a trigger that requires approval, and not approved yet: waits in Pending. */
  awaitingApproval?: boolean;
}

/** The session as the API returns it (SPEC §9). */
export function sessionView(record: SessionRecord, now: number) {
  return {
    id: record.id,
    workspaceId: record.workspaceId,
    displayName: record.displayName,
    model: record.config.model,
    temperature: record.config.temperature,
    maxTokens: record.config.maxTokens,
    timeoutSeconds: record.config.timeoutSeconds,
    thinking: record.config.thinking,
    phase: record.phase,
    agentStatus: record.agentStatus,
    step: record.step,
    repos: record.repos,
    workflow: record.workflow,
    origin: record.origin,
    createdBy: record.createdBy,
    createdAt: record.createdAt,
    updatedAt: record.updatedAt,
    activeSeconds: Math.floor(activeMs(record, now) / 1000),
    awaitingApproval: record.awaitingApproval === true,
  };
}
export type SessionView = ReturnType<typeof sessionView>;

export function activeMs(record: SessionRecord, now: number): number {
  return record.activeMs + (record.activeSince === null ? 0 : Math.max(0, now - record.activeSince));
}

export function remainingMs(record: SessionRecord, now: number): number {
  return record.config.timeoutSeconds * 1000 - activeMs(record, now);
}
