import type { User } from "./types";

interface UserRow {
  id: string;
  name: string;
  email: string | null;
}

const toUser = (row: UserRow): User => ({ id: row.id, name: row.name, email: row.email });

export async function getUser(db: D1Database, id: string): Promise<User | null> {
  const row = await db.prepare("SELECT id, name, email FROM users WHERE id = ?").bind(id).first<UserRow>();
  return row ? toUser(row) : null;
}

/**
 * The user with this email, created on first sight; `name` replaces a stored name that differs, since
 * the identity provider (or the dev sign-in form) is the source of truth for it.
 */
export async function upsertUserByEmail(db: D1Database, email: string, name: string): Promise<User> {
  const existing = await db
    .prepare("SELECT id, name, email FROM users WHERE email = ?")
    .bind(email)
    .first<UserRow>();
  if (existing && existing.name === name) return toUser(existing);
  const row = await db
    .prepare(
      `INSERT INTO users (id, name, email, created_at) VALUES (?, ?, ?, ?)
       ON CONFLICT (email) DO UPDATE SET name = excluded.name
       RETURNING id, name, email`,
    )
    .bind(crypto.randomUUID(), name, email, Date.now())
    .first<UserRow>();
  return toUser(row!);
}
