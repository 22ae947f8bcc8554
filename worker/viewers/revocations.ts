/**
 * What a room (or shard) remembers of the access taken away from it: a room ticket is checked at the
 * upgrade without D1, so one fetched before a member was removed, demoted or their API token revoked
 * would otherwise still open a socket for the rest of its life. Each revocation is kept for longer than
 * any ticket lives, in SQLite (a room may hibernate between the revocation and the ticket's use), and a
 * ticket issued before it is refused.
 */
import { z } from "zod";
import { RoleSchema } from "../protocol/workspace";
import type { Env } from "../env";
import type { ConnectionIdentity } from "./connections";

/** Longer than a room ticket lives (60 s), with room for the clocks of the Worker and the room to differ. */
export const REVOCATION_MEMORY_MS = 5 * 60_000;
/**
 * A ticket signed this long after a revocation is still taken as signed before it: its membership was
 * read from D1 a moment before it was signed, and a ticket's issue time is whole seconds.
 */
const ISSUE_SLACK_MS = 2000;

/**
 * How long a socket lives on one check of its access before it is closed to be opened again with fresh
 * credentials (SOCKET_LEASE_SECONDS, default 10 minutes): a revocation that never reached the room (a
 * lost RPC) ends with the lease, and no socket outlives its person's access for long.
 */
export function socketLeaseMs(env: Env): number {
  const raw = env.SOCKET_LEASE_SECONDS;
  // Read once per value: unset, the schema's failed parse before its default cost 1.25 ms a join (8.7% of
  // connecting 1,000 viewers, bench/README.md).
  if (leaseRead === null || leaseRead.raw !== raw)
    leaseRead = { raw, ms: LeaseSecondsSchema.parse(raw || undefined) * 1000 };
  return leaseRead.ms;
}

/** Built once: every viewer's upgrade reads the lease (a schema built per call was 2% of connecting 1,000). */
const LeaseSecondsSchema = z.coerce.number().int().positive().catch(600);
let leaseRead: { raw: string | undefined; ms: number } | null = null;

/** Who lost access, and how: a role change keeps tickets of the new role good. */
export const RevocationSchema = z.object({
  userId: z.string().min(1).max(100).optional(),
  tokenId: z.string().min(1).max(100).optional(),
  /** The member's new role: the socket is closed with the role-change code, and tickets of that role stay good. */
  newRole: RoleSchema.optional(),
});
export type Revocation = z.infer<typeof RevocationSchema>;

export function createRevocationsTable(sql: SqlStorage): void {
  sql.exec(`CREATE TABLE IF NOT EXISTS viewer_revocations (
    at INTEGER NOT NULL, user_id TEXT, token_id TEXT, new_role TEXT)`);
}

interface RevocationRow extends Record<string, SqlStorageValue> {
  at: number;
  user_id: string | null;
  token_id: string | null;
  new_role: string | null;
}

/** Whether the revocation names this identity's person or token. */
export function revocationMatches(
  revocation: Revocation,
  identity: Pick<ConnectionIdentity, "userId" | "tokenId">,
): boolean {
  if (!revocation.userId && !revocation.tokenId) return false;
  return (
    (!revocation.userId || identity.userId === revocation.userId) &&
    (!revocation.tokenId || identity.tokenId === revocation.tokenId)
  );
}

/**
 * Only this class writes `viewer_revocations`, and only through the object that holds it: the rows are read
 * once after a wake and kept in memory beside the table, so an upgrade is checked without a query (two
 * a join before: the room's placement and the socket's admission), and none at all while nothing was
 * revoked. The table is what survives hibernation; the memory is rebuilt from it.
 */
export class RevocationMemory {
  readonly #sql: SqlStorage;
  /** The table's rows, oldest first; null until first read after a wake. */
  #kept: RevocationRow[] | null = null;

  constructor(sql: SqlStorage) {
    this.#sql = sql;
  }

  remember(revocation: Revocation, now: number): void {
    if (!revocation.userId && !revocation.tokenId) return;
    const kept = this.#rows(now);
    this.#sql.exec(`DELETE FROM viewer_revocations WHERE at < ?`, now - REVOCATION_MEMORY_MS);
    const row: RevocationRow = {
      at: now,
      user_id: revocation.userId ?? null,
      token_id: revocation.tokenId ?? null,
      new_role: revocation.newRole ?? null,
    };
    this.#sql.exec(
      `INSERT INTO viewer_revocations (at, user_id, token_id, new_role) VALUES (?, ?, ?, ?)`,
      row.at,
      row.user_id,
      row.token_id,
      row.new_role,
    );
    this.#kept = [...kept, row];
  }

  /**
   * Whether access vouched for at `identity.issuedAt` (a ticket's issue time) was revoked since: a
   * revocation of its person or token at or after that time, unless it was a change to the role it carries.
   * Access vouched for at the upgrade itself (no issue time) was read from D1 after any revocation.
   */
  revoked(identity: ConnectionIdentity, now: number): boolean {
    if (identity.issuedAt === null) return false;
    return this.#rows(now).some((row) => {
      const revocation: Revocation = { userId: row.user_id ?? undefined, tokenId: row.token_id ?? undefined };
      if (!revocationMatches(revocation, identity)) return false;
      if (row.new_role !== null && row.new_role === identity.role) return false;
      return identity.issuedAt! <= row.at + ISSUE_SLACK_MS;
    });
  }

  /** The revocations still remembered at `now` (older ones can no longer match a live ticket). */
  #rows(now: number): RevocationRow[] {
    const since = now - REVOCATION_MEMORY_MS;
    if (this.#kept === null)
      this.#kept = this.#sql
        .exec<RevocationRow>(
          `SELECT at, user_id, token_id, new_role FROM viewer_revocations WHERE at >= ? ORDER BY at`,
          since,
        )
        .toArray();
    else if (this.#kept.length > 0 && this.#kept[0].at < since)
      this.#kept = this.#kept.filter((row) => row.at >= since);
    return this.#kept;
  }
}
