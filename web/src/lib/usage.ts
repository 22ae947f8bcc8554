/** Usage and cost as the app shows them: tokens in thousands or millions, dollars to the cent (or finer when small). */
import type { UsageDay } from "./api";

export function formatTokens(n: number): string {
  if (n >= 1_000_000) return `${(n / 1_000_000).toFixed(n >= 10_000_000 ? 1 : 2)}M`;
  if (n >= 1_000) return `${(n / 1_000).toFixed(n >= 10_000 ? 0 : 1)}k`;
  return String(n);
}

export function formatUsd(usd: number): string {
  if (usd === 0) return "$0.00";
  if (usd < 0.01) return `$${usd.toFixed(4)}`;
  return `$${usd.toFixed(2)}`;
}

/** One bar of the chart: a day, its cost per model (stacked), and its total. */
export interface DayBar {
  day: string;
  total: number;
  parts: { model: string; costUsd: number }[];
}

/** Every day from `from` to `to` (UTC, inclusive), with the cost of each model that day; days without usage are empty bars. */
export function dayBars(days: readonly UsageDay[], from: string, to: string): DayBar[] {
  const bars: DayBar[] = [];
  for (let t = Date.parse(`${from}T00:00:00Z`); t <= Date.parse(`${to}T00:00:00Z`); t += 86_400_000) {
    const day = new Date(t).toISOString().slice(0, 10);
    const parts = days.filter((d) => d.day === day).map((d) => ({ model: d.model, costUsd: d.costUsd }));
    bars.push({ day, total: parts.reduce((sum, p) => sum + p.costUsd, 0), parts });
  }
  return bars;
}

/** The share of the month's budget spent, and whether the 80% warning applies. */
export function budgetState(
  spentUsd: number,
  budgetUsd: number | null,
): { share: number; warn: boolean; reached: boolean } | null {
  if (budgetUsd === null || budgetUsd <= 0) return null;
  const share = spentUsd / budgetUsd;
  return { share, warn: share >= 0.8, reached: share >= 1 };
}
