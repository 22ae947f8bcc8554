/**
 * The transcript against what the agent sent (as the tap saw it): for each agent message, the text the
 * room kept must be a prefix of the text the agent streamed (nothing it did not send, nothing twice) and
 * must hold every delta the room acknowledged (nothing acknowledged lost). Where the agent lived on, the
 * two are equal.
 */
import type { TranscriptMessage } from "../../worker/session/transcript-doc";
import { textOf } from "./api";
import type { FrameRecorder } from "./tap";

export interface AgentMessage {
  id: string;
  incarnation: string;
  deltas: { seq: number; text: string }[];
}

export function agentMessages(tap: FrameRecorder, sessionId: string): Map<string, AgentMessage> {
  const messages = new Map<string, AgentMessage>();
  for (const { incarnation, frame } of tap.sent(sessionId)) {
    if (frame.type === "message_start") messages.set(frame.id, { id: frame.id, incarnation, deltas: [] });
    else if (frame.type === "text_delta")
      messages.get(frame.id)?.deltas.push({ seq: frame.seq, text: frame.text });
  }
  return messages;
}

export interface CheckResult {
  frames: number;
  bytes: number;
  /** Messages kept whole: their agent lived on, or every delta was acknowledged. */
  whole: number;
  /** Messages cut short by an agent that died (a prefix kept, every acknowledged delta in it). */
  cut: number;
}

export function checkTranscript(
  messages: TranscriptMessage[],
  tap: FrameRecorder,
  sessionId: string,
  liveIncarnation: string | null,
): CheckResult {
  const sent = agentMessages(tap, sessionId);
  const result: CheckResult = { frames: 0, bytes: 0, whole: 0, cut: 0 };
  const seen = new Set<string>();
  for (const message of messages.filter((m) => m.role === "assistant")) {
    const agent = sent.get(message.id);
    if (!agent) throw new Error(`message ${message.id} is in the transcript but the agent never sent it`);
    seen.add(message.id);
    const all = agent.deltas.map((d) => d.text).join("");
    const ackedUpTo = tap.acked(sessionId, agent.incarnation);
    const acked = agent.deltas
      .filter((d) => d.seq <= ackedUpTo)
      .map((d) => d.text)
      .join("");
    const kept = textOf(message);
    if (!all.startsWith(kept))
      throw new Error(
        `message ${message.id}: the transcript holds text the agent did not send (or twice):\n kept: ${kept.slice(0, 300)}\n sent: ${all.slice(0, 300)}`,
      );
    if (!kept.startsWith(acked))
      throw new Error(
        `message ${message.id}: acknowledged text is missing (${kept.length} of ${acked.length} acknowledged characters kept)`,
      );
    const allAcked = agent.deltas.every((d) => d.seq <= ackedUpTo);
    if (agent.incarnation === liveIncarnation || allAcked) {
      if (kept !== all)
        throw new Error(
          `message ${message.id}: ${kept.length} of ${all.length} characters kept though ${allAcked ? "all were acknowledged" : "its agent lived on"}`,
        );
      result.whole++;
    } else {
      result.cut++;
    }
    result.frames += agent.deltas.length;
    result.bytes += Buffer.byteLength(kept);
  }
  for (const agent of sent.values()) {
    const acked = agent.deltas.some((d) => d.seq <= tap.acked(sessionId, agent.incarnation));
    if (acked && !seen.has(agent.id))
      throw new Error(`message ${agent.id} was acknowledged but is not in the transcript`);
  }
  return result;
}
