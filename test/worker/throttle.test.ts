import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { AdaptiveFrameBudget } from "../../worker/viewers/adaptive-budget";
import { LeadingEdgeThrottle, type FrameBudget } from "../../worker/viewers/throttle";

const budget: FrameBudget = { perSecond: 10_000, burst: 1_000 };
// Fake timers move Date.now and setTimeout together.
const advance = (ms: number) => vi.advanceTimersByTime(ms);

describe("LeadingEdgeThrottle", () => {
  const now = () => Date.now();
  beforeEach(() => {
    vi.useFakeTimers();
  });
  afterEach(() => vi.useRealTimers());

  it("sends every delta at once, one apply each, while the room is under its budget", () => {
    const applied: string[][] = [];
    const throttle = new LeadingEdgeThrottle<string>(
      (items) => applied.push(items),
      () => 10,
      budget,
      now,
    );
    // 50 deltas a second to 10 viewers is 500 frames a second: far under 10,000.
    for (let i = 0; i < 50; i++) {
      throttle.push(`t${i}`, true);
      expect(applied.at(-1)).toEqual([`t${i}`]);
      advance(20);
    }
    expect(applied).toHaveLength(50);
    expect(throttle.waiting).toBe(false);
  });

  it("coalesces deltas only once a flush has overdrawn the budget, and sends them when it is repaid", () => {
    const applied: string[][] = [];
    const throttle = new LeadingEdgeThrottle<string>(
      (items) => applied.push(items),
      () => 1_000,
      budget,
      now,
    );
    throttle.push("t1", true); // burst 1000 → 0: still at once
    throttle.push("t2", true); // balance 0 is not overdrawn: at once, now -1000
    expect(applied).toEqual([["t1"], ["t2"]]);
    throttle.push("t3", true);
    throttle.push("t4", true);
    advance(50);
    throttle.push("t5", true);
    expect(applied).toHaveLength(2);
    expect(throttle.waiting).toBe(true);
    // 1000 frames of debt at 10,000 a second: 100 ms.
    advance(49);
    expect(applied).toHaveLength(2);
    advance(1);
    expect(applied).toEqual([["t1"], ["t2"], ["t3", "t4", "t5"]]);
  });

  it("applies a non-delta frame at once, after the deltas that wait, in order", () => {
    const applied: string[][] = [];
    const throttle = new LeadingEdgeThrottle<string>(
      (items) => applied.push(items),
      () => 2_000,
      budget,
      now,
    );
    throttle.push("t1", true);
    throttle.push("t2", true);
    throttle.push("t3", true);
    expect(applied).toEqual([["t1"]]);
    throttle.push("tool_use", false);
    expect(applied).toEqual([["t1"], ["t2", "t3", "tool_use"]]);
    expect(throttle.waiting).toBe(false);
    // The non-delta paid too: the next delta waits for the debt to be repaid.
    throttle.push("t4", true);
    expect(applied).toHaveLength(2);
    advance(400);
    expect(applied.at(-1)).toEqual(["t4"]);
  });

  it("counts the sockets once per flush, not once per delta", () => {
    let counted = 0;
    const throttle = new LeadingEdgeThrottle<string>(
      () => {},
      () => (counted++, 5_000),
      budget,
      now,
    );
    for (let i = 0; i < 20; i++) throttle.push(`t${i}`, true);
    advance(1_000);
    expect(counted).toBe(2);
  });

  it("goes back to sending at once after a quiet spell refills the bucket", () => {
    const applied: string[][] = [];
    const throttle = new LeadingEdgeThrottle<string>(
      (items) => applied.push(items),
      () => 1_500,
      budget,
      now,
    );
    throttle.push("a", true);
    throttle.push("b", true);
    advance(1_000);
    expect(applied).toEqual([["a"], ["b"]]);
    throttle.push("c", true);
    expect(applied).toEqual([["a"], ["b"], ["c"]]);
  });
});

