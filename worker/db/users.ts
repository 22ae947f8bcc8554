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

/** How a person names someone to add: a user id, an email, or an exact display name. */
export type UserLookup = { kind: "found"; user: User } | { kind: "unknown" } | { kind: "ambiguous"; count: number };

export async function findUser(db: D1Database, reference: string): Promise<UserLookup> {
  const { results } = await db
    .prepare("SELECT id, name, email FROM users WHERE id = ?1 OR email = lower(?1) OR name = ?1 LIMIT 20")
    .bind(reference)
    .all<UserRow>();
  const byId = results.find((row) => row.id === reference);
  if (byId) return { kind: "found", user: toUser(byId) };
  const byEmail = results.find((row) => row.email !== null && row.email === reference.toLowerCase());
  if (byEmail) return { kind: "found", user: toUser(byEmail) };
  const byName = results.filter((row) => row.name === reference);
  if (byName.length === 1) return { kind: "found", user: toUser(byName[0]) };
  return byName.length === 0 ? { kind: "unknown" } : { kind: "ambiguous", count: byName.length };
}
