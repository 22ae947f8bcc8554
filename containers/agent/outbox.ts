/** Agent → DO frames: numbered, kept until acknowledged, and replayed to a reconnected socket. */
import type { WebSocket } from "ws";
import {
  STREAMED_TEXT_FRAMES,
  STREAM_NEUTRAL_FRAMES,
  fitFrame,
  type FromAgentFrame,
} from "@tandem/protocol/agent";
import { StreamRedaction } from "@tandem/protocol/redaction";
import type { Redactor } from "./secrets";

type TextStream = { type: (typeof STREAMED_TEXT_FRAMES)[number]; id: string };

type WithoutSeq<T> = T extends unknown ? Omit<T, "seq"> : never;
/** A frame before the outbox numbers it. */
export type OutFrame = WithoutSeq<FromAgentFrame>;

export class Outbox {
  #seq = 0;
  #unacked: FromAgentFrame[] = [];
  #socket: WebSocket | null = null;
  readonly #redactor: Redactor;
  /** Streamed text, redacted across deltas: a tail that could still become a secret waits for the next. */
  readonly #streams: StreamRedaction<TextStream>;

  constructor(redactor: Redactor) {
    this.#redactor = redactor;
    this.#streams = new StreamRedaction(redactor, (stream) => `${stream.type}:${stream.id}`);
  }

  /**
   * Numbers a frame and sends it now if a socket is attached; it stays buffered until acked either way.
   * Redacting here is the agent's last line: no secret leaves it in any frame. A delta whose text is all
   * held back is not sent; what a stream holds goes out before any frame of another stream or of the
   * conversation (a usage report or an archive's progress, which can come mid-stream, does not release it).
   */
  send(frame: OutFrame): void {
    // A setup's output is streamed like the model's text: a secret may be cut between two chunks.
    if (frame.type === "text_delta" || frame.type === "thinking_delta" || frame.type === "setup_output") {
      const stream: TextStream = { type: frame.type, id: frame.id };
      this.#flushStreams(stream);
      const text = this.#streams.push(stream, frame.text);
      if (text || (frame.type === "thinking_delta" && frame.signature))
        this.#number(this.#redactor.deep({ ...frame, text: "" }), text);
      return;
    }
    // A usage report or an archive's progress can arrive mid-stream: it does not release held text.
    if (!STREAM_NEUTRAL_FRAMES.has(frame.type)) this.#flushStreams();
    this.#number(fitFrame(this.#redactor.deep(frame)));
  }

  #flushStreams(except?: TextStream): void {
    for (const { stream, text } of this.#streams.flush(except))
      if (text) this.#number({ ...stream, text }, text);
  }

  /** `text`, already redacted as part of its stream, replaces the frame's own. */
  #number(frame: OutFrame, text?: string): void {
    const numbered = {
      ...frame,
      ...(text === undefined ? {} : { text }),
      seq: ++this.#seq,
    } as FromAgentFrame;
    this.#unacked.push(numbered);
    this.#write(numbered);
  }

  ack(upTo: number): void {
    if (this.#unacked.length && this.#unacked[0].seq <= upTo)
      this.#unacked = this.#unacked.filter((f) => f.seq > upTo);
  }

  /** Attaches a (re)connected socket and replays every frame after `ackedUpTo` in order. */
  attach(socket: WebSocket, ackedUpTo: number): void {
    this.#socket = socket;
    this.ack(ackedUpTo);
    for (const frame of this.#unacked) this.#write(frame);
  }

  detach(socket: WebSocket): boolean {
    if (this.#socket !== socket) return false;
    this.#socket = null;
    return true;
  }

  get socket(): WebSocket | null {
    return this.#socket;
  }

  get unackedCount(): number {
    return this.#unacked.length;
  }

  #write(frame: FromAgentFrame): void {
    if (this.#socket?.readyState === 1 /* OPEN */) this.#socket.send(JSON.stringify(frame));
  }
}
