/**
 * Invitations: a member added by email is an invitation until the person with that email comes, whether
 * or not they have an account yet, so adding a member answers the same either way and reveals no one's
 * account. Emails are kept lower-case, matched so.
 */
import type { Role } from "./types";

export interface Invitation {
  email: string;
  role: Role;
  invitedBy: string;
  createdAt: number;
}

interface InvitationRow {
  email: string;
  role: Role;
  inviter_name: string | null;
  created_at: number;
}

/** Invites (or re-invites with a new role) this email; false when it already belongs to a member. */
export async function invite(
  db: D1Database,
  workspaceId: string,
  email: string,
  role: Role,
  invitedBy: string,
  now: number,
): Promise<boolean> {
  const result = await db
    .prepare(
      `INSERT INTO invitations (workspace_id, email, role, invited_by, created_at)
       SELECT ?1, ?2, ?3, ?4, ?5
       WHERE NOT EXISTS (SELECT 1 FROM members m JOIN users u ON u.id = m.user_id WHERE m.workspace_id = ?1 AND lower(u.email) = ?2)
       ON CONFLICT (workspace_id, email) DO UPDATE SET role = excluded.role, invited_by = excluded.invited_by, created_at = excluded.created_at`,
    )
    .bind(workspaceId, email.toLowerCase(), role, invitedBy, now)
    .run();
  return result.meta.changes > 0;
}

export async function listInvitations(db: D1Database, workspaceId: string): Promise<Invitation[]> {
  const { results } = await db
    .prepare(
      `SELECT i.email, i.role, u.name AS inviter_name, i.created_at FROM invitations i LEFT JOIN users u ON u.id = i.invited_by
       WHERE i.workspace_id = ? ORDER BY i.created_at, i.rowid`,
    )
    .bind(workspaceId)
    .all<InvitationRow>();
  return results.map((row) => ({
    email: row.email,
    role: row.role,
    invitedBy: row.inviter_name ?? "",
    createdAt: row.created_at,
  }));
}

/** Withdraws an invitation; false when there was none. */
export async function withdrawInvitation(
  db: D1Database,
  workspaceId: string,
  email: string,
): Promise<boolean> {
  const result = await db
    .prepare(`DELETE FROM invitations WHERE workspace_id = ? AND email = ?`)
    .bind(workspaceId, email.toLowerCase())
    .run();
  return result.meta.changes > 0;
}

/**
 * The person came: their invitations (to one workspace, or to every one) become memberships, in one batch,
 * and are gone. A person without an email has none.
 */
export async function acceptInvitations(
  db: D1Database,
  user: { id: string; email: string | null },
  now: number,
  workspaceId?: string,
): Promise<void> {
  if (!user.email) return;
  const only = workspaceId === undefined ? "" : " AND workspace_id = ?4";
  const values = [
    user.id,
    user.email.toLowerCase(),
    now,
    ...(workspaceId === undefined ? [] : [workspaceId]),
  ];
  await db.batch([
    db
      .prepare(
        `INSERT INTO members (workspace_id, user_id, role, created_at)
         SELECT workspace_id, ?1, role, ?3 FROM invitations WHERE email = ?2${only}
         ON CONFLICT (workspace_id, user_id) DO NOTHING`,
      )
      .bind(...values),
    db
      .prepare(`DELETE FROM invitations WHERE email = ?2 AND ?1 IS NOT NULL AND ?3 IS NOT NULL${only}`)
      .bind(...values),
  ]);
}
