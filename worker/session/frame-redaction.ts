/**
 * The room's redaction of what its agent sends: the last line a secret must never cross, whatever the
 * agent does. Whole frames are redacted as they come; streamed text is redacted across deltas, holding
 * back a tail that could still become a secret until the next delta, a frame of the conversation (not a
 * usage report or an archive's: STREAM_NEUTRAL_FRAMES), or the agent's end.
 */
import { STREAM_NEUTRAL_FRAMES, type FromAgentFrame } from "../protocol/agent";
import { Redaction, StreamRedaction } from "../protocol/redaction";

type Delta = Extract<FromAgentFrame, { type: "text_delta" | "thinking_delta" | "setup_output" }>;
type TextStream = Pick<Delta, "type" | "id"> & { seq: number };

export class FrameRedaction {
  #redaction = new Redaction([]);
  readonly #streams = new StreamRedaction<TextStream>(
    this.#redaction,
    (stream) => `${stream.type}:${stream.id}`,
  );

  /** The secrets as last loaded: artifacts pass them too. */
  get secrets(): Redaction {
    return this.#redaction;
  }

  /** The workspace's secret values, loaded at every agent (re)connect. */
  setSecrets(values: string[]): void {
    this.#redaction = new Redaction(values);
    this.#streams.redaction = this.#redaction;
  }

  /** The frames to apply for one frame from the agent, in order: held text of other streams, then the frame. */
  frames(frame: FromAgentFrame): FromAgentFrame[] {
    if (STREAM_NEUTRAL_FRAMES.has(frame.type)) return [this.#redaction.deep(frame)];
    // A setup's output is a stream too: a secret may be cut between two of its chunks.
    if (frame.type !== "text_delta" && frame.type !== "thinking_delta" && frame.type !== "setup_output")
      return [...this.release(), this.#redaction.deep(frame)];
    const stream: TextStream = { type: frame.type, id: frame.id, seq: frame.seq };
    const released = this.#released(this.#streams.flush(stream));
    const text = this.#streams.push(stream, frame.text);
    const carriesSignature = frame.type === "thinking_delta" && frame.signature;
    if (!text && !carriesSignature) return released;
    return [...released, { ...this.#redaction.deep(frame), text }];
  }

  /** Everything held, as deltas of their streams: before another frame, or when the agent is gone. */
  release(): FromAgentFrame[] {
    return this.#released(this.#streams.flush());
  }

  #released(held: { stream: TextStream; text: string }[]): FromAgentFrame[] {
    return held.filter(({ text }) => text).map(({ stream, text }) => ({ ...stream, text }));
  }
}
