import type { AgentStatus } from "../protocol/agent";
import type { Phase } from "../protocol/lifecycle";
import type { Actor, Origin, SessionView } from "../protocol/session";
import {
  urlHasCredentials,
  withoutCredentials,
  type Repo,
  type SessionConfig,
  type Workflow,
} from "../protocol/session-config";
import { NO_USAGE, type SessionUsage } from "../protocol/usage";

// The room's files name these through the record; their one definition is the protocol's.
export type { Actor, Origin, SessionView };

/** Everything the SessionRoom knows about its session, kept in DO storage (the truth). */
export interface SessionRecord {
  id: string;
  workspaceId: string;
  displayName: string;
  config: SessionConfig;
  repos: Repo[];
  workflow: string | null;
  /** The workflow's text as it was when chosen (a workspace's own may change or go later); unset for records older than it. */
  workflowDefinition?: Workflow | null;
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
  /** Active time when the current run began: the timeout applies to each run (a Resume starts one). */
  runBaseMs: number;
  /** The agent incarnation the DO hears from; null before the first hello of a run. */
  agentIncarnation: string | null;
  /** Since when the agent has been idle or waiting for input while Running; null otherwise. */
  idleSince: number | null;
  /** The workspace's idleStopMinutes, as last read. */
  idleStopMinutes: number;
  /** The latest workspace archive stored in R2 (restored before a resumed agent starts). */
  savedWorkspace: { size: number; savedAt: number } | null;
  /** The agent announced an archive not stored yet (fetched again after a restart). */
  archivePending: boolean;
  /** Set while the session ends: `event` applies once the agent is done and its workspace stored. */
  ending: Ending | null;
  /** The pull request the last push opened (unset before the first). */
  pullRequestUrl?: string | null;
  /** Summed from each turn's usage (usage.ts keeps the turns); a new session, clones included, starts at zero. */
  usage: SessionUsage;
}

export interface Ending {
  /** Applied when the run ends; a phase that refuses it applies `agent_lost` (lifecycle.ts decides). */
  event: "stopped" | "complete" | "fail" | "agent_lost";
  reason: string;
  /** The agent sent its last frame (stopped, completed or error). */
  agentDone: boolean;
  /** Past this, an agent that has not answered is let go and `event` applies anyway. */
  deadline: number;
  /** When the ending began: an agent saying it saves moves the deadline, up to ENDING_MAX_MS after this. */
  since?: number;
}

/**
 * Fields a record stored before they existed gets on load; and a repository URL stored with credentials
 * before they were refused loses them here, so no view, export, clone, agent or saved `.git/config` ever
 * carries them (a GITHUB_TOKEN secret reaches git instead).
 */
export function withDefaults(record: SessionRecord, idleStopMinutes: number): SessionRecord {
  record.repos = record.repos.map((repo) =>
    urlHasCredentials(repo.url) ? { ...repo, url: withoutCredentials(repo.url) } : repo,
  );
  record.config.interactive ??= true;
  record.config.effort ??= null;
  record.config.permissionMode ??= "auto";
  record.runBaseMs ??= 0;
  record.agentIncarnation ??= null;
  record.idleSince ??= null;
  record.idleStopMinutes ??= idleStopMinutes;
  record.savedWorkspace ??= null;
  record.archivePending ??= false;
  record.ending ??= null;
  record.usage ??= { ...NO_USAGE };
  return record;
}

/** The session as the API returns it (worker/protocol/session.ts). */
export function sessionView(record: SessionRecord, now: number): SessionView {
  return {
    id: record.id,
    workspaceId: record.workspaceId,
    displayName: record.displayName,
    model: record.config.model,
    temperature: record.config.temperature,
    maxTokens: record.config.maxTokens,
    timeoutSeconds: record.config.timeoutSeconds,
    thinking: record.config.thinking,
    effort: record.config.effort,
    interactive: record.config.interactive,
    permissionMode: record.config.permissionMode,
    phase: record.phase,
    agentStatus: record.agentStatus,
    step: record.step,
    repos: record.repos.map((repo) => ({ ...repo, url: withoutCredentials(repo.url) })),
    workflow: record.workflow,
    origin: record.origin,
    createdBy: record.createdBy,
    createdAt: record.createdAt,
    updatedAt: record.updatedAt,
    activeSeconds: Math.floor(activeMs(record, now) / 1000),
    awaitingApproval: record.awaitingApproval === true,
    runSeconds: Math.floor(runMs(record, now) / 1000),
    savedWorkspace: record.savedWorkspace,
    pullRequestUrl: record.pullRequestUrl ?? null,
    usage: record.usage,
  };
}

export function activeMs(record: SessionRecord, now: number): number {
  return record.activeMs + (record.activeSince === null ? 0 : Math.max(0, now - record.activeSince));
}

/** Active time of the current run (since its Creating). */
export function runMs(record: SessionRecord, now: number): number {
  return activeMs(record, now) - record.runBaseMs;
}

export function remainingMs(record: SessionRecord, now: number): number {
  return record.config.timeoutSeconds * 1000 - runMs(record, now);
}
