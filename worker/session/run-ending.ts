/**
 * How a run ends (stop, idle stop, timeout, completion, fatal error, a lost agent): the ending is kept in
 * the record, the agent is asked to stop, and the ending's lifecycle event applies only once the agent is
 * done and its workspace stored, or at the deadline. lifecycle.ts decides where the session lands.
 */
import { ENDING_DEADLINE_MS, ENDING_MAX_MS } from "./clock";
import type { Ending } from "./record";
import type { SessionState } from "./state";
import type { RoomStore } from "./storage";

/** What the ending needs from the run. */
export interface RunEndingHost {
  readonly state: SessionState;
  readonly store: RoomStore;
  scheduleAlarm(): void;
  /** Whether a link to the agent is open or being (re)opened. */
  linked(): boolean;
  /** Asks the agent to stop (now, or once a reconnecting link is up). */
  sendStop(): void;
  /** A workspace save is still streaming into R2: the ending waits for it. */
  saving(): boolean;
  /** Acknowledges every applied frame, so the agent does not replay them. */
  sendAck(): void;
  /** Lets the agent go. */
  release(reason: string): void;
}

export class RunEnding {
  readonly #host: RunEndingHost;

  constructor(host: RunEndingHost) {
    this.#host = host;
  }

  /** Asks the agent to stop; `request.event` applies once it is done and its workspace stored. */
  end(request: Pick<Ending, "event" | "reason">): void {
    const record = this.#host.state.record;
    if (!record || record.ending) return;
    const now = Date.now();
    this.#host.state.run.beginEnding(request, now, now + ENDING_DEADLINE_MS);
    this.#host.scheduleAlarm();
    if (!this.#host.linked()) return this.finish("no agent connected");
    this.#host.sendStop();
  }

  /** The agent's last frame (stopped, completed, error): its event applies unless the room was already ending the run. */
  agentDone(event: Ending["event"], reason: string): void {
    if (!this.#host.state.record) return;
    this.#host.state.run.agentDone(event, reason, Date.now());
    this.settle();
  }

  /**
   * The agent says it is archiving its workspace: while a run ends, that is an agent at work, not a hung
   * one (a large workspace takes longer to archive than the stop's deadline), so the deadline moves, up to
   * ENDING_MAX_MS after the ending began.
   */
  agentSaving(): void {
    const ending = this.#host.state.record?.ending;
    if (!ending || ending.agentDone) return;
    const now = Date.now();
    const deadline = Math.min(
      now + ENDING_DEADLINE_MS,
      (ending.since ?? ending.deadline - ENDING_DEADLINE_MS) + ENDING_MAX_MS,
    );
    if (deadline <= ending.deadline) return;
    this.#host.state.run.extendEnding(deadline);
    this.#host.scheduleAlarm();
  }

  /** The agent did not answer a stop in time: the run ends with what was saved. */
  overdue(): void {
    const seconds = ENDING_DEADLINE_MS / 1000;
    this.#host.store.appendEvent({
      at: Date.now(),
      type: "agent_unresponsive",
      reason: `the agent did not stop within ${seconds} s; the workspace is as it was last saved`,
    });
    this.finish();
  }

  /** Applies the ending once the agent is done and no save is still streaming. */
  settle(): void {
    if (this.#host.state.record?.ending?.agentDone && !this.#host.saving()) this.finish();
  }

  /** Applies the ending (Stopped, Completed or Failed) and lets the agent go. */
  finish(reason?: string): void {
    const { state } = this.#host;
    const ending = state.run.takeEnding();
    if (!ending) return;
    // Acknowledged before the socket closes, so the agent does not replay what was applied.
    this.#host.sendAck();
    this.#host.release(reason ?? ending.reason);
    state.setAgentStatus("idle");
    const detail = { reason: reason ?? ending.reason };
    // An ending the phase refuses (a completion while Creating, a timeout while Stopping) is an agent lost.
    if (!state.apply(ending.event, detail)) state.apply("agent_lost", detail);
    state.save();
  }
}
