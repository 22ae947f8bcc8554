/**
 * What the DO ↔ agent link carried, kept from the harness's frame tap (test/harness/frame-tap.ts): every
 * numbered frame the agent sent (with the incarnation that sent it) and every ack the room gave. It lives
 * in the test process, so it outlasts restarts of both sides.
 */
import { AgentMessageSchema, type FromAgentFrame, ToAgentFrameSchema } from "@tandem/protocol/agent";
import { FrameTap, type Link } from "../harness/frame-tap.ts";

export interface TappedFrame {
  incarnation: string;
  frame: FromAgentFrame;
}

export class FrameRecorder {
  readonly tap: FrameTap;
  /** Per session: what each incarnation sent, by seq (a replayed frame is the same frame). */
  readonly #sent = new Map<string, Map<string, Map<number, FromAgentFrame>>>();
  /** Per session and incarnation: the highest seq the room acknowledged. */
  readonly #acked = new Map<string, Map<string, number>>();

  private constructor(tap: FrameTap) {
    this.tap = tap;
  }

  static async start(agentPort: number): Promise<FrameRecorder> {
    /** Per socket: the incarnation its agent said hello as. */
    const incarnations = new WeakMap<Link, string>();
    let recorder: FrameRecorder | null = null;
    const tap = await FrameTap.start(agentPort, {
      fromAgent(link, text) {
        const parsed = AgentMessageSchema.safeParse(safeJSON(text));
        if (!parsed.success) return;
        if (parsed.data.type === "hello") {
          incarnations.set(link, parsed.data.incarnation);
          // Known from its hello, not from its first numbered frame: a test asking for the live incarnation
          // right after a restart gets the new one even before it has sent anything.
          if (recorder) recorder.#known(sessionOf(link.url), parsed.data.incarnation);
        } else if (recorder && incarnations.has(link))
          recorder.#record(sessionOf(link.url), incarnations.get(link)!, parsed.data);
      },
      fromRoom(link, text) {
        const frame = ToAgentFrameSchema.safeParse(safeJSON(text));
        if (recorder && frame.success && frame.data.type === "ack" && incarnations.has(link))
          recorder.#ack(sessionOf(link.url), incarnations.get(link)!, frame.data.upTo);
      },
    });
    recorder = new FrameRecorder(tap);
    return recorder;
  }

  get url(): string {
    return this.tap.url;
  }

  #record(sessionId: string, incarnation: string, frame: FromAgentFrame): void {
    const bySession = this.#sent.get(sessionId) ?? this.#sent.set(sessionId, new Map()).get(sessionId)!;
    const frames = bySession.get(incarnation) ?? bySession.set(incarnation, new Map()).get(incarnation)!;
    frames.set(frame.seq, frame);
  }

  #known(sessionId: string, incarnation: string): void {
    const bySession = this.#sent.get(sessionId) ?? this.#sent.set(sessionId, new Map()).get(sessionId)!;
    if (!bySession.has(incarnation)) bySession.set(incarnation, new Map());
  }

  #ack(sessionId: string, incarnation: string, upTo: number): void {
    const bySession = this.#acked.get(sessionId) ?? this.#acked.set(sessionId, new Map()).get(sessionId)!;
    bySession.set(incarnation, Math.max(bySession.get(incarnation) ?? 0, upTo));
  }

  /** Every frame each incarnation of the session sent, in seq order. */
  sent(sessionId: string): TappedFrame[] {
    const out: TappedFrame[] = [];
    for (const [incarnation, frames] of this.#sent.get(sessionId) ?? []) {
      for (const seq of [...frames.keys()].sort((a, b) => a - b))
        out.push({ incarnation, frame: frames.get(seq)! });
    }
    return out;
  }

  acked(sessionId: string, incarnation: string): number {
    return this.#acked.get(sessionId)?.get(incarnation) ?? 0;
  }

  incarnations(sessionId: string): string[] {
    return [...(this.#sent.get(sessionId)?.keys() ?? [])];
  }

  close(): void {
    this.tap.close();
  }
}

const sessionOf = (url: string) => decodeURIComponent(/^\/sessions\/([^/]+)\/socket/.exec(url)?.[1] ?? "");

function safeJSON(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return null;
  }
}
