/**
 * A workspace's monthly budget: the month's spend is the sum of its sessions' reported turns
 * (D1 usage_turns, UTC months). At 80% the workspace callback is sent a `workspace.budget_warning` once a
 * month; at 100% a `workspace.budget_reached`, its running sessions stop gracefully with reason `budget`,
 * and new ones are refused with 402 until the month ends or the budget is raised.
 */
import { getServerByName } from "partyserver";
import { claimBudgetAlert, monthlyBudgetUsd, runningSessionIds } from "../db/budgets";
import { monthSpendUsd } from "../db/usage";
import type { Env } from "../env";
import { dayOf } from "../protocol/models";

export const BUDGET_WARNING_SHARE = 0.8;
export type BudgetLevel = "warning" | "reached";

/** A budget event for the workspace's callback; travels through the room's callback queue. */
export interface BudgetAlert {
  kind: "budget";
  level: BudgetLevel;
  workspaceId: string;
  month: string;
  spentUsd: number;
  budgetUsd: number;
  at: number;
  /** The session whose turn crossed the line. */
  sessionId: string;
  /** Never a trigger's callback: budget alerts go to the workspace's only. */
  triggerId: null;
}

export interface BudgetStanding {
  month: string;
  spentUsd: number;
  budgetUsd: number | null;
  level: BudgetLevel | null;
}

export async function budgetStanding(
  db: D1Database,
  workspaceId: string,
  now: number,
): Promise<BudgetStanding> {
  const month = dayOf(now).slice(0, 7);
  const [spentUsd, budgetUsd] = await Promise.all([
    monthSpendUsd(db, workspaceId, month),
    monthlyBudgetUsd(db, workspaceId),
  ]);
  const level =
    budgetUsd === null
      ? null
      : spentUsd >= budgetUsd
        ? "reached"
        : spentUsd >= BUDGET_WARNING_SHARE * budgetUsd
          ? "warning"
          : null;
  return { month, spentUsd, budgetUsd, level };
}

/**
 * The alerts not sent yet this month for where the spend stands (a jump past 100% sends both, warning
 * first); each is claimed in D1, so however many rooms report at once, one alert of a kind goes out a month.
 */
export async function newBudgetAlerts(
  db: D1Database,
  standing: BudgetStanding,
  workspaceId: string,
  sessionId: string,
  now: number,
): Promise<BudgetAlert[]> {
  if (standing.level === null || standing.budgetUsd === null) return [];
  const levels: BudgetLevel[] = standing.level === "reached" ? ["warning", "reached"] : ["warning"];
  const alerts: BudgetAlert[] = [];
  for (const level of levels) {
    if (!(await claimBudgetAlert(db, workspaceId, standing.month, level, now))) continue;
    alerts.push({
      kind: "budget",
      triggerId: null,
      level,
      workspaceId,
      month: standing.month,
      spentUsd: standing.spentUsd,
      budgetUsd: standing.budgetUsd,
      at: now,
      sessionId,
    });
  }
  return alerts;
}

/** Stops every running session of the workspace but `except` (the caller stops itself). */
export async function stopRunningSessions(
  env: Env,
  workspaceId: string,
  except: string | null,
): Promise<void> {
  const ids = (await runningSessionIds(env.DB, workspaceId)).filter((id) => id !== except);
  await Promise.all(ids.map(async (id) => (await getServerByName(env.SessionRoom, id)).stopForBudget()));
}

/** The signed body of a budget callback (the same envelope as a phase change's: type, deliveryId, at). */
export function budgetCallbackBody(alert: BudgetAlert, deliveryId: string, publicURL: string): string {
  return JSON.stringify({
    type: `workspace.budget_${alert.level}`,
    deliveryId,
    at: new Date(alert.at).toISOString(),
    workspace: {
      id: alert.workspaceId,
      url: `${publicURL.replace(/\/+$/, "")}/w/${alert.workspaceId}/usage`,
    },
    budget: {
      month: alert.month,
      spentUsd: alert.spentUsd,
      budgetUsd: alert.budgetUsd,
      share: alert.spentUsd / alert.budgetUsd,
    },
    sessionId: alert.sessionId,
  });
}
