/**
 * The session list of a workspace as one person sees it: newest first or "Waiting for you" first (then
 * the latest activity), filtered by phase or inbox status,
 * searched by name or first prompt, each row with when that person last looked; and the filter chips'
 * counts. The inbox status in SQL is `worker/protocol/inbox.ts`'s `inboxStatusOf`, said once more here so
 * D1 can filter and count by it (test/worker/inbox-list.test.ts checks they agree).
 */
import type { InboxCounts, InboxStatus, SessionOrder } from "../protocol/inbox";
import type { Phase } from "../protocol/lifecycle";
import type { SessionRow } from "./sessions";

export const STATUS_SQL = `CASE
  WHEN (s.phase = 'Running' AND s.agent_status = 'waiting_input') OR (s.phase = 'Pending' AND s.awaiting_approval = 1) THEN 'waiting'
  WHEN s.phase IN ('Stopped', 'Completed', 'Failed') THEN 'ended'
  WHEN s.phase = 'Running' AND s.agent_status = 'idle' THEN 'idle'
  ELSE 'working' END`;

/** Waiting for a person (the "Waiting for you" chip): such rows come first in the `attention` order. */
const WAITING_SQL = `(${STATUS_SQL} = 'waiting')`;

/** The last row of a page, as its order sorts it: the next page starts after it, so pages never overlap. */
export type SessionPageCursor =
  | { order: "newest"; createdAt: number; id: string }
  | { order: "attention"; waiting: 0 | 1; lastActivityAt: number; id: string };

/** Each order's sort and the condition "after the cursor" in that sort (every key descending, the id last). */
const ORDERS = {
  newest: {
    by: "s.created_at DESC, s.id DESC",
    after: "(s.created_at, s.id) < (?, ?)",
  },
  attention: {
    by: `${WAITING_SQL} DESC, s.last_activity_at DESC, s.id DESC`,
    after: `(${WAITING_SQL}, s.last_activity_at, s.id) < (?, ?, ?)`,
  },
} as const;

type ListedRow = SessionRow & { seen_at: number | null; waiting: 0 | 1 };

function cursorAfter(order: SessionOrder, row: ListedRow): SessionPageCursor {
  return order === "newest"
    ? { order, createdAt: row.created_at, id: row.id }
    : { order, waiting: row.waiting, lastActivityAt: row.last_activity_at, id: row.id };
}

const cursorKeys = (cursor: SessionPageCursor) =>
  cursor.order === "newest"
    ? [cursor.createdAt, cursor.id]
    : [cursor.waiting, cursor.lastActivityAt, cursor.id];

export interface ListFilter {
  phase?: Phase;
  status?: InboxStatus;
  /** By name or first prompt, as typed (matched literally, case-insensitively for ASCII). */
  search?: string;
}

