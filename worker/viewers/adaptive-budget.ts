/**
 * An adaptive frame budget: the frames a second one object (a room or a shard) sends, set from how long
 * its sends keep its thread busy, not fixed. After each flush the throttle sets a send timer due at once;
 * how late it fires is how long the flush held the thread (sending to every socket, and whatever else
 * was queued on the thread meanwhile). Deployed, workerd's clock stands still while code runs and moves
 * when the timer fires; locally it moves anyway: either way the lag is the busy time.
 *
 * The budget is the frames a second that would keep the thread busy for BUSY_SHARE of each second at
 * the cost measured: raised while the timers fire on time (the thread sent its frames in less than its
 * share), cut when they lag (it took more). A machine that gets slower, or a thread shared with other
 * objects, shows as lag and lowers the budget; a quiet one raises it, up to the ceiling
 * (FRAME_BUDGET_PER_SECOND). A plain object: the throttle feeds it, tests drive it in milliseconds.
 */
import type { FrameBudget } from "./throttle";

/** The share of its thread an object's fan-out may take: the rest absorbs bursts, presence, the agent's frames. */
export const BUSY_SHARE = 0.5;
/** Busy time summed over flushes before the budget moves: a timer's lag is only as fine as the clock. */
export const SAMPLE_MS = 8;
/** The most one sample moves the budget, up or down: one stalled flush (a pause of the machine) halves it at most. */
export const MAX_STEP = 2;

export interface AdaptiveBudgetLimits {
  /** Where a new object starts, before it has measured anything. */
  start: number;
  /** Never more (FRAME_BUDGET_PER_SECOND). */
  ceiling: number;
  /** Never less: even a thread that lags badly updates its viewers this often. */
  floor: number;
}

export class AdaptiveFrameBudget implements FrameBudget {
  readonly #limits: AdaptiveBudgetLimits;
  #perSecond: number;
  #frames = 0;
  #busyMs = 0;

  constructor(limits: AdaptiveBudgetLimits) {
    this.#limits = limits;
    this.#perSecond = clamp(limits.start, limits.floor, limits.ceiling);
  }

  get perSecond(): number {
    return this.#perSecond;
  }

  /** A fifth of a second of the budget: a quiet object answers the first deltas at once. */
  get burst(): number {
    return this.#perSecond / 5;
  }

  /** A flush of `frames` was followed by a send timer that fired `busyMs` late. */
  sent(frames: number, busyMs: number): void {
    if (frames <= 0 || !(busyMs >= 0)) return;
    this.#frames += frames;
    this.#busyMs += busyMs;
    if (this.#busyMs < SAMPLE_MS) return;
    // Frames the thread sends per second of its own time, at this object's size, everything included.
    const framesPerBusySecond = (this.#frames * 1000) / this.#busyMs;
    const target = BUSY_SHARE * framesPerBusySecond;
    const { floor, ceiling } = this.#limits;
    this.#perSecond = clamp(clamp(target, this.#perSecond / MAX_STEP, this.#perSecond * MAX_STEP), floor, ceiling);
    this.#frames = 0;
    this.#busyMs = 0;
  }
}

const clamp = (value: number, low: number, high: number) => Math.min(high, Math.max(low, value));
