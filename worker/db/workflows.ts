import type { WorkspaceWorkflow } from "../protocol/workflows";

interface WorkflowRow {
  name: string;
  title: string;
  system_prompt: string;
  first_message: string;
  created_at: number;
  updated_at: number;
}

export interface WorkflowDefinition {
  title: string;
  systemPrompt: string;
  firstMessage: string;
}

const toWorkflow = (row: WorkflowRow): WorkspaceWorkflow => ({
  name: row.name,
  title: row.title,
  systemPrompt: row.system_prompt,
  firstMessage: row.first_message,
  builtIn: false,
  createdAt: row.created_at,
  updatedAt: row.updated_at,
});

const COLUMNS = "name, title, system_prompt, first_message, created_at, updated_at";

export async function listWorkflows(db: D1Database, workspaceId: string): Promise<WorkspaceWorkflow[]> {
  const { results } = await db
    .prepare(`SELECT ${COLUMNS} FROM workflows WHERE workspace_id = ? ORDER BY name`)
    .bind(workspaceId)
    .all<WorkflowRow>();
  return results.map(toWorkflow);
}

export async function getWorkflow(
  db: D1Database,
  workspaceId: string,
  name: string,
): Promise<WorkspaceWorkflow | null> {
  const row = await db
    .prepare(`SELECT ${COLUMNS} FROM workflows WHERE workspace_id = ? AND name = ?`)
    .bind(workspaceId, name)
    .first<WorkflowRow>();
  return row && toWorkflow(row);
}

/** Inserts the workflow; false when the workspace has one of that name already. */
export async function insertWorkflow(
  db: D1Database,
  workspaceId: string,
  name: string,
  definition: WorkflowDefinition,
  createdBy: string,
  now: number,
): Promise<boolean> {
  const result = await db
    .prepare(
      `INSERT INTO workflows (workspace_id, name, title, system_prompt, first_message, created_by, created_at, updated_at)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (workspace_id, name) DO NOTHING`,
    )
    .bind(
      workspaceId,
      name,
      definition.title,
      definition.systemPrompt,
      definition.firstMessage,
      createdBy,
      now,
      now,
    )
    .run();
  return result.meta.changes > 0;
}

/** Replaces the workflow's definition; false when there is none of that name. */
export async function updateWorkflow(
  db: D1Database,
  workspaceId: string,
  name: string,
  definition: WorkflowDefinition,
  now: number,
): Promise<boolean> {
  const result = await db
    .prepare(
      `UPDATE workflows SET title = ?, system_prompt = ?, first_message = ?, updated_at = ? WHERE workspace_id = ? AND name = ?`,
    )
    .bind(definition.title, definition.systemPrompt, definition.firstMessage, now, workspaceId, name)
    .run();
  return result.meta.changes > 0;
}

export async function deleteWorkflow(db: D1Database, workspaceId: string, name: string): Promise<boolean> {
  const result = await db
    .prepare(`DELETE FROM workflows WHERE workspace_id = ? AND name = ?`)
    .bind(workspaceId, name)
    .run();
  return result.meta.changes > 0;
}

/** How many of the workspace's sessions name this workflow (the D1 index mirrors each session's). */
export async function sessionsUsingWorkflow(
  db: D1Database,
  workspaceId: string,
  name: string,
): Promise<number> {
  const row = await db
    .prepare(`SELECT COUNT(*) AS n FROM sessions WHERE workspace_id = ? AND workflow = ?`)
    .bind(workspaceId, name)
    .first<{ n: number }>();
  return row?.n ?? 0;
}

/** The index follows a session's workflow (set at creation, changed by PATCH). */
export function setSessionWorkflow(
  db: D1Database,
  sessionId: string,
  workflow: string | null,
): Promise<D1Result> {
  return db.prepare(`UPDATE sessions SET workflow = ? WHERE id = ?`).bind(workflow, sessionId).run();
}
