import { LIMITS } from "../protocol/session-config";
import type { Role, Workspace } from "./types";

/** A workspace as one of its members sees it: with their role. */
export interface MyWorkspace extends Workspace {
  role: Role;
}

interface MyWorkspaceRow {
  id: string;
  name: string;
  created_at: number;
  idle_stop_minutes: number;
  monthly_budget_usd: number | null;
  role: Role;
}

const toMyWorkspace = (row: MyWorkspaceRow): MyWorkspace => ({
  id: row.id,
  name: row.name,
  role: row.role,
  createdAt: row.created_at,
  idleStopMinutes: row.idle_stop_minutes,
  monthlyBudgetUsd: row.monthly_budget_usd,
});

/** Creates the workspace and makes its creator the owner, atomically. */
export async function createWorkspace(db: D1Database, userId: string, name: string): Promise<MyWorkspace> {
  const workspace: MyWorkspace = {
    id: crypto.randomUUID(),
    name,
    role: "owner",
    createdAt: Date.now(),
    idleStopMinutes: LIMITS.idleStopMinutes.default,
    monthlyBudgetUsd: null,
  };
  await db.batch([
    db
      .prepare("INSERT INTO workspaces (id, name, created_by, created_at) VALUES (?, ?, ?, ?)")
      .bind(workspace.id, name, userId, workspace.createdAt),
    db
      .prepare("INSERT INTO members (workspace_id, user_id, role, created_at) VALUES (?, ?, 'owner', ?)")
      .bind(workspace.id, userId, workspace.createdAt),
  ]);
  return workspace;
}

const MY_WORKSPACE_SELECT = `SELECT w.id, w.name, w.created_at, w.idle_stop_minutes, w.monthly_budget_usd, m.role
  FROM workspaces w JOIN members m ON m.workspace_id = w.id AND m.user_id = ?`;

export async function listMyWorkspaces(db: D1Database, userId: string): Promise<MyWorkspace[]> {
  const { results } = await db
    .prepare(`${MY_WORKSPACE_SELECT} ORDER BY w.created_at, w.rowid`)
    .bind(userId)
    .all<MyWorkspaceRow>();
  return results.map(toMyWorkspace);
}

export async function getMyWorkspace(
  db: D1Database,
  userId: string,
  workspaceId: string,
): Promise<MyWorkspace | null> {
  const row = await db
    .prepare(`${MY_WORKSPACE_SELECT} WHERE w.id = ?`)
    .bind(userId, workspaceId)
    .first<MyWorkspaceRow>();
  return row ? toMyWorkspace(row) : null;
}

/** Changes a workspace's settings; only the fields given. */
export async function updateWorkspace(
  db: D1Database,
  workspaceId: string,
  patch: { name?: string; idleStopMinutes?: number; monthlyBudgetUsd?: number | null },
): Promise<void> {
  const sets: string[] = [];
  const values: (string | number | null)[] = [];
  if (patch.name !== undefined) {
    sets.push("name = ?");
    values.push(patch.name);
  }
  if (patch.idleStopMinutes !== undefined) {
    sets.push("idle_stop_minutes = ?");
    values.push(patch.idleStopMinutes);
  }
  if (patch.monthlyBudgetUsd !== undefined) {
    sets.push("monthly_budget_usd = ?");
    values.push(patch.monthlyBudgetUsd);
  }
  if (sets.length === 0) return;
  await db
    .prepare(`UPDATE workspaces SET ${sets.join(", ")} WHERE id = ?`)
    .bind(...values, workspaceId)
    .run();
}

/** How long a session of this workspace may sit idle before it is stopped. */
export async function idleStopMinutes(db: D1Database, workspaceId: string): Promise<number> {
  const row = await db
    .prepare("SELECT idle_stop_minutes FROM workspaces WHERE id = ?")
    .bind(workspaceId)
    .first<{ idle_stop_minutes: number }>();
  return row?.idle_stop_minutes ?? LIMITS.idleStopMinutes.default;
}
