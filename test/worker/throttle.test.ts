import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { LeadingEdgeThrottle, type FrameBudget } from "../../worker/viewers/throttle";

const budget: FrameBudget = { perSecond: 10_000, burst: 1_000 };

describe("LeadingEdgeThrottle", () => {
  // Fake timers move Date.now and setTimeout together.
  const now = () => Date.now();
  const advance = (ms: number) => vi.advanceTimersByTime(ms);
  beforeEach(() => {
    vi.useFakeTimers();
  });
  afterEach(() => vi.useRealTimers());

  it("sends every delta at once, one apply each, while the room is under its budget", () => {
    const applied: string[][] = [];
    const throttle = new LeadingEdgeThrottle<string>((items) => applied.push(items), () => 10, budget, now);
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
    const throttle = new LeadingEdgeThrottle<string>((items) => applied.push(items), () => 1_000, budget, now);
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
    const throttle = new LeadingEdgeThrottle<string>((items) => applied.push(items), () => 2_000, budget, now);
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
    const throttle = new LeadingEdgeThrottle<string>(() => {}, () => (counted++, 5_000), budget, now);
    for (let i = 0; i < 20; i++) throttle.push(`t${i}`, true);
    advance(1_000);
    expect(counted).toBe(2);
  });

  it("goes back to sending at once after a quiet spell refills the bucket", () => {
    const applied: string[][] = [];
    const throttle = new LeadingEdgeThrottle<string>((items) => applied.push(items), () => 1_500, budget, now);
    throttle.push("a", true);
    throttle.push("b", true);
    advance(1_000);
    expect(applied).toEqual([["a"], ["b"]]);
    throttle.push("c", true);
    expect(applied).toEqual([["a"], ["b"], ["c"]]);
  });
});
