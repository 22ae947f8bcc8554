import { describe, expect, it } from "vitest";
import { budgetState, dayBars, formatTokens, formatUsd } from "#lib/usage.ts";

const day = (d: string, model: string, costUsd: number) => ({
  day: d,
  model,
  requests: 1,
  inputTokens: 1,
  outputTokens: 1,
  cacheReadTokens: 0,
  cacheWriteTokens: 0,
  costUsd,
});

describe("usage as shown", () => {
  it("formats tokens and dollars", () => {
    expect([formatTokens(950), formatTokens(1_500), formatTokens(25_000), formatTokens(2_340_000)]).toEqual([
      "950",
      "1.5k",
      "25k",
      "2.34M",
    ]);
    expect([formatUsd(0), formatUsd(0.0042), formatUsd(1.234)]).toEqual(["$0.00", "$0.0042", "$1.23"]);
  });

  it("makes a bar for every day of the range, stacking the models of a day", () => {
    const bars = dayBars(
      [
        day("2026-11-25", "claude-haiku-4-5", 0.5),
        day("2026-11-25", "claude-opus-4-6", 1),
        day("2026-11-27", "claude-haiku-4-5", 0.25),
      ],
      "2026-11-25",
      "2026-11-27",
    );
    expect(bars.map((b) => [b.day, b.total, b.parts.length])).toEqual([
      ["2026-11-25", 1.5, 2],
      ["2026-11-26", 0, 0],
      ["2026-11-27", 0.25, 1],
    ]);
  });

  it("warns from 80% of the budget and says when it is reached", () => {
    expect(budgetState(10, null)).toBeNull();
    expect(budgetState(79, 100)).toMatchObject({ warn: false, reached: false });
    expect(budgetState(80, 100)).toMatchObject({ warn: true, reached: false });
    expect(budgetState(100, 100)).toMatchObject({ warn: true, reached: true });
  });
});
