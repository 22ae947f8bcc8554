/** People's input for the agent: queued in order, de-duplicated by seq, and tracked until consumed. */

export interface Input {
  seq: number;
  text: string;
  author: string;
}

export class Inbox {
  readonly #queue: Input[] = [];
  readonly #received = new Set<number>();
  readonly #consumed = new Set<number>();
  #consumedUpTo = 0;

  /** Accepts a message or an answer; false for a seq already received (a resend after a reconnect). */
  accept(input: Input): boolean {
    if (this.#received.has(input.seq)) return false;
    this.#received.add(input.seq);
    this.#queue.push(input);
    return true;
  }

  /** Records an input handled at once rather than queued (an approval's decision); false for a seq already received. */
  acceptOnce(seq: number): boolean {
    if (this.#received.has(seq)) return false;
    this.#received.add(seq);
    return true;
  }

  get pending(): number {
    return this.#queue.length;
  }

  /** Takes every queued message, oldest first. */
  takeAll(): Input[] {
    return this.#queue.splice(0);
  }

  /**
   * Marks inputs as read into the conversation. Returns the new `upTo` for `input_consumed` (the highest
   * seq with every received seq at or below it consumed), or null when it did not move.
   */
  markConsumed(seqs: readonly number[]): number | null {
    for (const seq of seqs) this.#consumed.add(seq);
    const received = [...this.#received].sort((a, b) => a - b);
    let upTo = this.#consumedUpTo;
    for (const seq of received) {
      if (seq <= upTo) continue;
      if (!this.#consumed.has(seq)) break;
      upTo = seq;
    }
    if (upTo === this.#consumedUpTo) return null;
    this.#consumedUpTo = upTo;
    return upTo;
  }
}
