/**
 * A session's token usage: each model request's usage (the agent's `usage` frame, from its gateway) is
 * bounded by the model's limits, priced with the catalog and kept in the room's SQLite, one row a request
 * under a counter the room owns (the table's row id, never reused): the agent's frame numbers start again
 * with every incarnation, and the room applies each frame once, in the same storage write as the frame's
 * seq, so neither a replay nor a restart or resume doubles or drops a request. Rows are summed into the
 * record (the session view's `usage`) and reported to D1 under the same counter (`usage_turns.turn_seq`)
 * for the workspace's totals and budget. A report that fails stays unreported here and goes with the next
 * one (or the room's next start).
 */
import { insertUsageTurns, type UsageTurnRow } from "../db/usage";
import type { Env } from "../env";
import { catalogOf } from "../models/catalog";
import type { ModelUsage } from "../protocol/agent";
import { costUsd, dayOf, entryOf } from "../protocol/models";
import type { SessionUsage } from "../protocol/usage";
import type { SessionRecord } from "./record";

type Row = Record<string, SqlStorageValue>;

export interface LedgerTurn {
  seq: number;
  at: number;
  model: string;
  usage: SessionUsage;
}

export class UsageLedger {
  readonly #sql: SqlStorage;

  constructor(sql: SqlStorage) {
    this.#sql = sql;
  }

  /**
   * Keeps one request under the next number of the room's counter (SQLite's row id: one more than the
   * largest kept, and rows are never deleted) and returns that number.
   */
  record(request: Omit<LedgerTurn, "seq">): number {
    const { usage } = request;
    const [row] = this.#sql
      .exec(
        `INSERT INTO usage_turns (seq, at, model, input_tokens, output_tokens, cache_read_tokens, cache_write_tokens, cost_usd)
         VALUES (NULL, ?, ?, ?, ?, ?, ?, ?) RETURNING seq`,
        request.at,
        request.model,
        usage.inputTokens,
        usage.outputTokens,
        usage.cacheReadTokens,
        usage.cacheWriteTokens,
        usage.costUsd,
      )
      .toArray();
    return Number(row.seq);
  }

  unreported(): LedgerTurn[] {
    return this.#sql
      .exec(`SELECT * FROM usage_turns WHERE reported = 0 ORDER BY seq LIMIT 100`)
      .toArray()
      .map(toTurn);
  }

  markReported(seqs: readonly number[]): void {
    for (const seq of seqs) this.#sql.exec(`UPDATE usage_turns SET reported = 1 WHERE seq = ?`, seq);
  }
}

const toTurn = (row: Row): LedgerTurn => ({
  seq: Number(row.seq),
  at: Number(row.at),
  model: String(row.model),
  usage: {
    inputTokens: Number(row.input_tokens),
    outputTokens: Number(row.output_tokens),
    cacheReadTokens: Number(row.cache_read_tokens),
    cacheWriteTokens: Number(row.cache_write_tokens),
    costUsd: Number(row.cost_usd),
  },
});

/**
 * A request's usage at its model's price now (the deployment's catalog), each figure bounded by what the
 * model can take or give in one request: a figure past that is not a real request's, whatever sent it.
 */
export function pricedRequest(env: Env, usage: ModelUsage, now: number): Omit<LedgerTurn, "seq"> {
  const { contextWindow, maxOutputTokens, pricing } = entryOf(catalogOf(env), usage.model);
  const tokens = {
    inputTokens: Math.min(usage.inputTokens, contextWindow),
    outputTokens: Math.min(usage.outputTokens, maxOutputTokens),
    cacheReadTokens: Math.min(usage.cacheReadTokens, contextWindow),
    cacheWriteTokens: Math.min(usage.cacheWriteTokens, contextWindow),
  };
  return { at: now, model: usage.model, usage: { ...tokens, costUsd: costUsd(pricing, tokens) } };
}

export function addUsage(total: SessionUsage, turn: SessionUsage): SessionUsage {
  return {
    inputTokens: total.inputTokens + turn.inputTokens,
    outputTokens: total.outputTokens + turn.outputTokens,
    cacheReadTokens: total.cacheReadTokens + turn.cacheReadTokens,
    cacheWriteTokens: total.cacheWriteTokens + turn.cacheWriteTokens,
    costUsd: total.costUsd + turn.costUsd,
  };
}

/** Sends the turns not reported yet to D1; true when something new was reported. */
export async function reportUsage(
  db: D1Database,
  ledger: UsageLedger,
  record: SessionRecord,
): Promise<boolean> {
  const turns = ledger.unreported();
  if (!turns.length) return false;
  const rows: UsageTurnRow[] = turns.map((turn) => ({
    sessionId: record.id,
    turnSeq: turn.seq,
    workspaceId: record.workspaceId,
    day: dayOf(turn.at),
    model: turn.model,
    ...turn.usage,
    at: turn.at,
  }));
  await insertUsageTurns(db, rows);
  ledger.markReported(turns.map((turn) => turn.seq));
  return true;
}
