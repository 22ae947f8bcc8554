/**
 * Token usage and its cost: a session's totals, a workspace's per day and
 * model, and the query that asks for them. No Worker-runtime imports: web/ imports this file.
 */
import { z } from "zod";

const tokens = z.int().nonnegative();

/** A session's usage over all its turns, priced with the catalog's prices at each turn. */
export const SessionUsageSchema = z.object({
  inputTokens: tokens,
  outputTokens: tokens,
  cacheReadTokens: tokens,
  cacheWriteTokens: tokens,
  costUsd: z.number().nonnegative(),
});
export type SessionUsage = z.infer<typeof SessionUsageSchema>;
export const NO_USAGE: SessionUsage = {
  inputTokens: 0,
  outputTokens: 0,
  cacheReadTokens: 0,
  cacheWriteTokens: 0,
  costUsd: 0,
};

/** One day and model of a workspace's usage (days are UTC). */
export const UsageDaySchema = SessionUsageSchema.extend({
  day: z.string(),
  model: z.string(),
  requests: tokens,
});
export type UsageDay = z.infer<typeof UsageDaySchema>;

const Day = z
  .string()
  .regex(/^\d{4}-\d{2}-\d{2}$/, "a date as YYYY-MM-DD")
  .refine((day) => !Number.isNaN(Date.parse(`${day}T00:00:00Z`)), "not a date");

/** GET /api/workspaces/:ws/usage?from=&to=: days, inclusive; by default the last 30 days. At most 366 days. */
export const UsageQuerySchema = z
  .object({ from: Day.optional(), to: Day.optional() })
  .transform(({ from, to }, ctx) => {
    const end = to ?? new Date().toISOString().slice(0, 10);
    const start =
      from ?? new Date(Date.parse(`${end}T00:00:00Z`) - 29 * 86_400_000).toISOString().slice(0, 10);
    const days = (Date.parse(`${end}T00:00:00Z`) - Date.parse(`${start}T00:00:00Z`)) / 86_400_000;
    if (days < 0) ctx.addIssue({ code: "custom", path: ["from"], message: "from is after to" });
    else if (days > 365) ctx.addIssue({ code: "custom", path: ["from"], message: "at most 366 days" });
    return { from: start, to: end };
  });

export const WorkspaceUsageSchema = z.object({
  from: z.string(),
  to: z.string(),
  days: z.array(UsageDaySchema),
  /** The month so far (UTC) and the workspace's budget, if any. */
  month: z.object({ month: z.string(), spentUsd: z.number(), budgetUsd: z.number().nullable() }),
});
export type WorkspaceUsage = z.infer<typeof WorkspaceUsageSchema>;
