import type { Sealed } from "./types";

export interface SecretRow extends Sealed {
  name: string;
  updated_at: number;
}

export async function listSecretRows(db: D1Database, workspaceId: string): Promise<SecretRow[]> {
  const { results } = await db
    .prepare("SELECT name, ciphertext, iv, updated_at FROM secrets WHERE workspace_id = ? ORDER BY name")
    .bind(workspaceId)
    .all<SecretRow>();
  return results;
}

export async function upsertSecret(db: D1Database, workspaceId: string, name: string, sealed: Sealed, now: number): Promise<void> {
  await db
    .prepare(
      `INSERT INTO secrets (workspace_id, name, ciphertext, iv, updated_at) VALUES (?, ?, ?, ?, ?)
       ON CONFLICT (workspace_id, name) DO UPDATE SET ciphertext = excluded.ciphertext, iv = excluded.iv, updated_at = excluded.updated_at`,
    )
    .bind(workspaceId, name, sealed.ciphertext, sealed.iv, now)
    .run();
}

/** False when there was no such secret. */
export async function deleteSecret(db: D1Database, workspaceId: string, name: string): Promise<boolean> {
  const result = await db.prepare("DELETE FROM secrets WHERE workspace_id = ? AND name = ?").bind(workspaceId, name).run();
  return result.meta.changes > 0;
}