describe("LeadingEdgeThrottle's send timers", () => {
  const now = () => Date.now();
  /** The flush's work keeps the thread busy: the clock moves, no timer fires meanwhile (as in workerd). */
  const busy = (ms: number) => vi.setSystemTime(Date.now() + ms);
  beforeEach(() => {
    vi.useFakeTimers();
  });
  afterEach(() => vi.useRealTimers());

  const recording = () => {
    const told: [number, number][] = [];
    const budget: FrameBudget = {
      perSecond: 10_000,
      burst: 1_000,
      sent: (frames, busyMs) => told.push([frames, busyMs]),
    };
    return { budget, told };
  };

  it("tells the budget how long each flush kept the thread busy: a timer set at once fires that late", () => {
    const { budget, told } = recording();
    const throttle = new LeadingEdgeThrottle<string>(
      () => busy(12),
      () => 300,
      budget,
      now,
    );
    throttle.push("t1", true);
    expect(told).toEqual([]);
    advance(0);
    expect(told).toEqual([[300, 12]]);
  });

  it("measures flushes of one turn together, with one timer", () => {
    const { budget, told } = recording();
    const throttle = new LeadingEdgeThrottle<string>(
      () => busy(5),
      () => 100,
      budget,
      now,
    );
    throttle.push("t1", true);
    throttle.push("tool_use", false);
    expect(vi.getTimerCount()).toBe(1);
    advance(0);
    expect(told).toEqual([[200, 10]]);
  });

  it("sets no send timer for a fixed budget, nor for a flush that reached nobody", () => {
    const fixed = new LeadingEdgeThrottle<string>(
      () => busy(5),
      () => 100,
      budget,
      now,
    );
    fixed.push("t1", true);
    expect(vi.getTimerCount()).toBe(0);
    const { budget: adaptive, told } = recording();
    const empty = new LeadingEdgeThrottle<string>(
      () => {},
      () => 0,
      adaptive,
      now,
    );
    empty.push("t1", true);
    advance(0);
    expect(told).toEqual([]);
  });

  it("sends at once again once a budget that held deltas back while the thread idled has been raised", () => {
    // 100 viewers, a delta every 10 ms (10,000 frames a second), each flush 2 ms of the thread's time.
    const run = (budget: FrameBudget) => {
      const applied: string[][] = [];
      const throttle = new LeadingEdgeThrottle<string>(
        (items) => (applied.push(items), busy(2)),
        () => 100,
        budget,
        now,
      );
      for (let i = 0; i < 300; i++) {
        throttle.push(`t${i}`, true);
        advance(10);
      }
      return applied.slice(-50);
    };
    const adaptive = new AdaptiveFrameBudget({ start: 5_000, ceiling: 40_000, floor: 1_000 }, now);
    expect(run(adaptive).every((batch) => batch.length === 1)).toBe(true);
    expect(adaptive.perSecond).toBeGreaterThanOrEqual(10_000);
    // The fixed 5,000 holds every other delta back to the end.
    expect(run({ perSecond: 5_000, burst: 1_000 }).some((batch) => batch.length > 1)).toBe(true);
  });
});

describe("LeadingEdgeThrottle's send timers in workerd (real clock, real timers)", () => {
  it("are told at least the time the flush's own work took", async () => {
    const told = new Promise<[number, number]>((resolve) => {
      const budget: FrameBudget = {
        perSecond: 10_000,
        burst: 1_000,
        sent: (frames, busyMs) => resolve([frames, busyMs]),
      };
      let worked = 0;
      const throttle = new LeadingEdgeThrottle<string>(
        () => {
          // A send loop's worth of work: the runtime's clock, locally, moves while it runs.
          const from = performance.now();
          let x = 0;
          while (performance.now() - from < 15) x += Math.sqrt(x + 1);
          worked = performance.now() - from + x * 0;
        },
        () => 250,
        budget,
      );
      throttle.push("t1", true);
      expect(worked).toBeGreaterThanOrEqual(15);
    });
    const [frames, busyMs] = await told;
    expect(frames).toBe(250);
    expect(busyMs).toBeGreaterThanOrEqual(15);
  });
});
