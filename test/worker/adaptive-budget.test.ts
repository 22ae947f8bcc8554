import { describe, expect, it } from "vitest";
import {
  AdaptiveFrameBudget,
  BUSY_SHARE,
  ISOLATE_THREAD,
  MAX_CUT,
  RAISE,
  ThreadMeter,
  WINDOW_MS,
} from "../../worker/viewers/adaptive-budget";
import { fanOutConfig, frameBudget } from "../../worker/viewers/fan-out-config";
import type { Env } from "../../worker/env";

const limits = { start: 5_000, ceiling: 40_000, floor: 1_000 };

/** A budget on a clock the test moves, and a window of flushes fed to it as the throttle would. */
function budgetOnClock(start = limits.start) {
  let now = 0;
  const budget = new AdaptiveFrameBudget({ ...limits, start }, () => now);
  /** One window: ten flushes 25 ms apart, sending `framesPerSecond` and keeping the thread busy `share` of it. */
  const window = (framesPerSecond: number, share: number, deltasWaited: boolean) => {
    for (let i = 0; i < 10; i++) {
      now += WINDOW_MS / 10;
      if (deltasWaited) budget.waited();
      budget.sent((framesPerSecond * WINDOW_MS) / 10 / 1000, (share * WINDOW_MS) / 10);
    }
  };
  return { budget, window, wait: (ms: number) => (now += ms) };
}

describe("AdaptiveFrameBudget", () => {
  it("starts at its start, with a fifth of a second of it as the burst", () => {
    const { budget } = budgetOnClock();
    expect(budget.perSecond).toBe(5_000);
    expect(budget.burst).toBe(1_000);
  });

  it("is cut when its timers lag: sending 10,000 frames a second kept the thread busy all the time, 8,000 would keep it at its share", () => {
    const { budget, window } = budgetOnClock(12_000);
    window(10_000, 1, true);
    expect(budget.perSecond).toBeCloseTo(10_000 * BUSY_SHARE);
  });

  it("is cut to what the thread took even when it did not bind yet (a budget above what the thread sends)", () => {
    const { budget, window } = budgetOnClock(40_000);
    // 500 viewers at 50 deltas a second, each sent at once, the thread never idle.
    window(25_000, 1, false);
    expect(budget.perSecond).toBeCloseTo(25_000 * BUSY_SHARE);
  });

  it("is at most halved by one window", () => {
    const { budget, window } = budgetOnClock(40_000);
    window(10_000, 1, false);
    expect(budget.perSecond).toBe(40_000 / MAX_CUT);
    window(10_000, 1, false);
    expect(budget.perSecond).toBe(40_000 / MAX_CUT / MAX_CUT);
    window(10_000, 1, false);
    expect(budget.perSecond).toBeCloseTo(10_000 * BUSY_SHARE);
  });

  it("is never raised by a cut: a burst over the budget while lagging leaves it where it was", () => {
    const { budget, window } = budgetOnClock(5_000);
    window(9_000, 0.9, true);
    expect(budget.perSecond).toBe(5_000);
  });

  it("is raised a step a window while its timers fire on time and deltas wait for it", () => {
    const { budget, window } = budgetOnClock();
    window(5_000, 0.3, true);
    expect(budget.perSecond).toBeCloseTo(5_000 * RAISE);
    window(6_000, 0.35, true);
    expect(budget.perSecond).toBeCloseTo(5_000 * RAISE * RAISE);
  });

  it("stays where nobody bumps into it, and between on time and lagging", () => {
    const { budget, window } = budgetOnClock();
    window(500, 0.1, false); // ten viewers: far under it
    expect(budget.perSecond).toBe(5_000);
    window(5_000, 0.7, true); // binding, but the thread is busy enough
    expect(budget.perSecond).toBe(5_000);
  });

  it("judges a window only once it is a window long", () => {
    const { budget, window } = budgetOnClock();
    const { budget: alone } = budgetOnClock();
    alone.sent(1_000, 200); // a single slow flush, 200 ms into a fresh window
    expect(alone.perSecond).toBe(5_000);
    window(5_000, 0.3, true);
    expect(budget.perSecond).toBeGreaterThan(5_000);
  });

  it("starts a new window after a quiet spell: idle minutes are no evidence of an idle thread", () => {
    const { budget, window, wait } = budgetOnClock();
    window(5_000, 0.9, true);
    const cut = budget.perSecond;
    wait(60_000);
    budget.waited();
    budget.sent(100, 200); // the first flush after the spell: 200 ms busy, not 200 ms in a minute
    wait(60);
    budget.sent(100, 60);
    expect(budget.perSecond).toBeLessThan(cut);
  });

  it("stays within its floor and its ceiling (FRAME_BUDGET_PER_SECOND)", () => {
    const { budget, window } = budgetOnClock();
    for (let i = 0; i < 30; i++) window(budget.perSecond, 0.1, true);
    expect(budget.perSecond).toBe(40_000);
    for (let i = 0; i < 30; i++) window(200, 1, true);
    expect(budget.perSecond).toBe(1_000);
  });

  it("ignores a flush that reached nobody, or a lag that is no number", () => {
    const { budget, wait } = budgetOnClock();
    budget.sent(0, 300);
    budget.sent(100, Number.NaN);
    budget.sent(100, -5);
    wait(WINDOW_MS);
    budget.sent(100, 1);
    expect(budget.perSecond).toBe(5_000);
  });
});

