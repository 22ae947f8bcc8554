/**
 * What each agent frame does to a session. Frames arrive in order; the room applies them in batches
 * (one Yjs transaction a batch) and skips any it has applied before (seq ≤ the last applied).
 */
import { SAVE_PROGRESS_STEP, type FromAgentFrame, type ModelUsage } from "../protocol/agent";
import type { Ending } from "./record";
import type { SessionState } from "./state";
import type { RoomStore } from "./storage";

export interface FrameEffects {
  /** The agent is ready: queued input may go out now. */
  agentReady(): void;
  /** The agent's last frame (stopped, completed or a fatal error): `event` applies once its workspace is stored. */
  agentFinished(event: Ending["event"], reason: string): void;
  /** An artifact was written: keep its bytes. */
  artifactWritten(name: string, size: number): void;
  /** The workspace was archived: store it. */
  workspaceArchived(size: number, overLimit: boolean): void;
  /** The agent says it is archiving its workspace (and so is not hung while a run ends). */
  agentSaving(): void;
  /** A model request's usage: count it once, price it and report it (usage-ledger.ts). */
  modelUsed(usage: ModelUsage): void;
  /** After the clone: the setup's warm-start key; the saved environment goes to the agent, or word that there is none. */
  environmentWanted(key: string): void;
  /** The setup succeeded and its workspace is archived under `key`: keep it for the next session. */
  environmentArchived(key: string, size: number, overLimit: boolean): void;
}

export function applyAgentFrame(
  frame: FromAgentFrame,
  state: SessionState,
  store: RoomStore,
  effects: FrameEffects,
  now: number,
): void {
  const record = state.record;
  const transcript = state.transcript;
  if (!record || !transcript) return;
  switch (frame.type) {
    case "progress":
      if (frame.step === SAVE_PROGRESS_STEP) effects.agentSaving();
      // A new incarnation provisions again while the session is Running: that is an event, not a step.
      if (record.phase === "Creating") state.setStep(frame.detail ?? frame.step);
      // A save said every few seconds is not news.
      else if (frame.step === SAVE_PROGRESS_STEP) return;
      else store.appendEvent({ at: now, type: "progress", reason: frame.detail ?? frame.step });
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
    case "workspace_archive":
      effects.workspaceArchived(frame.size, frame.overLimit);
      return;
    case "usage":
      effects.modelUsed(frame);
      return;
    case "notice":
      // A deprecated model is said once a session, however often its agent starts again.
      if (frame.kind === "model_deprecated" && store.hasEvent(frame.kind)) return;
      store.appendEvent({ at: now, type: frame.kind, reason: frame.detail });
      return;
    case "mcp_status":
      transcript.setInfo({ mcpServers: frame.servers });
      return;
    case "turn_error":
      transcript.applyAgentFrame(frame, now);
      store.appendEvent({ at: now, type: "turn_error", reason: frame.message });
      return;
    case "environment_key":
      effects.environmentWanted(frame.key);
      return;
    case "environment_archive":
      effects.environmentArchived(frame.key, frame.size, frame.overLimit);
      return;
    case "setup_end":
      transcript.applyAgentFrame(frame, now);
      if (frame.status === "restored")
        store.appendEvent({
          at: now,
          type: "environment_restored",
          reason: "the saved environment was restored; the setup did not run",
        });
      if (frame.status === "error")
        store.appendEvent({
          at: now,
          type: "setup_failed",
          reason: `the setup exited with ${frame.exitCode ?? "a signal"}`,
        });
      return;
    case "stopped":
      effects.agentFinished("stopped", "agent stopped");
      return;
    case "completed":
      effects.agentFinished("complete", "agent finished its work");
      return;
    case "error":
      store.appendEvent({ at: now, type: "error", reason: frame.message });
      effects.agentFinished("agent_lost", frame.message);
      return;
    default:
      transcript.applyAgentFrame(frame, now);
  }
}
