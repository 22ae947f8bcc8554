/**
 * A new agent process answered where the room knew another (the host or its container restarted): what the
 * previous one was doing is reported, and the session goes on.
 */
import type { SessionState } from "./state";
import type { RoomStore } from "./storage";
import { TURN_LOST_TEXT } from "./transcript-doc";

export function incarnationLost(state: SessionState, store: RoomStore): void {
  const record = state.record;
  if (!record) return;
  const now = Date.now();
  store.appendEvent({
    at: now,
    type: "agent_restarted",
    reason: "a new agent process answered; the previous one is gone",
  });
  if (record.agentStatus !== "idle") {
    store.appendEvent({
      at: now,
      type: "turn_lost",
      reason: "the turn in progress was lost with the previous agent process",
    });
    state.transcript?.addSystemError(`turn-lost-${now}`, TURN_LOST_TEXT, now);
  }
  state.transcript?.closeRunningTools("the agent restarted before this tool finished", now);
  state.transcript?.closePendingApprovals(
    "the agent restarted before anyone answered; Claude asks again if it still needs to",
  );
  state.setAgentStatus("idle");
  // An ending waited for that agent; it can save nothing newer now.
  state.run.agentGone();
}
