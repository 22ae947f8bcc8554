/**
 * A leading-edge throttle over a frame budget (a token bucket counted in frames sent). Fan-out cost is
 * per frame sent, not per byte (docs/architecture.md, "Viewers"), so each flush costs one frame per socket it reaches. A
 * delta goes out at once while the bucket holds budget; only when a flush has overdrawn it do deltas
 * wait, and then the ones that arrive meanwhile are applied together (one Yjs transaction) as soon as
 * the debt is repaid. Any other frame flushes what waits before it, so order is kept.
 */

export interface FrameBudget {
  /** Frames a second the object aims to stay under. */
  perSecond: number;
  /** Frames that may go out back to back after a quiet spell. */
  burst: number;
}

/** Overridden by FRAME_BUDGET_PER_SECOND; how it was measured: bench/README.md. */
export const DEFAULT_FRAME_BUDGET: FrameBudget = { perSecond: 5_000, burst: 1_000 };

export class LeadingEdgeThrottle<T> {
  #pending: T[] = [];
  #timer: ReturnType<typeof setTimeout> | null = null;
  #tokens: number;
  #refilledAt: number;
  readonly #apply: (items: T[]) => void;
  readonly #cost: () => number;
  readonly #budget: FrameBudget;
  readonly #now: () => number;

  /** `cost` is the frames one flush sends (the sockets it reaches), read once per flush, never per delta. */
  constructor(apply: (items: T[]) => void, cost: () => number, budget: FrameBudget = DEFAULT_FRAME_BUDGET, now = () => performance.now()) {
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
  }

  /** Applies everything waiting as one batch and pays for it. */
  flush(): void {
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = null;
    if (this.#pending.length === 0) return;
    const items = this.#pending;
    this.#pending = [];
    this.#refill();
    this.#tokens -= this.#cost();
    this.#apply(items);
  }

  /** Whether deltas are waiting for budget. */
  get waiting(): boolean {
    return this.#timer !== null;
  }

  #refill(): void {
    const now = this.#now();
    this.#tokens = Math.min(this.#budget.burst, this.#tokens + ((now - this.#refilledAt) * this.#budget.perSecond) / 1000);
    this.#refilledAt = now;
  }
}
