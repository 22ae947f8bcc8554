import { describe, expect, it } from "vitest";
import { DeltaBatcher, flushIntervalMs } from "./batcher";

describe("flushIntervalMs", () => {
  it("is immediate alone, 16 ms at least with company, and grows with viewers up to 250 ms", () => {
    expect([0, 1, 2, 80, 100, 500, 5000].map(flushIntervalMs)).toEqual([0, 0, 16, 16, 20, 100, 250]);
  });
});

describe("DeltaBatcher", () => {
  it("applies at once with one viewer", () => {
    const applied: string[][] = [];
    const batcher = new DeltaBatcher<string>((items) => applied.push(items), () => 1);
    batcher.push("a", true);
    batcher.push("b", true);
    expect(applied).toEqual([["a"], ["b"]]);
  });

  it("holds deltas for one flush with many viewers, and a non-delta flushes them first, in order", async () => {
    const applied: string[][] = [];
    let counted = 0;
    const batcher = new DeltaBatcher<string>((items) => applied.push(items), () => (counted++, 100));
    batcher.push("t1", true);
    batcher.push("t2", true);
    expect(applied).toEqual([]);
    batcher.push("status", false);
    expect(applied).toEqual([["t1", "t2", "status"]]);
    batcher.push("t3", true);
    await new Promise((resolve) => setTimeout(resolve, 40));
    expect(applied).toEqual([["t1", "t2", "status"], ["t3"]]);
    expect(counted).toBe(2);
  });
});
