/**
 * Applies agent frames in batches whose interval grows with the number of viewers, so the frames a
 * room sends per second stay bounded (DESIGN.md: fan-out cost is per frame sent, not per byte).
 * Alone, a frame is applied at once; with company, streamed deltas wait for the next flush, and any
 * other frame flushes what waits before it, so order is kept.
 */

/** Frames sent to viewers per second the room aims to stay under. */
export const FRAME_BUDGET_PER_SECOND = 5000;
export const MIN_FLUSH_MS = 16;
export const MAX_FLUSH_MS = 250;

export function flushIntervalMs(viewers: number): number {
  if (viewers <= 1) return 0;
  return Math.min(MAX_FLUSH_MS, Math.max(MIN_FLUSH_MS, Math.ceil((viewers * 1000) / FRAME_BUDGET_PER_SECOND)));
}

export class DeltaBatcher<T> {
  #pending: T[] = [];
  #timer: ReturnType<typeof setTimeout> | null = null;
  readonly #apply: (items: T[]) => void;
  readonly #viewers: () => number;

  constructor(apply: (items: T[]) => void, viewers: () => number) {
    this.#apply = apply;
    this.#viewers = viewers;
  }

  /** `deferrable` items may wait for the next flush; others are applied now, after what waits. */
  push(item: T, deferrable: boolean): void {
    this.#pending.push(item);
    // With a flush already scheduled, a delta just joins it: viewers are counted once per flush, not per token.
    if (this.#timer && deferrable) return;
    const interval = deferrable ? flushIntervalMs(this.#viewers()) : 0;
    if (interval === 0) this.flush();
    else this.#timer = setTimeout(() => this.flush(), interval);
  }

  flush(): void {
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = null;
    if (this.#pending.length === 0) return;
    const items = this.#pending;
    this.#pending = [];
    this.#apply(items);
  }
}
