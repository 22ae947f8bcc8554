/** Schedules and their runs in D1 (migrations/0007). */
import { CreateSessionSchema } from "../protocol/session";
import type { RunOutcome, Schedule, ScheduleRun } from "../protocol/schedules";

interface ScheduleRow {
  id: string;
  workspace_id: string;
  name: string;
  cron: string;
  timezone: string;
  session_config: string;
  prompt: string;
  interactive: number;
  enabled: number;
  next_run_at: number | null;
  created_by: string;
  creator_name: string | null;
  updated_by: string | null;
  editor_name: string | null;
  created_at: number;
  updated_at: number;
}

interface RunRow {
  id: string;
  slot: number | null;
  ran_at: number;
  session_id: string | null;
  outcome: RunOutcome;
  reason: string | null;
}

const SELECT = `SELECT s.*, u.name AS creator_name, e.name AS editor_name FROM schedules s
  LEFT JOIN users u ON u.id = s.created_by LEFT JOIN users e ON e.id = s.updated_by`;

/** Schedules a workspace may hold: each has a clock of its own and starts sessions unattended. */
export const MAX_SCHEDULES_PER_WORKSPACE = 50;

export const scheduleOf = (row: ScheduleRow): Schedule => ({
  id: row.id,
  workspaceId: row.workspace_id,
  name: row.name,
  cron: row.cron,
  timezone: row.timezone,
  session: storedSession(row.session_config),
  prompt: row.prompt,
  interactive: row.interactive === 1,
  enabled: row.enabled === 1,
  nextRunAt: row.next_run_at,
  createdBy: { id: row.created_by, name: row.creator_name ?? "" },
  updatedBy: row.updated_by
    ? { id: row.updated_by, name: row.editor_name ?? "" }
    : { id: row.created_by, name: row.creator_name ?? "" },
  createdAt: row.created_at,
  updatedAt: row.updated_at,
});

/**
 * The stored create-session body. One that no longer validates (a model taken out of the catalog since) is
 * returned as stored, so the schedule still lists and its run fails with the reason (schedule/run.ts).
 */
function storedSession(json: string): Schedule["session"] {
  const stored: unknown = JSON.parse(json);
  const parsed = CreateSessionSchema.safeParse(stored);
  return parsed.success ? parsed.data : (stored as Schedule["session"]);
}

const runOf = (row: RunRow): ScheduleRun => ({
  id: row.id,
  scheduledFor: row.slot,
  ranAt: row.ran_at,
  manual: row.slot === null,
  sessionId: row.session_id,
  outcome: row.outcome,
  reason: row.reason,
});

/** What a schedule holds, as written. */
export type ScheduleFields = Pick<
  Schedule,
  "name" | "cron" | "timezone" | "session" | "prompt" | "interactive" | "enabled" | "nextRunAt"
>;

/**
 * Adds a schedule unless the workspace holds MAX_SCHEDULES_PER_WORKSPACE already; false then. One statement
 * counts and inserts, so concurrent creations cannot pass the cap together.
 */
export async function insertSchedule(
  db: D1Database,
  row: ScheduleFields & { id: string; workspaceId: string; createdBy: string; now: number },
): Promise<boolean> {
  const result = await db
    .prepare(
      `INSERT INTO schedules (id, workspace_id, name, cron, timezone, session_config, prompt, interactive, enabled, next_run_at, created_by, updated_by, created_at, updated_at)
       SELECT ?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?11, ?12, ?12
       WHERE (SELECT count(*) FROM schedules WHERE workspace_id = ?2) < ?13`,
    )
    .bind(
      row.id,
      row.workspaceId,
      row.name,
      row.cron,
      row.timezone,
      JSON.stringify(row.session),
      row.prompt,
      row.interactive ? 1 : 0,
      row.enabled ? 1 : 0,
      row.nextRunAt,
      row.createdBy,
      row.now,
      MAX_SCHEDULES_PER_WORKSPACE,
    )
    .run();
  return result.meta.changes > 0;
}

/** Writes an edit; `updatedBy` is who made it: the schedule's runs start as them from now on. */
export async function updateSchedule(
  db: D1Database,
  id: string,
  fields: ScheduleFields,
  updatedBy: string,
  now: number,
): Promise<void> {
  await db
    .prepare(
      `UPDATE schedules SET name = ?, cron = ?, timezone = ?, session_config = ?, prompt = ?, interactive = ?, enabled = ?, next_run_at = ?, updated_by = ?, updated_at = ? WHERE id = ?`,
    )
    .bind(
      fields.name,
      fields.cron,
      fields.timezone,
      JSON.stringify(fields.session),
      fields.prompt,
      fields.interactive ? 1 : 0,
      fields.enabled ? 1 : 0,
      fields.nextRunAt,
      updatedBy,
      now,
      id,
    )
    .run();
}

