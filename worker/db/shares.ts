/** Share links in D1: a session's read-only links for guests, found by the SHA-256 of their token. */
import type { Share } from "../protocol/shares";

interface ShareRow {
  id: string;
  session_id: string;
  created_at: number;
  expires_at: number | null;
  creator_name: string | null;
}

const toShare = (row: ShareRow): Share => ({
  id: row.id,
  sessionId: row.session_id,
  createdAt: row.created_at,
  expiresAt: row.expires_at,
  createdBy: row.creator_name ?? "",
});

export async function insertShare(
  db: D1Database,
  row: {
    id: string;
    sessionId: string;
    hash: string;
    createdBy: string;
    createdAt: number;
    expiresAt: number | null;
  },
): Promise<void> {
  await db
    .prepare(
      `INSERT INTO session_shares (id, session_id, hash, created_by, created_at, expires_at) VALUES (?, ?, ?, ?, ?, ?)`,
    )
    .bind(row.id, row.sessionId, row.hash, row.createdBy, row.createdAt, row.expiresAt)
    .run();
}

/** The session's live links (neither revoked nor expired), oldest first; never their tokens. */
export async function listShares(db: D1Database, sessionId: string, now: number): Promise<Share[]> {
  const { results } = await db
    .prepare(
      `SELECT s.id, s.session_id, s.created_at, s.expires_at, u.name AS creator_name
       FROM session_shares s LEFT JOIN users u ON u.id = s.created_by
       WHERE s.session_id = ? AND s.revoked_at IS NULL AND (s.expires_at IS NULL OR s.expires_at > ?)
       ORDER BY s.created_at, s.rowid`,
    )
    .bind(sessionId, now)
    .all<ShareRow>();
  return results.map(toShare);
}

/** Revokes one live link of the session; false when there is none by that id. */
export async function revokeShare(
  db: D1Database,
  sessionId: string,
  shareId: string,
  now: number,
): Promise<boolean> {
  const result = await db
    .prepare(
      `UPDATE session_shares SET revoked_at = ? WHERE id = ? AND session_id = ? AND revoked_at IS NULL`,
    )
    .bind(now, shareId, sessionId)
    .run();
  return result.meta.changes > 0;
}

/**
 * The live link with this token hash, if its session still exists and its creator may still make links
 * there (an owner or editor of the session's workspace): revoked, expired and orphaned links, and those of
 * a removed or demoted creator, are all simply not found.
 */
export async function shareByHash(
  db: D1Database,
  hash: string,
  now: number,
): Promise<{ id: string; sessionId: string; expiresAt: number | null } | null> {
  const row = await db
    .prepare(
      `SELECT sh.id, sh.session_id, sh.expires_at FROM session_shares sh
       JOIN sessions s ON s.id = sh.session_id
       JOIN members m ON m.workspace_id = s.workspace_id AND m.user_id = sh.created_by AND m.role IN ('owner', 'editor')
       WHERE sh.hash = ? AND sh.revoked_at IS NULL AND (sh.expires_at IS NULL OR sh.expires_at > ?)`,
    )
    .bind(hash, now)
    .first<{ id: string; session_id: string; expires_at: number | null }>();
  return row ? { id: row.id, sessionId: row.session_id, expiresAt: row.expires_at } : null;
}

/**
 * Revokes every live link this person made in the workspace's sessions (they were removed, or may no
 * longer share); returns them, so their guests' sockets can be closed.
 */
export async function revokeSharesOf(
  db: D1Database,
  workspaceId: string,
  userId: string,
  now: number,
): Promise<{ id: string; sessionId: string }[]> {
  const { results } = await db
    .prepare(
      `UPDATE session_shares SET revoked_at = ?1
       WHERE created_by = ?2 AND revoked_at IS NULL AND session_id IN (SELECT id FROM sessions WHERE workspace_id = ?3)
       RETURNING id, session_id`,
    )
    .bind(now, userId, workspaceId)
    .all<{ id: string; session_id: string }>();
  return results.map((row) => ({ id: row.id, sessionId: row.session_id }));
}
