/**
 * The SessionRoom's SQLite tables, and the changes made to them since, in the order they were made.
 * The room applies them all at every construction, before anything reads a table, inside the
 * constructor's implicit transaction: each step is idempotent, so a room stored by any earlier version
 * arrives at today's tables, and a change lands whole or not at all. A new table or column is a new
 * step at the end.
 */
import { rowLimited } from "../viewers/sql-limits";
import { createViewerShardsTable } from "../viewers/shards";
import { createRevocationsTable } from "../viewers/revocations";
import { createYjsLogTable, type YjsLogStorage } from "../viewers/yjs-log";

interface SchemaStep {
  /** What the step creates or changes, and who reads it. */
  what: string;
  apply(storage: YjsLogStorage): void;
}

const ROOM_SCHEMA: readonly SchemaStep[] = [
  {
    what: "viewer shards the room relays to (viewers/shards.ts)",
    apply: ({ sql }) => createViewerShardsTable(sql),
  },
  {
    what: "the session record, the events log, the input queue and the artifacts list (storage.ts)",
    apply: ({ sql }) => {
      sql.exec(`CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)`);
      sql.exec(`CREATE TABLE IF NOT EXISTS events (
        seq INTEGER PRIMARY KEY AUTOINCREMENT, at INTEGER NOT NULL, type TEXT NOT NULL,
        phase TEXT, actor TEXT, reason TEXT)`);
      sql.exec(`CREATE TABLE IF NOT EXISTS inputs (
        seq INTEGER PRIMARY KEY, kind TEXT NOT NULL, text TEXT NOT NULL,
        author_id TEXT NOT NULL, author_name TEXT NOT NULL, consumed INTEGER NOT NULL DEFAULT 0)`);
      sql.exec(
        `CREATE TABLE IF NOT EXISTS artifacts (name TEXT PRIMARY KEY, size INTEGER NOT NULL, updated_at INTEGER NOT NULL)`,
      );
    },
  },
  {
    what: "each turn's priced token usage, and whether D1 has it (usage-ledger.ts)",
    apply: ({ sql }) =>
      sql.exec(`CREATE TABLE IF NOT EXISTS usage_turns (
        seq INTEGER PRIMARY KEY, at INTEGER NOT NULL, model TEXT NOT NULL,
        input_tokens INTEGER NOT NULL, output_tokens INTEGER NOT NULL, cache_read_tokens INTEGER NOT NULL,
        cache_write_tokens INTEGER NOT NULL, cost_usd REAL NOT NULL, reported INTEGER NOT NULL DEFAULT 0)`),
  },
  {
    what: "the transcript document's log (viewers/yjs-log.ts), taking over the unchunked `yjs_updates`",
    apply: createYjsLogTable,
  },
  {
    what: "the outgoing callbacks queue (callbacks.ts), once called `notifications`: a room upgraded with callbacks still queued keeps them (same rows, ids and AUTOINCREMENT counter)",
    apply: ({ sql }) => {
      if (sql.exec(`PRAGMA table_info(notifications)`).toArray().length > 0)
        sql.exec(`ALTER TABLE notifications RENAME TO callbacks`);
      sql.exec(`CREATE TABLE IF NOT EXISTS callbacks (
        id INTEGER PRIMARY KEY AUTOINCREMENT, change TEXT NOT NULL, target TEXT, url TEXT, secret TEXT, body TEXT,
        delivery_id TEXT NOT NULL, attempts INTEGER NOT NULL DEFAULT 0, next_at INTEGER NOT NULL, last_error TEXT)`);
    },
  },
  {
    what: "the callback's signing secret sealed; `secret` holds a clear one only in rows queued before, sealed at the next flush",
    apply: ({ sql }) => {
      const columns = new Set(
        sql
          .exec(`PRAGMA table_info(callbacks)`)
          .toArray()
          .map((row) => String(row.name)),
      );
      if (!columns.has("secret_ciphertext"))
        sql.exec(`ALTER TABLE callbacks ADD COLUMN secret_ciphertext TEXT`);
      if (!columns.has("secret_iv")) sql.exec(`ALTER TABLE callbacks ADD COLUMN secret_iv TEXT`);
    },
  },
  {
    what: "access revoked lately, so a ticket issued before opens no socket (viewers/revocations.ts)",
    apply: ({ sql }) => createRevocationsTable(sql),
  },
];

/** Brings the room's storage to today's tables; every write goes through the production row limit. */
export function applyRoomSchema(storage: { sql: SqlStorage; transactionSync<T>(closure: () => T): T }): void {
  const limited: YjsLogStorage = {
    sql: rowLimited(storage.sql),
    transactionSync: (closure) => storage.transactionSync(closure),
  };
  for (const step of ROOM_SCHEMA) step.apply(limited);
}
