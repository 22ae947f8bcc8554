/**
 * What each agent frame does to a session. Frames arrive in order; the room applies them in batches
 * (one Yjs transaction a batch) and skips any it has applied before (seq ≤ the last applied).
 */
import type { FromAgentFrame } from "../protocol/agent";
import type { LifecycleEvent } from "./lifecycle";
import type { SessionState } from "./state";
import type { RoomStore } from "./storage";

export interface FrameEffects {
  /** The agent is ready: queued input may go out now. */
  agentReady(): void;
  /** The agent is done (stopped, completed or failed): apply `event` and let go of it. */
  agentFinished(event: LifecycleEvent, reason: string): void;
  /** An artifact was written: keep its bytes. */
  artifactWritten(name: string, size: number): void;
}

export function applyAgentFrame(frame: FromAgentFrame, state: SessionState, store: RoomStore, effects: FrameEffects, now: number): void {
  const record = state.record;
  const transcript = state.transcript;
  if (!record || !transcript) return;
  switch (frame.type) {
    case "progress":
      state.setStep(frame.detail ?? frame.step);
      return;
    case "ready":
      state.apply("ready", { reason: `agent ready (${frame.model} model)` });
      transcript.setInfo({ agentModel: frame.model });
      effects.agentReady();
      return;
    case "status":
      state.setAgentStatus(frame.state);
      return;
    case "input_consumed":
      state.markConsumed(frame.upTo);
      return;
    case "artifact":
      effects.artifactWritten(frame.name, frame.size);
      return;
    case "turn_end":
      return;
    case "turn_error":
      transcript.applyAgentFrame(frame, now);
      store.appendEvent({ at: now, type: "turn_error", reason: frame.message });
      return;
    case "stopped":
      effects.agentFinished("stopped", "agent stopped");
      return;
    case "completed":
      effects.agentFinished("complete", "agent finished");
      return;
    case "error":
      store.appendEvent({ at: now, type: "error", reason: frame.message });
      effects.agentFinished(record.phase === "Stopping" ? "stopped" : "fail", frame.message);
      return;
    default:
      transcript.applyAgentFrame(frame, now);
  }
}
