import { flushSync, mount, unmount } from "svelte";
import { afterEach, describe, expect, it } from "vitest";
import { dayBars } from "#lib/usage.ts";
import UsageChart from "#lib/components/UsageChart.svelte";
import BudgetNotice from "#lib/components/BudgetNotice.svelte";

let cleanup: (() => void) | undefined;
afterEach(() => {
  cleanup?.();
  document.body.innerHTML = "";
});

function place() {
  const target = document.createElement("div");
  document.body.append(target);
  return target;
}

function done(target: HTMLElement, app: Record<string, unknown>) {
  flushSync();
  const previous = cleanup;
  cleanup = () => {
    previous?.();
    void unmount(app);
  };
  return target;
}

const chart = (props: { bars: ReturnType<typeof dayBars>; models: string[] }) => {
  const target = place();
  return done(target, mount(UsageChart, { target, props }));
};
const notice = (props: { spentUsd: number; budgetUsd: number | null; month: string }) => {
  const target = place();
  return done(target, mount(BudgetNotice, { target, props }));
};

describe("UsageChart", () => {
  it("draws one rect per day and model, heights in proportion to cost, stacked", () => {
    const row = (d: string, model: string, costUsd: number) => ({
      day: d,
      model,
      requests: 1,
      inputTokens: 0,
      outputTokens: 0,
      cacheReadTokens: 0,
      cacheWriteTokens: 0,
      costUsd,
    });
    const bars = dayBars(
      [row("2026-11-26", "a", 1), row("2026-11-26", "b", 1), row("2026-11-27", "a", 0.5)],
      "2026-11-26",
      "2026-11-27",
    );
    const target = chart({ bars, models: ["a", "b"] });
    const rects = [...target.querySelectorAll<SVGRectElement>("rect[data-bar]")];
    expect(rects.map((r) => `${r.dataset.bar}/${r.dataset.model}`)).toEqual([
      "2026-11-26/a",
      "2026-11-26/b",
      "2026-11-27/a",
    ]);
    const h = rects.map((r) => Number(r.getAttribute("height")));
    expect(h[0]).toBeCloseTo(h[1]);
    expect(h[2]).toBeCloseTo(h[0] / 2);
    // The second model sits on the first.
    expect(Number(rects[1].getAttribute("y")) + h[1]).toBeCloseTo(Number(rects[0].getAttribute("y")));
    expect(target.querySelector("figcaption")?.textContent).toContain("b");
  });
});

describe("BudgetNotice", () => {
  it("says nothing without a budget, warns at 80%, alerts when reached", () => {
    expect(notice({ spentUsd: 5, budgetUsd: null, month: "2026-11" }).textContent?.trim()).toBe("");
    expect(
      notice({ spentUsd: 8.5, budgetUsd: 10, month: "2026-11" })
        .querySelector("[data-budget]")
        ?.getAttribute("data-budget"),
    ).toBe("warning");
    const reached = notice({ spentUsd: 10.2, budgetUsd: 10, month: "2026-11" }).querySelector("[role=alert]");
    expect(reached?.textContent).toContain("$10.00");
  });
});
