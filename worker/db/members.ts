import type { Member, Role } from "./types";

/** A member as the members list shows them. */
export interface MemberProfile {
  userId: string;
  name: string;
  email: string | null;
  role: Role;
  createdAt: number;
}

interface MemberProfileRow {
  user_id: string;
  name: string;
  email: string | null;
  role: Role;
  created_at: number;
}

const toMemberProfile = (row: MemberProfileRow): MemberProfile => ({
  userId: row.user_id,
  name: row.name,
  email: row.email,
  role: row.role,
  createdAt: row.created_at,
});

const PROFILE_SELECT = `SELECT m.user_id, u.name, u.email, m.role, m.created_at
  FROM members m JOIN users u ON u.id = m.user_id`;

export async function getMembership(
  db: D1Database,
  workspaceId: string,
  userId: string,
): Promise<Member | null> {
  const row = await db
    .prepare("SELECT role FROM members WHERE workspace_id = ? AND user_id = ?")
    .bind(workspaceId, userId)
    .first<{ role: Role }>();
  return row ? { workspaceId, userId, role: row.role } : null;
}

export async function listMembers(db: D1Database, workspaceId: string): Promise<MemberProfile[]> {
  const { results } = await db
    .prepare(`${PROFILE_SELECT} WHERE m.workspace_id = ? ORDER BY m.created_at, m.rowid`)
    .bind(workspaceId)
    .all<MemberProfileRow>();
  return results.map(toMemberProfile);
}

export async function getMemberProfile(
  db: D1Database,
  workspaceId: string,
  userId: string,
): Promise<MemberProfile | null> {
  const row = await db
    .prepare(`${PROFILE_SELECT} WHERE m.workspace_id = ? AND m.user_id = ?`)
    .bind(workspaceId, userId)
    .first<MemberProfileRow>();
  return row ? toMemberProfile(row) : null;
}

/**
 * A change that would leave the workspace without an owner is refused inside the statement itself, so two
 * owners demoting each other at once cannot both succeed.
 */
const KEEPS_AN_OWNER = `(role <> 'owner'
  OR (SELECT count(*) FROM members WHERE workspace_id = ?1 AND role = 'owner') > 1)`;

export type MemberChange = "done" | "not_member" | "last_owner";

export async function changeRole(
  db: D1Database,
  workspaceId: string,
  userId: string,
  role: Role,
): Promise<MemberChange> {
  const result = await db
    .prepare(
      `UPDATE members SET role = ?3 WHERE workspace_id = ?1 AND user_id = ?2
       AND (?3 = 'owner' OR ${KEEPS_AN_OWNER})`,
    )
    .bind(workspaceId, userId, role)
    .run();
  return result.meta.changes > 0 ? "done" : whyUnchanged(db, workspaceId, userId);
}

export async function removeMember(
  db: D1Database,
  workspaceId: string,
  userId: string,
): Promise<MemberChange> {
  const result = await db
    .prepare(`DELETE FROM members WHERE workspace_id = ?1 AND user_id = ?2 AND ${KEEPS_AN_OWNER}`)
    .bind(workspaceId, userId)
    .run();
  return result.meta.changes > 0 ? "done" : whyUnchanged(db, workspaceId, userId);
}

async function whyUnchanged(db: D1Database, workspaceId: string, userId: string): Promise<MemberChange> {
  return (await getMembership(db, workspaceId, userId)) ? "last_owner" : "not_member";
}

/** The workspaces the user belongs to (where their API tokens may hold a socket). */
export async function workspaceIdsOfUser(db: D1Database, userId: string): Promise<string[]> {
  const { results } = await db
    .prepare(`SELECT workspace_id FROM members WHERE user_id = ?`)
    .bind(userId)
    .all<{ workspace_id: string }>();
  return results.map((row) => row.workspace_id);
}
