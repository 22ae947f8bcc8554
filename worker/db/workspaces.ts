import type { Role, Workspace } from "./types";

/** A workspace as one of its members sees it: with their role. */
export interface MyWorkspace extends Workspace {
  role: Role;
}

interface MyWorkspaceRow {
  id: string;
  name: string;
  created_at: number;
  role: Role;
}

const toMyWorkspace = (row: MyWorkspaceRow): MyWorkspace => ({
  id: row.id,
  name: row.name,
  role: row.role,
  createdAt: row.created_at,
});

/** Creates the workspace and makes its creator the owner, atomically. */
export async function createWorkspace(db: D1Database, userId: string, name: string): Promise<MyWorkspace> {
  const workspace: MyWorkspace = { id: crypto.randomUUID(), name, role: "owner", createdAt: Date.now() };
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

const MY_WORKSPACE_SELECT = `SELECT w.id, w.name, w.created_at, m.role
  FROM workspaces w JOIN members m ON m.workspace_id = w.id AND m.user_id = ?`;

export async function listMyWorkspaces(db: D1Database, userId: string): Promise<MyWorkspace[]> {
  const { results } = await db
    .prepare(`${MY_WORKSPACE_SELECT} ORDER BY w.created_at, w.rowid`)
    .bind(userId)
    .all<MyWorkspaceRow>();
  return results.map(toMyWorkspace);
}

export async function getMyWorkspace(db: D1Database, userId: string, workspaceId: string): Promise<MyWorkspace | null> {
  const row = await db
    .prepare(`${MY_WORKSPACE_SELECT} WHERE w.id = ?`)
    .bind(userId, workspaceId)
    .first<MyWorkspaceRow>();
  return row ? toMyWorkspace(row) : null;
}