describe("AdaptiveFrameBudget, objects sharing one thread (a room and its shard in one isolate)", () => {
  /**
   * Two budgets on one clock, fed windows of interleaved flushes: each object's flushes keep the thread
   * busy `share` of the time, the other's in between (so its own timer never sees them).
   */
  function twoOnOneThread(thread: () => ThreadMeter) {
    let now = 0;
    const room = new AdaptiveFrameBudget(limits, () => now, thread());
    const shard = new AdaptiveFrameBudget(limits, () => now, thread());
    const window = (framesPerSecond: number, share: number) => {
      for (let i = 0; i < 10; i++) {
        // The shard's timer fires half way between the room's; the room's windows end with its tenth flush.
        for (const budget of [shard, room]) {
          now += WINDOW_MS / 20;
          budget.waited();
          budget.sent((framesPerSecond * WINDOW_MS) / 10 / 1000, (share * WINDOW_MS) / 10);
        }
      }
    };
    return { room, shard, window };
  }

  it("raises neither while together they keep the thread busy, though each alone would have been raised", () => {
    const shared = new ThreadMeter();
    const together = twoOnOneThread(() => shared);
    // 500 viewers each at the fixed budget's 5,000 frames a second, each taking 0.35 of the thread: 0.7 in all.
    for (let i = 0; i < 4; i++) together.window(5_000, 0.35);
    expect([together.room.perSecond, together.shard.perSecond]).toEqual([5_000, 5_000]);
    // Each judging only its own flushes sees 0.35 and raises: the two overran the thread at 1,000 viewers.
    const apart = twoOnOneThread(() => new ThreadMeter());
    apart.window(5_000, 0.35);
    expect(apart.room.perSecond).toBeCloseTo(5_000 * RAISE);
  });

  it("cuts in proportion to what it sent when together they lag, and raises when together they are on time", () => {
    const shared = new ThreadMeter();
    const { room, shard, window } = twoOnOneThread(() => shared);
    window(5_000, 0.5); // 1.0 of the thread in all: cut to what keeps the two at BUSY_SHARE
    expect(room.perSecond).toBeCloseTo(5_000 * BUSY_SHARE);
    const cut = room.perSecond;
    window(cut, 0.2); // 0.4 in all
    expect(room.perSecond).toBeCloseTo(cut * RAISE);
  });

  it("counts a span once where the two objects' spans overlap", () => {
    const thread = new ThreadMeter();
    thread.busy(0, 10);
    thread.busy(5, 12); // the shard's timer also waited for the room's flush
    thread.busy(20, 25);
    expect(thread.busyMs).toBe(17);
  });
});

