/**
 * The Worker's budget checks (the budget itself: session/budget.ts): a workspace that has spent its
 * month's budget starts no session, and a budget lowered under the month's spend stops its running ones.
 */
import type { Env } from "../env";
import { HttpError } from "../http/errors";
import { budgetStanding, stopRunningSessions } from "../session/budget";

/** 402 `budget_exceeded` when the workspace has spent its month's budget: no new session (or run) starts. */
export async function requireBudgetLeft(db: D1Database, workspaceId: string, now: number): Promise<void> {
  const standing = await budgetStanding(db, workspaceId, now);
  if (standing.level !== "reached") return;
  throw new HttpError(
    "budget_exceeded",
    `the workspace has spent $${standing.spentUsd.toFixed(2)} of its $${standing.budgetUsd!.toFixed(2)} budget for ${standing.month}`,
  );
}

/** From the API (a budget changed): if the month's spend has reached it, the running sessions stop. */
export async function stopIfBudgetReached(env: Env, workspaceId: string): Promise<void> {
  if ((await budgetStanding(env.DB, workspaceId, Date.now())).level === "reached")
    await stopRunningSessions(env, workspaceId, null);
}