/** `LIKE` matches `%` and `_` as patterns: a search for them means the characters themselves. */
const likePattern = (text: string) => `%${text.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;

function searchWhere(search: string | undefined, where: string[], params: (string | number)[]): void {
  if (!search) return;
  where.push(`(s.name LIKE ? ESCAPE '\\' OR s.prompt LIKE ? ESCAPE '\\')`);
  params.push(likePattern(search), likePattern(search));
}

/**
 * A page in the order asked for; the cursor is the previous page's last row in that order (its order
 * must be this one: the API refuses another). Under `attention` a session's place moves as it changes
 * (it starts or stops waiting, something happens), so a list paging while that happens may see it on two
 * pages or on none; the live feed tells the page of every such change.
 */
export async function listSessions(
  db: D1Database,
  workspaceId: string,
  userId: string,
  options: ListFilter & { order: SessionOrder; cursor?: SessionPageCursor; limit: number },
): Promise<{ rows: ListedRow[]; next: SessionPageCursor | null }> {
  const where = ["s.workspace_id = ?"];
  const params: (string | number)[] = [workspaceId];
  if (options.phase) {
    where.push("s.phase = ?");
    params.push(options.phase);
  }
  if (options.status) {
    where.push(`${STATUS_SQL} = ?`);
    params.push(options.status);
  }
  searchWhere(options.search, where, params);
  const order = ORDERS[options.order];
  if (options.cursor) {
    if (options.cursor.order !== options.order) throw new Error("a cursor of another order");
    where.push(order.after);
    params.push(...cursorKeys(options.cursor));
  }
  const { results } = await db
    .prepare(
      `SELECT s.*, u.name AS creator_name, v.seen_at, ${WAITING_SQL} AS waiting FROM sessions s
       LEFT JOIN users u ON u.id = s.created_by
       LEFT JOIN session_seen v ON v.session_id = s.id AND v.user_id = ?
       WHERE ${where.join(" AND ")} ORDER BY ${order.by} LIMIT ?`,
    )
    .bind(userId, ...params, options.limit + 1)
    .all<ListedRow>();
  const rows = results.slice(0, options.limit);
  const last = rows[rows.length - 1];
  return { rows, next: results.length > options.limit && last ? cursorAfter(options.order, last) : null };
}

/** The chips' counts over the workspace (the search applied), and how many are unread for this person. */
export async function countSessions(
  db: D1Database,
  workspaceId: string,
  userId: string,
  search: string | undefined,
): Promise<InboxCounts> {
  const where = ["s.workspace_id = ?"];
  const params: (string | number)[] = [workspaceId];
  searchWhere(search, where, params);
  const row = await db
    .prepare(
      `SELECT COUNT(*) AS all_count,
         SUM(CASE WHEN status = 'waiting' THEN 1 ELSE 0 END) AS waiting,
         SUM(CASE WHEN status = 'working' THEN 1 ELSE 0 END) AS working,
         SUM(CASE WHEN status = 'idle' THEN 1 ELSE 0 END) AS idle,
         SUM(CASE WHEN status = 'ended' THEN 1 ELSE 0 END) AS ended,
         SUM(CASE WHEN last_activity_at > COALESCE(seen_at, 0) THEN 1 ELSE 0 END) AS unread
       FROM (SELECT ${STATUS_SQL} AS status, s.last_activity_at, v.seen_at FROM sessions s
             LEFT JOIN session_seen v ON v.session_id = s.id AND v.user_id = ?
             WHERE ${where.join(" AND ")})`,
    )
    .bind(userId, ...params)
    .first<Record<"all_count" | "waiting" | "working" | "idle" | "ended" | "unread", number | null>>();
  return {
    all: row?.all_count ?? 0,
    waiting: row?.waiting ?? 0,
    working: row?.working ?? 0,
    idle: row?.idle ?? 0,
    ended: row?.ended ?? 0,
    unread: row?.unread ?? 0,
  };
}

/** This person has looked at the session now: what happened to it until now is read. */
export function markSeen(db: D1Database, userId: string, sessionId: string, now: number): Promise<D1Result> {
  return db
    .prepare(
      `INSERT INTO session_seen (user_id, session_id, seen_at) VALUES (?, ?, ?)
       ON CONFLICT (user_id, session_id) DO UPDATE SET seen_at = MAX(seen_at, excluded.seen_at)`,
    )
    .bind(userId, sessionId, now)
    .run();
}

/** Names of the workspace's sessions that are this name or this name numbered ("name (2)"): a new one is told apart. */
export async function namesLike(db: D1Database, workspaceId: string, name: string): Promise<string[]> {
  const { results } = await db
    .prepare(
      `SELECT name FROM sessions WHERE workspace_id = ? AND (name = ? OR name LIKE ? ESCAPE '\\') LIMIT 200`,
    )
    .bind(workspaceId, name, `${name.replace(/[\\%_]/g, (c) => `\\${c}`)} (%)`)
    .all<{ name: string }>();
  return results.map((row) => row.name);
}
