/**
 * The session's row in the D1 index (what lists and searches read) follows the room, which is the truth.
 * Writes are chained so they land in order. A write that fails is not lost: the room's alarm retries it,
 * with backoff, until one lands; the retry's due time is kept in the room's SQLite, so it survives a
 * restart.
 */
import { updateSessionIndex } from "../db/sessions";
import type { SessionRecord } from "./record";

/** Waits after the 1st, 2nd, … failed write; the last one repeats until a write lands. */
export const INDEX_RETRY_DELAYS_MS = [1000, 5000, 30_000, 120_000, 300_000];

interface RetryState {
  attempts: number;
  dueAt: number;
}

export class SessionIndex {
  readonly #db: D1Database;
  readonly #sql: SqlStorage;
  readonly #retryScheduled: () => void;
  #writes: Promise<unknown> = Promise.resolve();

  /** `retryScheduled` is called when a retry becomes due at a new time: the room moves its alarm. */
  constructor(db: D1Database, sql: SqlStorage, retryScheduled: () => void) {
    this.#db = db;
    this.#sql = sql;
    this.#retryScheduled = retryScheduled;
  }

  /** Writes the record's indexed fields; a failure schedules a retry. Settles when the write is done. */
  write(record: SessionRecord): Promise<unknown> {
    const { phase, agentStatus, displayName, updatedAt, id } = record;
    this.#writes = this.#writes.then(async () => {
      try {
        await updateSessionIndex(this.#db, { id, phase, agentStatus, name: displayName, updatedAt });
        this.#setRetry(null);
      } catch (err) {
        console.error("session index update failed; retrying from the alarm", err);
        const attempts = (this.#retry()?.attempts ?? 0) + 1;
        const delay = INDEX_RETRY_DELAYS_MS[Math.min(attempts, INDEX_RETRY_DELAYS_MS.length) - 1];
        this.#setRetry({ attempts, dueAt: Date.now() + delay });
        this.#retryScheduled();
      }
    });
    return this.#writes;
  }

  /** When the next retry is due, or null when the index is up to date. */
  nextDueAt(): number | null {
    return this.#retry()?.dueAt ?? null;
  }

  /** From the alarm: writes the record again if a retry is due. */
  async retryIfDue(record: SessionRecord | null, now: number): Promise<void> {
    const retry = this.#retry();
    if (!retry || retry.dueAt > now) return;
    if (!record) return this.#setRetry(null);
    await this.write(record);
  }

  #retry(): RetryState | null {
    const row = this.#sql.exec(`SELECT value FROM meta WHERE key = 'index_retry'`).toArray()[0];
    return row ? (JSON.parse(String(row.value)) as RetryState) : null;
  }

  #setRetry(retry: RetryState | null): void {
    if (retry)
      this.#sql.exec(
        `INSERT OR REPLACE INTO meta (key, value) VALUES ('index_retry', ?)`,
        JSON.stringify(retry),
      );
    else this.#sql.exec(`DELETE FROM meta WHERE key = 'index_retry'`);
  }
}
