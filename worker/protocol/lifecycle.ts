/**
 * The session lifecycle as data: one table of transitions and one function that applies it.
 * Nothing else in the code decides whether a phase may change.
 */
export const PHASES = [
  "Pending",
  "Creating",
  "Running",
  "Stopping",
  "Stopped",
  "Completed",
  "Failed",
] as const;
export type Phase = (typeof PHASES)[number];

/**
 * `agent_lost`: the run's agent is gone (lost, unreachable, a fatal error) or its own ending does not fit
 * the phase. The run fails, except while it stops: a stop the agent could not finish still ends in Stopped.
 */
export const LIFECYCLE_EVENTS = [
  "provision",
  "ready",
  "stop",
  "stopped",
  "complete",
  "fail",
  "agent_lost",
  "resume",
] as const;
export type LifecycleEvent = (typeof LIFECYCLE_EVENTS)[number];

const TRANSITIONS: Record<Phase, Partial<Record<LifecycleEvent, Phase>>> = {
  Pending: { provision: "Creating", fail: "Failed", agent_lost: "Failed" },
  Creating: { ready: "Running", stop: "Stopping", fail: "Failed", agent_lost: "Failed" },
  Running: { stop: "Stopping", complete: "Completed", fail: "Failed", agent_lost: "Failed" },
  Stopping: { stopped: "Stopped", agent_lost: "Stopped" },
  Stopped: { resume: "Pending" },
  Completed: { resume: "Pending" },
  Failed: { resume: "Pending" },
};

/** Phases whose time counts against the session's timeout budget. */
export const ACTIVE_PHASES: ReadonlySet<Phase> = new Set(["Creating", "Running", "Stopping"]);
/** Phases in which an agent may be connected. */
export const AGENT_PHASES: ReadonlySet<Phase> = new Set(["Creating", "Running", "Stopping"]);
/** Phases in which a person's message is accepted: queued until the agent is ready, then read. */
export const INPUT_PHASES: ReadonlySet<Phase> = new Set(["Pending", "Creating", "Running"]);

export type Transition = { ok: true; phase: Phase } | { ok: false; phase: Phase };

/** The phase after `event`, or `ok: false` with the unchanged phase when the event is not allowed. */
export function transition(phase: Phase, event: LifecycleEvent): Transition {
  const next = TRANSITIONS[phase][event];
  return next ? { ok: true, phase: next } : { ok: false, phase };
}

export function canApply(phase: Phase, event: LifecycleEvent): boolean {
  return TRANSITIONS[phase][event] !== undefined;
}
