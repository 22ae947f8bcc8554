import type { AgentStatus } from "../protocol/agent";
import type { Phase } from "../protocol/lifecycle";
import { inboxStatusOf } from "../protocol/inbox";
import type { Origin, SessionSummary } from "../protocol/session";
import type { ModelId } from "../protocol/session-config";

export interface SessionRow {
  id: string;
  workspace_id: string;
  name: string;
  phase: Phase;
  agent_status: AgentStatus;
  model: ModelId;
  created_by: string;
  creator_name: string | null;
  origin: string;
  created_at: number;
  updated_at: number;
  awaiting_approval: number;
  pull_request_url: string | null;
  last_activity_at: number;
  awaiting_decision: number;
  prompt: string;
}

/** How much of the first prompt the index keeps: enough to search by, not the whole brief. */
export const PROMPT_KEPT_CHARS = 500;

export function insertSession(
  db: D1Database,
  row: {
    id: string;
    workspaceId: string;
    name: string;
    model: string;
    createdBy: string;
    origin: Origin;
    createdAt: number;
    awaitingApproval: boolean;
    /** The first prompt, kept (its start) so the list can be searched by it. */
    prompt: string;
  },
): Promise<D1Result> {
  return db
    .prepare(
      `INSERT INTO sessions (id, workspace_id, name, phase, model, created_by, origin, created_at, updated_at, awaiting_approval, last_activity_at, prompt)
       VALUES (?, ?, ?, 'Pending', ?, ?, ?, ?, ?, ?, ?, ?)`,
    )
    .bind(
      row.id,
      row.workspaceId,
      row.name,
      row.model,
      row.createdBy,
      JSON.stringify(row.origin),
      row.createdAt,
      row.createdAt,
      row.awaitingApproval ? 1 : 0,
      row.createdAt,
      row.prompt.slice(0, PROMPT_KEPT_CHARS),
    )
    .run();
}

/** The index follows an approval (the room is the truth; the list shows who still waits). */
export function markApproved(db: D1Database, sessionId: string): Promise<D1Result> {
  return db.prepare(`UPDATE sessions SET awaiting_approval = 0 WHERE id = ?`).bind(sessionId).run();
}

/** The session's index row if it belongs to this workspace: the check behind every session route. */
export function findSession(
  db: D1Database,
  workspaceId: string,
  sessionId: string,
): Promise<SessionRow | null> {
  return db
    .prepare(
      `SELECT s.*, u.name AS creator_name FROM sessions s LEFT JOIN users u ON u.id = s.created_by WHERE s.id = ? AND s.workspace_id = ?`,
    )
    .bind(sessionId, workspaceId)
    .first<SessionRow>();
}

/** The workspace a session belongs to (a room's WebSocket upgrade names only the session), or null. */
export async function workspaceOfSession(db: D1Database, sessionId: string): Promise<string | null> {
  const row = await db
    .prepare(`SELECT workspace_id FROM sessions WHERE id = ?`)
    .bind(sessionId)
    .first<{ workspace_id: string }>();
  return row?.workspace_id ?? null;
}

/** The index fields the room keeps in step with its record (the room is the truth). */
export function updateSessionIndex(
  db: D1Database,
  row: {
    id: string;
    phase: Phase;
    agentStatus: string;
    name: string;
    /** The model it runs now (a person may switch it while it runs). */
    model: string;
    updatedAt: number;
    awaitingDecision: boolean;
    lastActivityAt: number;
  },
): Promise<D1Result> {
  return db
    .prepare(
      `UPDATE sessions SET phase = ?, agent_status = ?, name = ?, model = ?, updated_at = ?, awaiting_decision = ?,
       last_activity_at = MAX(last_activity_at, ?) WHERE id = ?`,
    )
    .bind(
      row.phase,
      row.agentStatus,
      row.name,
      row.model,
      row.updatedAt,
      row.awaitingDecision ? 1 : 0,
      row.lastActivityAt,
      row.id,
    )
    .run();
}

/** The ids of a workspace's sessions. */
export async function sessionIdsOfWorkspace(db: D1Database, workspaceId: string): Promise<string[]> {
  const { results } = await db
    .prepare(`SELECT id FROM sessions WHERE workspace_id = ?`)
    .bind(workspaceId)
    .all<{ id: string }>();
  return results.map((row) => row.id);
}

/** The ids of the sessions of every workspace the user belongs to. */
export async function sessionIdsOfUser(db: D1Database, userId: string): Promise<string[]> {
  const { results } = await db
    .prepare(
      `SELECT s.id FROM sessions s JOIN members m ON m.workspace_id = s.workspace_id WHERE m.user_id = ?`,
    )
    .bind(userId)
    .all<{ id: string }>();
  return results.map((row) => row.id);
}

export function deleteSessionRow(db: D1Database, sessionId: string): Promise<D1Result> {
  return db.prepare(`DELETE FROM sessions WHERE id = ?`).bind(sessionId).run();
}

/** A row of the session list (worker/protocol/session.ts SessionSummary). */
export function sessionSummary(row: SessionRow): SessionSummary {
  const awaitingApproval = row.phase === "Pending" && row.awaiting_approval === 1;
  return {
    id: row.id,
    workspaceId: row.workspace_id,
    displayName: row.name,
    phase: row.phase,
    agentStatus: row.agent_status,
    model: row.model,
    origin: JSON.parse(row.origin) as Origin,
    createdBy: { id: row.created_by, name: row.creator_name ?? "" },
    createdAt: row.created_at,
    updatedAt: row.updated_at,
    awaitingApproval,
    pullRequestUrl: row.pull_request_url ?? null,
    status: inboxStatusOf({ phase: row.phase, agentStatus: row.agent_status, awaitingApproval }),
    awaitingDecision: row.awaiting_decision === 1,
    lastActivityAt: row.last_activity_at,
  };
}
