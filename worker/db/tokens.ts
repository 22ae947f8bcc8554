import type { User } from "./types";

export interface ApiToken {
  id: string;
  name: string;
  createdAt: number;
  lastUsedAt: number | null;
}

interface TokenRow {
  id: string;
  name: string;
  created_at: number;
  last_used_at: number | null;
}

const toApiToken = (row: TokenRow): ApiToken => ({
  id: row.id,
  name: row.name,
  createdAt: row.created_at,
  lastUsedAt: row.last_used_at,
});

/** last_used_at is refreshed at most this often, so a busy script does not write on every request. */
const LAST_USED_RESOLUTION_MS = 60_000;

export async function insertToken(
  db: D1Database,
  userId: string,
  name: string,
  hash: string,
): Promise<ApiToken> {
  const token: ApiToken = { id: crypto.randomUUID(), name, createdAt: Date.now(), lastUsedAt: null };
  await db
    .prepare("INSERT INTO api_tokens (id, user_id, name, hash, created_at) VALUES (?, ?, ?, ?, ?)")
    .bind(token.id, userId, name, hash, token.createdAt)
    .run();
  return token;
}

export async function listTokens(db: D1Database, userId: string): Promise<ApiToken[]> {
  const { results } = await db
    .prepare(
      `SELECT id, name, created_at, last_used_at FROM api_tokens
       WHERE user_id = ? AND revoked_at IS NULL ORDER BY created_at, rowid`,
    )
    .bind(userId)
    .all<TokenRow>();
  return results.map(toApiToken);
}

/** Revokes one of the user's own live tokens; false when there is no such token. */
export async function revokeToken(db: D1Database, userId: string, id: string): Promise<boolean> {
  const result = await db
    .prepare("UPDATE api_tokens SET revoked_at = ? WHERE id = ? AND user_id = ? AND revoked_at IS NULL")
    .bind(Date.now(), id, userId)
    .run();
  return result.meta.changes > 0;
}

/** The owner of a live token with this hash and the token's id, recording the use. */
export async function userForTokenHash(
  db: D1Database,
  hash: string,
): Promise<{ user: User; tokenId: string } | null> {
  const row = await db
    .prepare(
      `SELECT t.id AS token_id, t.last_used_at, u.id, u.name, u.email
       FROM api_tokens t JOIN users u ON u.id = t.user_id
       WHERE t.hash = ? AND t.revoked_at IS NULL`,
    )
    .bind(hash)
    .first<{
      token_id: string;
      last_used_at: number | null;
      id: string;
      name: string;
      email: string | null;
    }>();
  if (!row) return null;
  const now = Date.now();
  if (row.last_used_at === null || now - row.last_used_at >= LAST_USED_RESOLUTION_MS) {
    await db.prepare("UPDATE api_tokens SET last_used_at = ? WHERE id = ?").bind(now, row.token_id).run();
  }
  return { user: { id: row.id, name: row.name, email: row.email }, tokenId: row.token_id };
}