describe("the fan-out's budget from the Worker's vars", () => {
  it("gives every object's budget the isolate's one thread to judge", () => {
    const before = ISOLATE_THREAD.busyMs;
    const adaptive = { FRAME_BUDGET_ADAPTIVE: "true" } as Env;
    frameBudget(adaptive).sent?.(100, 5);
    frameBudget(adaptive).sent?.(100, 5);
    expect(ISOLATE_THREAD.busyMs).toBeGreaterThan(before);
  });

  const env = (
    vars: Partial<
      Record<
        "FRAME_BUDGET_PER_SECOND" | "FRAME_BUDGET_ADAPTIVE" | "SHARD_AFTER_VIEWERS" | "VIEWERS_PER_SHARD",
        string
      >
    >,
  ) => vars as Env;

  it("is fixed at 15,000 by default, with a fifth of a second as the burst, 1,500 viewers a room", () => {
    const budget = frameBudget(env({}));
    expect(budget).not.toBeInstanceOf(AdaptiveFrameBudget);
    expect(budget).toMatchObject({ perSecond: 15_000, burst: 3_000 });
    expect(fanOutConfig(env({}))).toEqual({
      adaptive: false,
      startFramesPerSecond: 15_000,
      ceilingFramesPerSecond: 15_000,
      shardAfterViewers: 1_500,
      viewersPerShard: 1_500,
    });
  });

  it("adapts with FRAME_BUDGET_ADAPTIVE=true, from 15,000 up to 40,000, and places viewers as the fixed 15,000 does", () => {
    const budget = frameBudget(env({ FRAME_BUDGET_ADAPTIVE: "true" }));
    expect(budget).toBeInstanceOf(AdaptiveFrameBudget);
    expect(budget.perSecond).toBe(15_000);
    expect(fanOutConfig(env({ FRAME_BUDGET_ADAPTIVE: "true" }))).toEqual({
      adaptive: true,
      startFramesPerSecond: 15_000,
      ceilingFramesPerSecond: 40_000,
      shardAfterViewers: 1_500,
      viewersPerShard: 1_500,
    });
  });

  it("gives each object a budget of its own", () => {
    const adaptive = env({ FRAME_BUDGET_ADAPTIVE: "true" });
    expect(frameBudget(adaptive)).not.toBe(frameBudget(adaptive));
  });

  it("adapting, takes FRAME_BUDGET_PER_SECOND as the ceiling, and starts under it when it is lower", () => {
    const adaptive = { FRAME_BUDGET_ADAPTIVE: "true" };
    expect(fanOutConfig(env({ ...adaptive, FRAME_BUDGET_PER_SECOND: "20000" }))).toMatchObject({
      startFramesPerSecond: 15_000,
      ceilingFramesPerSecond: 20_000,
      shardAfterViewers: 1_500,
    });
    const low = fanOutConfig(env({ ...adaptive, FRAME_BUDGET_PER_SECOND: "2000" }));
    expect(low).toMatchObject({
      startFramesPerSecond: 2_000,
      ceilingFramesPerSecond: 2_000,
      shardAfterViewers: 200,
    });
    expect(frameBudget(env({ ...adaptive, FRAME_BUDGET_PER_SECOND: "2000" })).perSecond).toBe(2_000);
  });

  it("is fixed, also with FRAME_BUDGET_ADAPTIVE=false: 15,000, or FRAME_BUDGET_PER_SECOND, and the shards follow it", () => {
    const fixed = frameBudget(env({ FRAME_BUDGET_ADAPTIVE: "false" }));
    expect(fixed).not.toBeInstanceOf(AdaptiveFrameBudget);
    expect(fixed).toMatchObject({ perSecond: 15_000, burst: 3_000 });
    expect(fixed.sent).toBeUndefined();
    expect(
      fanOutConfig(env({ FRAME_BUDGET_ADAPTIVE: "false", FRAME_BUDGET_PER_SECOND: "10000" })),
    ).toMatchObject({ adaptive: false, startFramesPerSecond: 10_000, shardAfterViewers: 1_000 });
  });

  it("falls back to the defaults for a var that is no number or no switch", () => {
    expect(
      fanOutConfig(env({ FRAME_BUDGET_PER_SECOND: "lots", FRAME_BUDGET_ADAPTIVE: "maybe" })),
    ).toMatchObject({ adaptive: false, startFramesPerSecond: 15_000, ceilingFramesPerSecond: 15_000 });
  });
});
