/** The workspace settings form: the bounds the Worker enforces on `PATCH /api/workspaces/:ws`. */
import { LIMITS } from "./config";
import type { FieldErrors } from "./session-form";
import type { Workspace, WorkspacePatch } from "./api";

export interface WorkspaceForm {
  name: string;
  /** A number input that is emptied binds null. */
  idleStopMinutes: number | null;
  /** US dollars a month; null (an empty input): no budget. */
  monthlyBudgetUsd: number | null;
}

export const BUDGET_MAX_USD = 1_000_000;

export const WORKSPACE_NAME_MAX = 100;

export function workspaceForm(w: Workspace): WorkspaceForm {
  return {
    name: w.name,
    idleStopMinutes: w.idleStopMinutes ?? LIMITS.idleStopMinutes.default,
    monthlyBudgetUsd: w.monthlyBudgetUsd ?? null,
  };
}

export function validateWorkspace(f: WorkspaceForm): FieldErrors {
  const e: FieldErrors = {};
  const name = f.name.trim();
  if (!name) e.name = "Give the workspace a name.";
  else if (name.length > WORKSPACE_NAME_MAX) e.name = `At most ${WORKSPACE_NAME_MAX} characters.`;
  const { min, max } = LIMITS.idleStopMinutes;
  const minutes = f.idleStopMinutes;
  if (minutes === null || !Number.isInteger(minutes) || minutes < min || minutes > max)
    e.idleStopMinutes = `Whole minutes from ${min} to ${max} (${max / 60} hours).`;
  const budget = f.monthlyBudgetUsd;
  if (budget !== null && !(Number.isFinite(budget) && budget > 0 && budget <= BUDGET_MAX_USD))
    e.monthlyBudgetUsd = `More than $0 and at most $${BUDGET_MAX_USD.toLocaleString("en-US")}, or empty for no budget.`;
  return e;
}

/** Only what changed: the server refuses an empty change, so null means there is nothing to save. */
export function workspacePatch(w: Workspace, f: WorkspaceForm): WorkspacePatch | null {
  const patch: WorkspacePatch = {};
  if (f.name.trim() !== w.name) patch.name = f.name.trim();
  if (f.idleStopMinutes !== null && f.idleStopMinutes !== w.idleStopMinutes)
    patch.idleStopMinutes = f.idleStopMinutes;
  if ((f.monthlyBudgetUsd ?? null) !== (w.monthlyBudgetUsd ?? null))
    patch.monthlyBudgetUsd = f.monthlyBudgetUsd;
  return Object.keys(patch).length ? patch : null;
}

/** "15 minutes", "1 hour", "1 hour 30 minutes": how the idle stop reads in prose. */
export function minutesInWords(minutes: number): string {
  const h = Math.floor(minutes / 60);
  const m = minutes % 60;
  const part = (n: number, unit: string) => `${n} ${unit}${n === 1 ? "" : "s"}`;
  if (h === 0) return part(m, "minute");
  return m === 0 ? part(h, "hour") : `${part(h, "hour")} ${part(m, "minute")}`;
}
