/**
 * The SessionRoom's SQLite tables (schema.ts creates them): the session record, the append-only events
 * log, the input queue, the Yjs log (viewers/yjs-log.ts) and artifacts. Every write is synchronous, so a state change and the Yjs
 * update it causes land in the same implicit transaction of the Durable Object. Every write also goes
 * through the production row limit (sql-limits.ts), which local workerd does not enforce.
 */
import type { Phase } from "../protocol/lifecycle";
import type { Artifact, SessionEvent } from "../protocol/session";
import type { SessionRecord } from "./record";
import { rowLimited } from "../viewers/sql-limits";
import { UsageLedger } from "./usage-ledger";
import { YjsLog } from "../viewers/yjs-log";

// The events log and the artifacts list are what the API returns: their shapes are the protocol's.
export type { Artifact, SessionEvent };

export interface Input {
  seq: number;
  /** `decision`: an approval's decision (`text` is its JSON, DecisionInput), numbered with people's messages. */
  kind: "message" | "answer" | "decision";
  text: string;
  authorId: string;
  authorName: string;
  consumed: boolean;
}

type Row = Record<string, SqlStorageValue>;

export class RoomStore {
  readonly #sql: SqlStorage;
  /** The transcript document's log of updates and snapshots (yjs-log.ts). */
  readonly document: YjsLog;
  /** Each turn's token usage (usage-ledger.ts). */
  readonly usage: UsageLedger;

  constructor(storage: { sql: SqlStorage; transactionSync<T>(closure: () => T): T }) {
    const sql = rowLimited(storage.sql);
    this.#sql = sql;
    this.usage = new UsageLedger(sql);
    this.document = new YjsLog({ sql, transactionSync: (closure) => storage.transactionSync(closure) });
  }

  loadSession(): SessionRecord | null {
    const row = this.#sql.exec(`SELECT value FROM meta WHERE key = 'session'`).toArray()[0];
    return row ? (JSON.parse(String(row.value)) as SessionRecord) : null;
  }

  saveSession(record: SessionRecord): void {
    this.#sql.exec(`INSERT OR REPLACE INTO meta (key, value) VALUES ('session', ?)`, JSON.stringify(record));
  }

  appendEvent(event: Omit<SessionEvent, "seq">): SessionEvent {
    const row = this.#sql
      .exec(
        `INSERT INTO events (at, type, phase, actor, reason) VALUES (?, ?, ?, ?, ?) RETURNING seq`,
        event.at,
        event.type,
        event.phase ?? null,
        event.actor ?? null,
        event.reason ?? null,
      )
      .one();
    return { seq: Number(row.seq), ...event };
  }

  hasEvent(type: string): boolean {
    return this.#sql.exec(`SELECT 1 FROM events WHERE type = ? LIMIT 1`, type).toArray().length > 0;
  }

  events(): SessionEvent[] {
    return this.#sql.exec(`SELECT * FROM events ORDER BY seq`).toArray().map(toEvent);
  }

  addInput(input: Input): void {
    this.#sql.exec(
      `INSERT INTO inputs (seq, kind, text, author_id, author_name, consumed) VALUES (?, ?, ?, ?, ?, 0)`,
      input.seq,
      input.kind,
      input.text,
      input.authorId,
      input.authorName,
    );
  }

  markInputsConsumed(upTo: number): void {
    this.#sql.exec(`UPDATE inputs SET consumed = 1 WHERE seq <= ?`, upTo);
  }

  pendingInputs(): Input[] {
    return this.#sql.exec(`SELECT * FROM inputs WHERE consumed = 0 ORDER BY seq`).toArray().map(toInput);
  }

  putArtifact(name: string, size: number, at: number): void {
    this.#sql.exec(
      `INSERT OR REPLACE INTO artifacts (name, size, updated_at) VALUES (?, ?, ?)`,
      name,
      size,
      at,
    );
  }

  artifacts(): Artifact[] {
    return this.#sql
      .exec(`SELECT * FROM artifacts ORDER BY name`)
      .toArray()
      .map((row) => ({ name: String(row.name), size: Number(row.size), updatedAt: Number(row.updated_at) }));
  }
}

function toEvent(row: Row): SessionEvent {
  const event: SessionEvent = { seq: Number(row.seq), at: Number(row.at), type: String(row.type) };
  if (row.phase !== null) event.phase = row.phase as Phase;
  if (row.actor !== null) event.actor = String(row.actor);
  if (row.reason !== null) event.reason = String(row.reason);
  return event;
}

function toInput(row: Row): Input {
  return {
    seq: Number(row.seq),
    kind: row.kind === "answer" || row.kind === "decision" ? row.kind : "message",
    text: String(row.text),
    authorId: String(row.author_id),
    authorName: String(row.author_name),
    consumed: Number(row.consumed) === 1,
  };
}
