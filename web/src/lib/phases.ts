/** What the UI offers in each phase: the API has the last word and answers 409 otherwise. */
import { AGENT_PHASES, INPUT_PHASES, canApply } from "./config";
import type { AgentStatus, Phase, Role } from "./api";

/** A time as the API sends it (ms since the epoch); an ISO string is read too. */
export type Timestamp = number | string;

export { PHASES } from "./config";

export type Operation = "stop" | "resume" | "clone" | "delete" | "edit" | "chat";

/** Phases whose clock the header shows: the budget is spent from Creating on, and Pending is about to. */
const ACTIVE: readonly Phase[] = ["Pending", "Creating", "Running", "Stopping"];

const allowedIn: Record<Operation, (phase: Phase) => boolean> = {
  stop: (p) => canApply(p, "stop"),
  resume: (p) => canApply(p, "resume"),
  clone: () => true,
  // Deleting also ends a live agent, so it is offered in every phase (after a confirmation).
  delete: () => true,
  // Repositories and workflow are applied when the agent starts: they change only while none is connected.
  edit: (p) => !AGENT_PHASES.has(p),
  // Before Running, a message waits for the agent; after it, nobody reads it.
  chat: (p) => INPUT_PHASES.has(p),
};

export function canOperate(role: Role | undefined): boolean {
  return role === "owner" || role === "editor";
}

export function allowed(op: Operation, phase: Phase, role: Role | undefined): boolean {
  return canOperate(role) && allowedIn[op](phase);
}

export function isActive(phase: Phase): boolean {
  return ACTIVE.includes(phase);
}

/** What each phase means, for the badge's tooltip. */
export const PHASE_MEANING: Record<Phase, string> = {
  Pending: "Accepted, waiting to be scheduled",
  Creating: "Provisioning the container, cloning repositories, injecting secrets",
  Running: "The agent is active and accepts messages",
  Stopping: "A stop was requested: the agent cancels what runs and the workspace is saved",
  Stopped: "Stopped by a person or after idle time; can be resumed",
  Completed: "The agent finished its work on its own; can be resumed",
  Failed: "Something went wrong (see Events); can be resumed",
};

export const AGENT_STATUS_LABEL: Record<AgentStatus, string> = {
  working: "Working",
  idle: "Idle",
  waiting_input: "Waiting for input",
};

/** The one thing a person needs to know about a session at a glance: the status chip, in the session and the list. */
export type SessionStatus = "working" | "waiting" | "idle" | "ended";

export const STATUS_LABEL: Record<SessionStatus, string> = {
  working: "Working",
  waiting: "Waiting for you",
  idle: "Idle",
  ended: "Ended",
};

/**
 * The status chip's state. A session on its way (Pending, Creating) or on its way out (Stopping) counts as
 * working: something happens without a person. One that waits for a person's answer or approval is waiting.
 */
export function statusOf(
  phase: Phase,
  agentStatus: AgentStatus | null,
  awaitingApproval = false,
): SessionStatus {
  switch (phase) {
    case "Stopped":
    case "Completed":
    case "Failed":
      return "ended";
    case "Pending":
      return awaitingApproval ? "waiting" : "working";
    case "Creating":
    case "Stopping":
      return "working";
    case "Running":
      if (agentStatus === "working") return "working";
      if (agentStatus === "waiting_input") return "waiting";
      return "idle";
  }
}

/** What the composer of an owner or editor says: why it is closed, or when the agent reads what is sent. */
export function composerHint(
  phase: Phase,
  agentStatus: AgentStatus | null,
  awaitingApproval: boolean,
): string {
  switch (phase) {
    case "Completed":
      return "The agent finished its work and the session is Completed: resume it to send more.";
    case "Stopped":
      return "The session is Stopped: resume it to send more.";
    case "Failed":
      return "The session failed (its events say why): resume it to try again.";
    case "Stopping":
      return "The session is stopping: messages are accepted while it runs.";
    case "Pending":
      if (awaitingApproval)
        return "This session waits for an owner or editor to approve it: a message sent now waits for the agent…";
      return "The agent is starting: your message waits for it…";
    case "Creating":
      return "The agent is starting: your message waits for it…";
    case "Running":
      if (agentStatus === "waiting_input") return "Answer the agent's question…";
      if (agentStatus === "working") return "The agent reads this after its current step…";
      return "Message the agent…";
  }
}

/**
 * Why a session that ended is where it is, from the reason of the phase change that brought it there
 * (its last `phase` event): for the notice above the composer. Null when there is nothing to explain.
 */
export function endingNote(
  phase: Phase,
  reason: string | undefined,
  interactive: boolean | null,
): { title: string; text: string } | null {
  switch (phase) {
    case "Completed":
      return {
        title: "Completed.",
        text:
          interactive === false
            ? "The agent finished on its own: this session ends when a turn ends with no message queued."
            : "The agent finished its work.",
      };
    case "Stopped":
      return reason === "idle"
        ? {
            title: "Stopped while idle.",
            text: "The agent waited longer than the workspace's idle stop. Its files are saved.",
          }
        : { title: "Stopped.", text: "Its files are saved." };
    case "Failed":
      return reason === "timeout"
        ? { title: "Timed out.", text: "This run reached the session's timeout. Its files are saved." }
        : { title: "Failed.", text: reason ? `Reason: ${reason}.` : "The session's events say why." };
    default:
      return null;
  }
}

/** Seconds of the run's timeout budget left: its stored active time plus the running stretch since `activeSince`. */
export function remainingSeconds(
  timeoutSeconds: number,
  runSeconds: number,
  activeSince: number | null,
  now: number,
): number {
  const running = activeSince === null ? 0 : Math.max(0, (now - activeSince) / 1000);
  return Math.max(0, Math.floor(timeoutSeconds - runSeconds - running));
}

export function formatDuration(seconds: number): string {
  const s = Math.max(0, Math.round(seconds));
  const m = Math.floor(s / 60);
  const h = Math.floor(m / 60);
  if (h > 0) return `${h}h ${String(m % 60).padStart(2, "0")}m`;
  return `${m}:${String(s % 60).padStart(2, "0")}`;
}

export function formatBytes(n: number): string {
  if (n < 1024) return `${n} B`;
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(1)} KB`;
  return `${(n / 1024 / 1024).toFixed(1)} MB`;
}

/** "3 min ago" style ages for lists. */
export function toMs(t: Timestamp): number {
  return typeof t === "number" ? t : Date.parse(t);
}

export function age(at: Timestamp, now: number): string {
  const t = toMs(at);
  if (Number.isNaN(t)) return "";
  const s = Math.max(0, Math.round((now - t) / 1000));
  if (s < 60) return "just now";
  const m = Math.floor(s / 60);
  if (m < 60) return `${m} min ago`;
  const h = Math.floor(m / 60);
  if (h < 24) return `${h} h ago`;
  return `${Math.floor(h / 24)} d ago`;
}
