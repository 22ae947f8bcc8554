/** Agent → DO frames: numbered, kept until acknowledged, and replayed to a reconnected socket. */
import type { WebSocket } from "ws";
import type { FromAgentFrame } from "../../worker/protocol/agent";
import type { Redactor } from "./secrets";

type WithoutSeq<T> = T extends unknown ? Omit<T, "seq"> : never;
/** A frame before the outbox numbers it. */
export type OutFrame = WithoutSeq<FromAgentFrame>;

export class Outbox {
  #seq = 0;
  #unacked: FromAgentFrame[] = [];
  #socket: WebSocket | null = null;
  readonly #redactor: Redactor;

  constructor(redactor: Redactor) {
    this.#redactor = redactor;
  }

  /** Numbers a frame and sends it now if a socket is attached; it stays buffered until acked either way. */
  send(frame: OutFrame): FromAgentFrame {
    // Redacting here is the last line of defence: no secret value leaves the agent in any frame.
    const numbered = this.#redactor.deep({ ...frame, seq: ++this.#seq } as FromAgentFrame);
    this.#unacked.push(numbered);
    this.#write(numbered);
    return numbered;
  }

  ack(upTo: number): void {
    if (this.#unacked.length && this.#unacked[0].seq <= upTo) this.#unacked = this.#unacked.filter((f) => f.seq > upTo);
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
