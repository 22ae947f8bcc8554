/**
 * A leading-edge throttle over a frame budget (a token bucket counted in frames sent). Fan-out cost is
 * per frame sent, not per byte (docs/architecture.md, "Viewers"), so each flush costs one frame per socket it reaches. A
 * delta goes out at once while the bucket holds budget; only when a flush has overdrawn it do deltas
 * wait, and then the ones that arrive meanwhile are applied together (one Yjs transaction) as soon as
 * the debt is repaid. Any other frame flushes what waits before it, so order is kept. A budget that
 * learns from its sends (adaptive-budget.ts) is told, after each flush, how long the flush kept the
 * thread busy: a send timer set at once fires that late.
 */

export interface FrameBudget {
  /** Frames a second the object aims to stay under (read at every refill: it may move). */
  readonly perSecond: number;
  /** Frames that may go out back to back after a quiet spell. */
  readonly burst: number;
  /** Told after a flush of `frames` how long it kept the object's thread busy. */
  sent?(frames: number, busyMs: number): void;
  /** Told when deltas start waiting for it. */
  waited?(): void;
}

/**
 * The fixed budget (the default; FRAME_BUDGET_ADAPTIVE=true adapts instead), from the quiet sweeps of
 * bench/README.md ("Issue 24, decided"): 15,000 beat 5,000, 10,000 and 20,000 at 500 and 1,000 viewers.
 */
export const DEFAULT_FRAME_BUDGET: FrameBudget = { perSecond: 15_000, burst: 3_000 };

export class LeadingEdgeThrottle<T> {
  #pending: T[] = [];
  #timer: ReturnType<typeof setTimeout> | null = null;
  #tokens: number;
  #refilledAt: number;
  /** The flushes a send timer is measuring: from when the first began, and the frames they cost. */
  #measuring: { since: number; frames: number } | null = null;
  readonly #apply: (items: T[]) => void;
  readonly #cost: () => number;
  readonly #budget: FrameBudget;
  readonly #now: () => number;

  /** `cost` is the frames one flush sends (the sockets it reaches), read once per flush, never per delta. */
  constructor(
    apply: (items: T[]) => void,
    cost: () => number,
    budget: FrameBudget = DEFAULT_FRAME_BUDGET,
    now = () => performance.now(),
  ) {
    this.#apply = apply;
    this.#cost = cost;
    this.#budget = budget;
    this.#now = now;
    this.#tokens = budget.burst;
    this.#refilledAt = now();
  }

  /** `deferrable` items (streamed deltas) may wait while the budget is overdrawn; others are applied now, after what waits. */
  push(item: T, deferrable: boolean): void {
    this.#pending.push(item);
    if (!deferrable) return this.flush();
    if (this.#timer) return;
    this.#refill();
    if (this.#tokens >= 0) return this.flush();
    const waitMs = (-this.#tokens * 1000) / this.#budget.perSecond;
    this.#timer = setTimeout(() => this.flush(), Math.ceil(waitMs));
    this.#budget.waited?.();
  }

  /** Applies everything waiting as one batch and pays for it. */
  flush(): void {
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = null;
    if (this.#pending.length === 0) return;
    const items = this.#pending;
    this.#pending = [];
    this.#refill();
    const frames = this.#cost();
    this.#tokens -= frames;
    this.#measure(frames);
    this.#apply(items);
  }

  /** Whether deltas are waiting for budget. */
  get waiting(): boolean {
    return this.#timer !== null;
  }

  /** Flushes in the same turn share one send timer: it fires once the thread is done with all of them. */
  #measure(frames: number): void {
    if (!this.#budget.sent || frames === 0) return;
    if (this.#measuring) {
      this.#measuring.frames += frames;
      return;
    }
    this.#measuring = { since: this.#now(), frames };
    setTimeout(() => {
      const { since, frames } = this.#measuring!;
      this.#measuring = null;
      this.#budget.sent?.(frames, this.#now() - since);
    }, 0);
  }

  #refill(): void {
    const now = this.#now();
    const { perSecond, burst } = this.#budget;
    this.#tokens = Math.min(burst, this.#tokens + ((now - this.#refilledAt) * perSecond) / 1000);
    this.#refilledAt = now;
  }
}
