/**
 * The session's row in the D1 index (what lists and searches read) follows the room, which is the truth.
 * Writes are chained so they land in order. A write that fails is not lost: the room's alarm retries it,
 * with backoff, until one lands; the retry's due time is kept in the room's SQLite, so it survives a
 * restart. After each write the workspace's feed hears the row as the list shows it (worker/feed/), so
 * every open list shows the change at once and a list loaded after it reads the same from D1.
 */
import { updateSessionIndex } from "../db/sessions";
import type { FeedEvent } from "../protocol/feed";
import { inboxStatusOf } from "../protocol/inbox";
import type { SessionSummary } from "../protocol/session";
import type { SessionRecord } from "./record";

/** Waits after the 1st, 2nd, … failed write; the last one repeats until a write lands. */
export const INDEX_RETRY_DELAYS_MS = [1000, 5000, 30_000, 120_000, 300_000];

interface RetryState {
  attempts: number;
  dueAt: number;
}

export interface SessionIndexHooks {
  /** A retry became due at a new time: the room moves its alarm. */
  retryScheduled(): void;
  /** Whether a question or an approval waits for a person now (the transcript knows). */
  awaitingDecision(): boolean;
  /** Tells the workspace's open lists (worker/feed/publish.ts; never throws). */
  publish(workspaceId: string, event: FeedEvent): Promise<void>;
}

export class SessionIndex {
  readonly #db: D1Database;
  readonly #sql: SqlStorage;
  readonly #hooks: SessionIndexHooks;
  #writes: Promise<unknown> = Promise.resolve();

  constructor(db: D1Database, sql: SqlStorage, hooks: SessionIndexHooks) {
    this.#db = db;
    this.#sql = sql;
    this.#hooks = hooks;
  }

  /**
   * Writes the record's indexed fields (and now as its last activity: every write follows something the
   * list shows), then tells the feed; a failed write schedules a retry. Settles when both are done.
   */
  write(record: SessionRecord): Promise<unknown> {
    const { phase, agentStatus, displayName, updatedAt, id } = record;
    const summary = summaryOf(record, this.#hooks.awaitingDecision(), Date.now());
    const { awaitingDecision, lastActivityAt } = summary;
    this.#writes = this.#writes.then(async () => {
      try {
        await updateSessionIndex(this.#db, {
          id,
          phase,
          agentStatus,
          name: displayName,
          model: record.config.model,
          updatedAt,
          awaitingDecision,
          lastActivityAt,
        });
        this.#setRetry(null);
      } catch (err) {
        console.error("session index update failed; retrying from the alarm", err);
        const attempts = (this.#retry()?.attempts ?? 0) + 1;
        const delay = INDEX_RETRY_DELAYS_MS[Math.min(attempts, INDEX_RETRY_DELAYS_MS.length) - 1];
        this.#setRetry({ attempts, dueAt: Date.now() + delay });
        this.#hooks.retryScheduled();
      }
      await this.#hooks.publish(record.workspaceId, { type: "session", session: summary });
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

/** The list's row for this record (the D1 row's fields as `db/sessions.ts` reads them back). */
export function summaryOf(record: SessionRecord, awaitingDecision: boolean, at: number): SessionSummary {
  const awaitingApproval = record.phase === "Pending" && record.awaitingApproval === true;
  return {
    id: record.id,
    workspaceId: record.workspaceId,
    displayName: record.displayName,
    phase: record.phase,
    agentStatus: record.agentStatus,
    model: record.config.model,
    origin: record.origin,
    createdBy: record.createdBy,
    createdAt: record.createdAt,
    updatedAt: record.updatedAt,
    awaitingApproval,
    pullRequestUrl: record.pullRequestUrl ?? null,
    status: inboxStatusOf({ phase: record.phase, agentStatus: record.agentStatus, awaitingApproval }),
    awaitingDecision,
    lastActivityAt: at,
  };
}
