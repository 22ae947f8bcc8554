/**
 * The session's clocks, as pure functions of its record: the timeout of the current run, the idle stop,
 * and the deadline of an ending agent. The room's one alarm rings at the earliest of them (and of the
 * callbacks due); what is due when it rings is decided here.
 */
import { ACTIVE_PHASES, AGENT_PHASES } from "../protocol/lifecycle";
import { remainingMs, type SessionRecord } from "./record";

/** How long an agent asked to stop may take before it is let go (a healthy one answers in well under 2 s). */
export const ENDING_DEADLINE_MS = 10_000;
/** An agent that keeps saying it saves its workspace gets a new deadline each time, but no more than this after the ending began. */
export const ENDING_MAX_MS = 5 * 60_000;
/**
 * While an agent may be connected the alarm also rings this often, so a room restarted with nobody
 * watching reattaches well within the agent's grace period (60 s) and nothing of its turn is lost.
 */
export const AGENT_WATCH_MS = 20_000;

export type DueAction = "ending_overdue" | "timeout" | "idle_stop";

/** When each clock rings, or null when it does not run. */
export function clockTimes(
  record: SessionRecord,
  now: number,
): { timeoutAt: number | null; idleStopAt: number | null; endingAt: number | null; watchAt: number | null } {
  const ending = record.ending;
  const timeoutAt =
    !ending && ACTIVE_PHASES.has(record.phase) ? now + Math.max(0, remainingMs(record, now)) : null;
  const idleStopAt =
    !ending && record.phase === "Running" && record.idleSince !== null
      ? record.idleSince + record.idleStopMinutes * 60_000
      : null;
  const endingAt = ending && !ending.agentDone ? ending.deadline : null;
  const watchAt = AGENT_PHASES.has(record.phase) ? now + AGENT_WATCH_MS : null;
  return { timeoutAt, idleStopAt, endingAt, watchAt };
}

/** The earliest time any clock rings, or null. */
export function nextClockAt(record: SessionRecord | null, now: number): number | null {
  if (!record) return null;
  const times = Object.values(clockTimes(record, now)).filter((at): at is number => at !== null);
  return times.length > 0 ? Math.min(...times) : null;
}

/** What is due at `now`: an overdue ending first, then the timeout, then the idle stop. */
export function dueAction(record: SessionRecord | null, now: number): DueAction | null {
  if (!record) return null;
  const { timeoutAt, idleStopAt, endingAt } = clockTimes(record, now);
  if (endingAt !== null && endingAt <= now) return "ending_overdue";
  if (timeoutAt !== null && remainingMs(record, now) <= 0) return "timeout";
  if (idleStopAt !== null && idleStopAt <= now) return "idle_stop";
  return null;
}
