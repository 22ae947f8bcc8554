/**
 * An adaptive frame budget: the frames a second one object (a room or a shard) sends, set by how busy its
 * sends keep its thread, not fixed. After each flush the throttle sets a send timer due at once; how late
 * it fires is how long the flush held the thread (sending to every socket, and whatever else was queued
 * on the thread meanwhile). Deployed, workerd's clock stands still while code runs and moves when the
 * timer fires; locally it moves anyway: either way the lag is the busy time.
 *
 * Over each window the lags add up to the share of the thread the fan-out took. Over BUSY_SHARE the
 * timers lag: the budget is cut to the frames a second that would have kept the thread at that share.
 * Well under it they fire on time: the budget is raised, a step a window, while it held deltas back, up
 * to the ceiling (FRAME_BUDGET_PER_SECOND). Between the two it stays, and a budget nobody bumps into
 * stays too: below saturation a delta sent at once beats one held back, so the budget only binds where
 * the thread would otherwise fall behind. A machine that gets slower, or a thread shared with other
 * objects, lowers it; a quiet one raises it. A plain object with an injected clock: the throttle feeds
 * it, tests drive it in milliseconds.
 *
 * Objects that share a thread (a room and its shards in one isolate: always locally, sometimes deployed)
 * judge the thread's busy share together (`ThreadMeter`): each object's timer sees only the flushes near
 * its own, so two objects each measured about half the thread, both raised, and together overran it (at
 * 1,000 viewers, a room and a shard: p99 1.2-1.8× the fixed budget's). Each keeps its own budget, cut in
 * proportion to what it sent; none raises while the thread they share is busy.
 */
import type { FrameBudget } from "./throttle";

/** The share of its thread an object's fan-out may take before it coalesces more: the rest absorbs jitter, presence, the agent's frames. */
export const BUSY_SHARE = 0.8;
/** The span the thread's busy share is judged over: a dozen deltas at the agent's pace. */
export const WINDOW_MS = 250;
/** A window on time (its busy share under this part of BUSY_SHARE) while deltas waited raises the budget by RAISE. */
export const ON_TIME = 0.75;
export const RAISE = 1.2;
/** One window cuts the budget at most this many times: a pause of the whole machine is not the fan-out's doing. */
export const MAX_CUT = 2;

export interface AdaptiveBudgetLimits {
  /** Where a new object starts, before it has measured anything. */
  start: number;
  /** Never more (FRAME_BUDGET_PER_SECOND). */
  ceiling: number;
  /** Never less: even a thread that lags badly updates its viewers this often. */
  floor: number;
}

/**
 * The busy time of one thread, as every budget on it reports it: the union of the spans from a flush to
 * its send timer (spans of objects on the same thread overlap; overlaps count once).
 */
export class ThreadMeter {
  #busyMs = 0;
  #busyUntil = Number.NEGATIVE_INFINITY;

  /** The thread was busy from `from` to `to` (reported in the order the spans end). */
  busy(from: number, to: number): void {
    const start = Math.max(from, this.#busyUntil);
    if (to > start) this.#busyMs += to - start;
    this.#busyUntil = Math.max(this.#busyUntil, to);
  }

  /** Busy milliseconds so far: a window's share is the difference over its length. */
  get busyMs(): number {
    return this.#busyMs;
  }
}

/** This isolate's thread: every room and shard in it sends on it (fan-out-config.ts). */
export const ISOLATE_THREAD = new ThreadMeter();

export class AdaptiveFrameBudget implements FrameBudget {
  readonly #limits: AdaptiveBudgetLimits;
  readonly #now: () => number;
  readonly #thread: ThreadMeter;
  #perSecond: number;
  /** The current window: since when, the frames sent, the thread's busy time when it began, whether deltas waited. */
  #since: number;
  #frames = 0;
  #busyAtStart = 0;
  #waited = false;

  /** `thread`: the meter of the thread this object shares with others (its own, by default). */
  constructor(limits: AdaptiveBudgetLimits, now = () => performance.now(), thread = new ThreadMeter()) {
    this.#limits = limits;
    this.#now = now;
    this.#thread = thread;
    this.#perSecond = clamp(limits.start, limits.floor, limits.ceiling);
    this.#since = now();
    this.#busyAtStart = thread.busyMs;
  }

  get perSecond(): number {
    return this.#perSecond;
  }

  /** A fifth of a second of the budget: a quiet object answers the first deltas at once. */
  get burst(): number {
    return this.#perSecond / 5;
  }

  /** Deltas are waiting for this budget: it is what holds them back. */
  waited(): void {
    this.#waited = true;
  }

  /** A flush (or flushes) of `frames` was followed by a send timer that fired `busyMs` late, now. */
  sent(frames: number, busyMs: number): void {
    if (!(busyMs >= 0) || frames <= 0) return;
    const now = this.#now();
    // After a quiet spell the window starts with this flush: idle time says nothing of the thread's cost.
    if (now - this.#since > 4 * WINDOW_MS) this.#restart(now - busyMs);
    this.#frames += frames;
    this.#thread.busy(now - busyMs, now);
    const elapsed = now - this.#since;
    if (elapsed < WINDOW_MS) return;
    const share = (this.#thread.busyMs - this.#busyAtStart) / elapsed;
    if (share > BUSY_SHARE) {
      const keptAtShare = ((this.#frames * 1000) / elapsed) * (BUSY_SHARE / share);
      this.#perSecond = Math.max(Math.min(keptAtShare, this.#perSecond), this.#perSecond / MAX_CUT);
    } else if (this.#waited && share < ON_TIME * BUSY_SHARE) this.#perSecond *= RAISE;
    this.#perSecond = clamp(this.#perSecond, this.#limits.floor, this.#limits.ceiling);
    this.#restart(now);
  }

  #restart(since: number): void {
    this.#since = since;
    this.#frames = 0;
    this.#busyAtStart = this.#thread.busyMs;
    this.#waited = false;
  }
}

const clamp = (value: number, low: number, high: number) => Math.min(high, Math.max(low, value));