/** Moves the clock on from the slot it rang for; false when the schedule changed meanwhile (its new slot stands). */
export async function advanceSchedule(
  db: D1Database,
  id: string,
  from: number,
  next: number | null,
): Promise<boolean> {
  const result = await db
    .prepare(`UPDATE schedules SET next_run_at = ? WHERE id = ? AND next_run_at = ?`)
    .bind(next, id, from)
    .run();
  return result.meta.changes > 0;
}

export async function deleteSchedule(db: D1Database, workspaceId: string, id: string): Promise<boolean> {
  const result = await db
    .prepare(`DELETE FROM schedules WHERE id = ? AND workspace_id = ?`)
    .bind(id, workspaceId)
    .run();
  return result.meta.changes > 0;
}

export async function findSchedule(
  db: D1Database,
  id: string,
  workspaceId?: string,
): Promise<Schedule | null> {
  const row = workspaceId
    ? await db
        .prepare(`${SELECT} WHERE s.id = ? AND s.workspace_id = ?`)
        .bind(id, workspaceId)
        .first<ScheduleRow>()
    : await db.prepare(`${SELECT} WHERE s.id = ?`).bind(id).first<ScheduleRow>();
  return row ? scheduleOf(row) : null;
}

export async function listSchedules(db: D1Database, workspaceId: string): Promise<Schedule[]> {
  const { results } = await db
    .prepare(`${SELECT} WHERE s.workspace_id = ? ORDER BY s.created_at, s.rowid`)
    .bind(workspaceId)
    .all<ScheduleRow>();
  return results.map(scheduleOf);
}

/** The schedule's latest runs, newest first (in the order they were recorded). */
export async function listRuns(db: D1Database, scheduleId: string, limit = 20): Promise<ScheduleRun[]> {
  const { results } = await db
    .prepare(
      `SELECT id, slot, ran_at, session_id, outcome, reason FROM schedule_runs WHERE schedule_id = ? ORDER BY rowid DESC LIMIT ?`,
    )
    .bind(scheduleId, limit)
    .all<RunRow>();
  return results.map(runOf);
}

/**
 * Claims a slot: records the run (outcome "starting", its session id chosen now) unless the slot is
 * already recorded; either way returns the slot's run, and whether this call recorded it.
 */
export async function claimSlot(
  db: D1Database,
  scheduleId: string,
  slot: number,
  sessionId: string,
  now: number,
): Promise<ScheduleRun & { claimed: boolean }> {
  const inserted = await db
    .prepare(
      `INSERT INTO schedule_runs (id, schedule_id, slot, ran_at, session_id, outcome) VALUES (?, ?, ?, ?, ?, 'starting')
       ON CONFLICT (schedule_id, slot) DO NOTHING RETURNING id, slot, ran_at, session_id, outcome, reason`,
    )
    .bind(crypto.randomUUID(), scheduleId, slot, now, sessionId)
    .first<RunRow>();
  if (inserted) return { ...runOf(inserted), claimed: true };
  const existing = await db
    .prepare(
      `SELECT id, slot, ran_at, session_id, outcome, reason FROM schedule_runs WHERE schedule_id = ? AND slot = ?`,
    )
    .bind(scheduleId, slot)
    .first<RunRow>();
  return { ...runOf(existing!), claimed: false };
}

/** A "run now": recorded as starting, with its session id. */
export async function insertManualRun(
  db: D1Database,
  scheduleId: string,
  sessionId: string,
  now: number,
): Promise<string> {
  const id = crypto.randomUUID();
  await db
    .prepare(
      `INSERT INTO schedule_runs (id, schedule_id, slot, ran_at, session_id, outcome) VALUES (?, ?, NULL, ?, ?, 'starting')`,
    )
    .bind(id, scheduleId, now, sessionId)
    .run();
  return id;
}

export async function finishRun(
  db: D1Database,
  runId: string,
  outcome: Exclude<RunOutcome, "starting">,
  sessionId: string | null,
  reason: string | null,
): Promise<void> {
  await db
    .prepare(`UPDATE schedule_runs SET outcome = ?, session_id = ?, reason = ? WHERE id = ?`)
    .bind(outcome, sessionId, reason, runId)
    .run();
}

/** The session of the schedule's latest run that started one (for the overlap rule), if any. */
export async function lastStartedSession(
  db: D1Database,
  scheduleId: string,
  exceptRun: string,
): Promise<string | null> {
  const row = await db
    .prepare(
      `SELECT session_id FROM schedule_runs WHERE schedule_id = ? AND outcome = 'started' AND id <> ? ORDER BY rowid DESC LIMIT 1`,
    )
    .bind(scheduleId, exceptRun)
    .first<{ session_id: string }>();
  return row?.session_id ?? null;
}
