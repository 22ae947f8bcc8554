import { monthlyBudgetUsd } from "../db/budgets";
import { monthSpendUsd, usageByDay } from "../db/usage";
import { newApp } from "../http/app";
import { parseInput } from "../http/errors";
import { dayOf } from "../protocol/models";
import { UsageQuerySchema, type WorkspaceUsage } from "../protocol/usage";

/** GET /api/workspaces/:ws/usage?from=&to= (member): token usage and cost per day and model, and the month's spend. */
export const usageRoutes = newApp().get("/", async (c) => {
  const { from, to } = parseInput(UsageQuerySchema, c.req.query());
  const ws = c.req.param("ws")!;
  const month = dayOf(Date.now()).slice(0, 7);
  const [days, spentUsd, budgetUsd] = await Promise.all([
    usageByDay(c.env.DB, ws, from, to),
    monthSpendUsd(c.env.DB, ws, month),
    monthlyBudgetUsd(c.env.DB, ws),
  ]);
  const body: WorkspaceUsage = { from, to, days, month: { month, spentUsd, budgetUsd } };
  return c.json(body);
});
