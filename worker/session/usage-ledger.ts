/**
 * A session's token usage: each turn's usage (from the agent's `turn_end`) is priced with the catalog and
 * kept in the room's SQLite (one row a turn, keyed by the frame's seq, so a replayed frame counts once),
 * summed into the record (the session view's `usage`), and reported to D1 for the workspace's totals
 * and budget. A report that fails stays unreported here and goes with the next one (or the room's next start).
 */
import { insertUsageTurns, type UsageTurnRow } from "../db/usage";
import type { Env } from "../env";
import { catalogOf } from "../models/catalog";
import type { TurnUsage } from "../protocol/agent";
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

  /** Keeps a turn; false when this turn was kept before. */
  record(turn: LedgerTurn): boolean {
    const { usage } = turn;
    const cursor = this.#sql.exec(
      `INSERT OR IGNORE INTO usage_turns (seq, at, model, input_tokens, output_tokens, cache_read_tokens, cache_write_tokens, cost_usd)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
      turn.seq, turn.at, turn.model, usage.inputTokens, usage.outputTokens, usage.cacheReadTokens, usage.cacheWriteTokens, usage.costUsd,
    );
    return cursor.rowsWritten > 0;
  }

  unreported(): LedgerTurn[] {
    return this.#sql.exec(`SELECT * FROM usage_turns WHERE reported = 0 ORDER BY seq LIMIT 100`).toArray().map(toTurn);
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

/** A turn's usage at the model's price now (the deployment's catalog). */
export function pricedTurn(env: Env, record: SessionRecord, seq: number, usage: TurnUsage, now: number): LedgerTurn {
  const tokens = {
    inputTokens: usage.inputTokens,
    outputTokens: usage.outputTokens,
    cacheReadTokens: usage.cacheReadTokens ?? 0,
    cacheWriteTokens: usage.cacheWriteTokens ?? 0,
  };
  const { pricing } = entryOf(catalogOf(env), record.config.model);
  return { seq, at: now, model: record.config.model, usage: { ...tokens, costUsd: costUsd(pricing, tokens) } };
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
export async function reportUsage(db: D1Database, ledger: UsageLedger, record: SessionRecord): Promise<boolean> {
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
