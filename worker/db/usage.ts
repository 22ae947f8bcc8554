/** Token usage in D1: one row a model request (usage_turns, numbered by the room's counter), summed per day and model, and a month's spend. */
import type { UsageDay } from "../protocol/usage";

export interface UsageTurnRow {
  sessionId: string;
  turnSeq: number;
  workspaceId: string;
  day: string;
  model: string;
  inputTokens: number;
  outputTokens: number;
  cacheReadTokens: number;
  cacheWriteTokens: number;
  costUsd: number;
  at: number;
}

/** Records model requests; one already recorded (same session and number) is left as it is. */
export async function insertUsageTurns(db: D1Database, rows: readonly UsageTurnRow[]): Promise<void> {
  if (!rows.length) return;
  const insert = db.prepare(
    `INSERT OR IGNORE INTO usage_turns (session_id, turn_seq, workspace_id, day, model, input_tokens, output_tokens,
       cache_read_tokens, cache_write_tokens, cost_usd, at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
  );
  await db.batch(
    rows.map((r) =>
      insert.bind(
        r.sessionId,
        r.turnSeq,
        r.workspaceId,
        r.day,
        r.model,
        r.inputTokens,
        r.outputTokens,
        r.cacheReadTokens,
        r.cacheWriteTokens,
        r.costUsd,
        r.at,
      ),
    ),
  );
}

interface UsageDayRow {
  day: string;
  model: string;
  requests: number;
  input_tokens: number;
  output_tokens: number;
  cache_read_tokens: number;
  cache_write_tokens: number;
  cost_usd: number;
}

/** Totals per day and model from `from` to `to` (days, inclusive), oldest first. */
export async function usageByDay(
  db: D1Database,
  workspaceId: string,
  from: string,
  to: string,
): Promise<UsageDay[]> {
  const { results } = await db
    .prepare(
      `SELECT day, model, COUNT(*) AS requests, SUM(input_tokens) AS input_tokens, SUM(output_tokens) AS output_tokens,
         SUM(cache_read_tokens) AS cache_read_tokens, SUM(cache_write_tokens) AS cache_write_tokens, SUM(cost_usd) AS cost_usd
       FROM usage_turns WHERE workspace_id = ? AND day >= ? AND day <= ? GROUP BY day, model ORDER BY day, model`,
    )
    .bind(workspaceId, from, to)
    .all<UsageDayRow>();
  return results.map((r) => ({
    day: r.day,
    model: r.model,
    requests: r.requests,
    inputTokens: r.input_tokens,
    outputTokens: r.output_tokens,
    cacheReadTokens: r.cache_read_tokens,
    cacheWriteTokens: r.cache_write_tokens,
    costUsd: r.cost_usd,
  }));
}

/** What the workspace has spent from the first day of `month` (YYYY-MM) on. */
export async function monthSpendUsd(db: D1Database, workspaceId: string, month: string): Promise<number> {
  const row = await db
    .prepare(
      `SELECT COALESCE(SUM(cost_usd), 0) AS spent FROM usage_turns WHERE workspace_id = ? AND day >= ? AND day <= ?`,
    )
    .bind(workspaceId, `${month}-01`, `${month}-31`)
    .first<{ spent: number }>();
  return row?.spent ?? 0;
}
