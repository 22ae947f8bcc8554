import type { SecretScope } from "../protocol/workspace";
import type { Sealed } from "./types";

export interface SecretRow extends Sealed {
  name: string;
  scope: SecretScope;
  updated_at: number;
}

/** How long a replaced or deleted value is still redacted: a workspace saved before the change may hold it. */
export const RETIRED_SECRET_MS = 30 * 24 * 60 * 60 * 1000;

export async function listSecretRows(db: D1Database, workspaceId: string): Promise<SecretRow[]> {
  const { results } = await db
    .prepare(
      "SELECT name, scope, ciphertext, iv, updated_at FROM secrets WHERE workspace_id = ? ORDER BY name",
    )
    .bind(workspaceId)
    .all<SecretRow>();
  return results;
}

/** Values replaced or deleted in the last 30 days, sealed as they were. */
export async function listRetiredSecretRows(
  db: D1Database,
  workspaceId: string,
  now: number,
): Promise<(Sealed & { name: string })[]> {
  const { results } = await db
    .prepare("SELECT name, ciphertext, iv FROM retired_secrets WHERE workspace_id = ? AND retired_at >= ?")
    .bind(workspaceId, now - RETIRED_SECRET_MS)
    .all<Sealed & { name: string }>();
  return results;
}

/** Keeps the value a change is about to replace (or delete) for redaction, and forgets those past 30 days. */
function retire(db: D1Database, workspaceId: string, name: string, now: number): D1PreparedStatement[] {
  return [
    db
      .prepare("DELETE FROM retired_secrets WHERE workspace_id = ? AND retired_at < ?")
      .bind(workspaceId, now - RETIRED_SECRET_MS),
    db
      .prepare(
        `INSERT INTO retired_secrets (workspace_id, name, ciphertext, iv, retired_at)
         SELECT workspace_id, name, ciphertext, iv, ? FROM secrets WHERE workspace_id = ? AND name = ?`,
      )
      .bind(now, workspaceId, name),
  ];
}

/** Sets a secret's value; `scope` null keeps an existing secret's scope (a new one takes `newScope`). */
export async function upsertSecret(
  db: D1Database,
  workspaceId: string,
  name: string,
  sealed: Sealed,
  scope: { given: SecretScope | null; newScope: SecretScope },
  now: number,
): Promise<void> {
  await db.batch([
    ...retire(db, workspaceId, name, now),
    db
      .prepare(
        `INSERT INTO secrets (workspace_id, name, ciphertext, iv, updated_at, scope) VALUES (?1, ?2, ?3, ?4, ?5, coalesce(?6, ?7))
         ON CONFLICT (workspace_id, name) DO UPDATE SET ciphertext = excluded.ciphertext, iv = excluded.iv,
           updated_at = excluded.updated_at, scope = coalesce(?6, secrets.scope)`,
      )
      .bind(workspaceId, name, sealed.ciphertext, sealed.iv, now, scope.given, scope.newScope),
  ]);
}

/** False when there was no such secret. */
export async function deleteSecret(
  db: D1Database,
  workspaceId: string,
  name: string,
  now: number,
): Promise<boolean> {
  const [, , deleted] = await db.batch([
    ...retire(db, workspaceId, name, now),
    db.prepare("DELETE FROM secrets WHERE workspace_id = ? AND name = ?").bind(workspaceId, name),
  ]);
  return (deleted?.meta.changes ?? 0) > 0;
}
