import { describe, expect, it } from "vitest";
import { AdaptiveFrameBudget, BUSY_SHARE, MAX_STEP, SAMPLE_MS } from "../../worker/viewers/adaptive-budget";
import { fanOutConfig, frameBudget } from "../../worker/viewers/fan-out-config";
import type { Env } from "../../worker/env";

const limits = { start: 5_000, ceiling: 40_000, floor: 1_000 };

describe("AdaptiveFrameBudget", () => {
  it("starts at its start, with a fifth of a second of it as the burst", () => {
    const budget = new AdaptiveFrameBudget(limits);
    expect(budget.perSecond).toBe(5_000);
    expect(budget.burst).toBe(1_000);
  });

  it("is raised while the send timers fire on time: 500 frames in 10 ms is 50,000 a busy second, half of it is 25,000", () => {
    const budget = new AdaptiveFrameBudget(limits);
    budget.sent(500, 10);
    expect(budget.perSecond).toBe(5_000 * MAX_STEP); // at most doubled by one sample
    budget.sent(500, 10);
    expect(budget.perSecond).toBe(20_000);
    budget.sent(500, 10);
    expect(budget.perSecond).toBe(BUSY_SHARE * 50_000);
    // Steady: the same cost keeps it where it is.
    budget.sent(500, 10);
    expect(budget.perSecond).toBe(25_000);
  });

  it("is cut when they lag: the same 500 frames taking 50 ms bring it down to 5,000, at most halving per sample", () => {
    const budget = new AdaptiveFrameBudget({ ...limits, start: 25_000 });
    budget.sent(500, 50);
    expect(budget.perSecond).toBe(12_500);
    budget.sent(500, 50);
    expect(budget.perSecond).toBe(6_250);
    budget.sent(500, 50);
    expect(budget.perSecond).toBe(5_000);
  });

  it("sums small flushes until their lag is measurable, so one late millisecond is not a verdict", () => {
    const budget = new AdaptiveFrameBudget(limits);
    // 20 viewers, each flush 1 ms late: not yet SAMPLE_MS of busy time.
    for (let i = 0; i < SAMPLE_MS - 1; i++) budget.sent(20, 1);
    expect(budget.perSecond).toBe(5_000);
    budget.sent(20, 1);
    // 160 frames in 8 ms: 20,000 a busy second, half of it 10,000.
    expect(budget.perSecond).toBe(10_000);
  });

  it("stays within its floor and its ceiling (FRAME_BUDGET_PER_SECOND)", () => {
    const budget = new AdaptiveFrameBudget(limits);
    for (let i = 0; i < 10; i++) budget.sent(1_000, 8);
    expect(budget.perSecond).toBe(40_000);
    for (let i = 0; i < 10; i++) budget.sent(10, 1_000);
    expect(budget.perSecond).toBe(1_000);
  });

  it("ignores a flush that reached nobody, or a lag that is no number", () => {
    const budget = new AdaptiveFrameBudget(limits);
    budget.sent(0, 100);
    budget.sent(100, Number.NaN);
    budget.sent(100, -5);
    expect(budget.perSecond).toBe(5_000);
  });
});

describe("the fan-out's budget from the Worker's vars", () => {
  const env = (vars: Partial<Record<"FRAME_BUDGET_PER_SECOND" | "FRAME_BUDGET_ADAPTIVE" | "SHARD_AFTER_VIEWERS" | "VIEWERS_PER_SHARD", string>>) => vars as Env;

  it("adapts by default, from 5,000 up to 40,000, and places viewers as the fixed 5,000 did (500 a room)", () => {
    const budget = frameBudget(env({}));
    expect(budget).toBeInstanceOf(AdaptiveFrameBudget);
    expect(budget.perSecond).toBe(5_000);
    expect(fanOutConfig(env({}))).toEqual({ adaptive: true, startFramesPerSecond: 5_000, ceilingFramesPerSecond: 40_000, shardAfterViewers: 500, viewersPerShard: 500 });
  });

  it("gives each object a budget of its own", () => {
    const room = frameBudget(env({}));
    const shard = frameBudget(env({}));
    room.sent?.(1_000, 8);
    expect(room.perSecond).toBe(10_000);
    expect(shard.perSecond).toBe(5_000);
  });

  it("takes FRAME_BUDGET_PER_SECOND as the ceiling, and starts under it when it is lower", () => {
    const budget = frameBudget(env({ FRAME_BUDGET_PER_SECOND: "8000" }));
    for (let i = 0; i < 5; i++) budget.sent?.(1_000, 8);
    expect(budget.perSecond).toBe(8_000);
    const low = fanOutConfig(env({ FRAME_BUDGET_PER_SECOND: "2000" }));
    expect(low).toMatchObject({ startFramesPerSecond: 2_000, ceilingFramesPerSecond: 2_000, shardAfterViewers: 200 });
  });

  it("is fixed with FRAME_BUDGET_ADAPTIVE=false: 5,000, or FRAME_BUDGET_PER_SECOND, and the shards follow it", () => {
    const fixed = frameBudget(env({ FRAME_BUDGET_ADAPTIVE: "false" }));
    expect(fixed).not.toBeInstanceOf(AdaptiveFrameBudget);
    expect(fixed).toMatchObject({ perSecond: 5_000, burst: 1_000 });
    expect(fanOutConfig(env({ FRAME_BUDGET_ADAPTIVE: "false", FRAME_BUDGET_PER_SECOND: "10000" }))).toMatchObject({ adaptive: false, startFramesPerSecond: 10_000, shardAfterViewers: 1_000 });
  });

  it("falls back to the defaults for a var that is no number or no switch", () => {
    expect(fanOutConfig(env({ FRAME_BUDGET_PER_SECOND: "lots", FRAME_BUDGET_ADAPTIVE: "maybe" }))).toMatchObject({ adaptive: true, startFramesPerSecond: 5_000, ceilingFramesPerSecond: 40_000 });
  });
});
