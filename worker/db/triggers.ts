import type { Sealed } from "./types";

/** The additional data of a sealed trigger secret: it opens only as this trigger's. */
export const triggerSecretContext = (triggerId: string) => `trigger:${triggerId}`;
/** The additional data of a workspace callback's sealed signing secret. */
export const callbackSecretContext = (workspaceId: string) => `callback:${workspaceId}`;

export interface TriggerRow {
  id: string;
  workspace_id: string;
  name: string;
  secret_ciphertext: string;
  secret_iv: string;
  /** The create-session body as JSON, defaults applied. */
  session_config: string;
  prompt_template: string;
  filter_event: string | null;
  filter_action: string | null;
  callback_url: string | null;
  require_approval: number;
  created_by: string;
  creator_name: string | null;
  created_at: number;
}

export interface NewTrigger {
  id: string;
  workspaceId: string;
  name: string;
  secret: Sealed;
  sessionConfig: unknown;
  promptTemplate: string;
  filter: { event?: string; action?: string } | undefined;
  callbackUrl: string | null;
  requireApproval: boolean;
  createdBy: string;
  createdAt: number;
}

const SELECT = `SELECT t.*, u.name AS creator_name FROM triggers t LEFT JOIN users u ON u.id = t.created_by`;

export async function insertTrigger(db: D1Database, t: NewTrigger): Promise<void> {
  await db
    .prepare(
      `INSERT INTO triggers (id, workspace_id, name, secret_ciphertext, secret_iv, session_config, prompt_template,
         filter_event, filter_action, callback_url, require_approval, created_by, created_at)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    )
    .bind(
      t.id,
      t.workspaceId,
      t.name,
      t.secret.ciphertext,
      t.secret.iv,
      JSON.stringify(t.sessionConfig),
      t.promptTemplate,
      t.filter?.event ?? null,
      t.filter?.action ?? null,
      t.callbackUrl,
      t.requireApproval ? 1 : 0,
      t.createdBy,
      t.createdAt,
    )
    .run();
}

export async function listTriggers(db: D1Database, workspaceId: string): Promise<TriggerRow[]> {
  const { results } = await db
    .prepare(`${SELECT} WHERE t.workspace_id = ? ORDER BY t.created_at, t.rowid`)
    .bind(workspaceId)
    .all<TriggerRow>();
  return results;
}

/** A trigger of this workspace: the check behind every trigger route. */
export function findTrigger(db: D1Database, workspaceId: string, id: string): Promise<TriggerRow | null> {
  return db
    .prepare(`${SELECT} WHERE t.id = ? AND t.workspace_id = ?`)
    .bind(id, workspaceId)
    .first<TriggerRow>();
}

/** A trigger by id alone: webhooks name only the trigger, and prove who they are by its secret. */
export function getTrigger(db: D1Database, id: string): Promise<TriggerRow | null> {
  return db.prepare(`${SELECT} WHERE t.id = ?`).bind(id).first<TriggerRow>();
}

export async function deleteTrigger(db: D1Database, workspaceId: string, id: string): Promise<boolean> {
  const result = await db
    .prepare(`DELETE FROM triggers WHERE id = ? AND workspace_id = ?`)
    .bind(id, workspaceId)
    .run();
  return result.meta.changes > 0;
}

export interface WorkspaceCallbackRow {
  workspace_id: string;
  url: string;
  secret_ciphertext: string;
  secret_iv: string;
  updated_at: number;
}

export function getWorkspaceCallback(
  db: D1Database,
  workspaceId: string,
): Promise<WorkspaceCallbackRow | null> {
  return db
    .prepare(`SELECT * FROM workspace_callbacks WHERE workspace_id = ?`)
    .bind(workspaceId)
    .first<WorkspaceCallbackRow>();
}

export async function putWorkspaceCallback(
  db: D1Database,
  workspaceId: string,
  url: string,
  secret: Sealed,
  now: number,
): Promise<void> {
  await db
    .prepare(
      `INSERT INTO workspace_callbacks (workspace_id, url, secret_ciphertext, secret_iv, updated_at) VALUES (?, ?, ?, ?, ?)
       ON CONFLICT (workspace_id) DO UPDATE SET url = excluded.url, secret_ciphertext = excluded.secret_ciphertext,
         secret_iv = excluded.secret_iv, updated_at = excluded.updated_at`,
    )
    .bind(workspaceId, url, secret.ciphertext, secret.iv, now)
    .run();
}

export async function deleteWorkspaceCallback(db: D1Database, workspaceId: string): Promise<boolean> {
  const result = await db
    .prepare(`DELETE FROM workspace_callbacks WHERE workspace_id = ?`)
    .bind(workspaceId)
    .run();
  return result.meta.changes > 0;
}
