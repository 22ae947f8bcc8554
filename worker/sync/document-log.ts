/**
 * A Yjs document kept in DO SQLite as a log of updates: each update is appended in the same synchronous
 * turn as the change that caused it, and past a threshold the log is replaced by a snapshot. A row
 * holds at most 2 MB on the platform, so a snapshot (or an unusually large update) is stored as
 * several updates of at most ROW_BYTES (update-parts.ts); loading applies them in order.
 */
import type * as Y from "yjs";
import { EVERYTHING, encodeStateAsUpdateParts, splitUpdate } from "./update-parts";

/** Updates kept one row each until this many, then compacted into one snapshot. */
export const COMPACT_AFTER_UPDATES = 500;
/** Under the platform's 2 MB per row, with room to spare. */
export const ROW_BYTES = 1_000_000;

export class DocumentLog {
  readonly #sql: SqlStorage;
  readonly #table: string;
  #rows = 0;

  constructor(sql: SqlStorage, table: string) {
    this.#sql = sql;
    this.#table = table;
    sql.exec(`CREATE TABLE IF NOT EXISTS ${table} (id INTEGER PRIMARY KEY AUTOINCREMENT, data BLOB NOT NULL)`);
    this.#rows = Number(sql.exec(`SELECT count(*) AS n FROM ${table}`).one().n);
  }

  append(update: Uint8Array): void {
    for (const part of splitUpdate(update, ROW_BYTES)) {
      this.#sql.exec(`INSERT INTO ${this.#table} (data) VALUES (?)`, part);
      this.#rows++;
    }
  }

  updates(): Uint8Array[] {
    return this.#sql
      .exec(`SELECT data FROM ${this.#table} ORDER BY id`)
      .toArray()
      .map((row) => new Uint8Array(row.data as ArrayBuffer));
  }

  needsCompaction(): boolean {
    return this.#rows > COMPACT_AFTER_UPDATES;
  }

  /** Replaces every stored update with a snapshot of the whole document, in rows (all writes in one synchronous turn: atomic). */
  compact(doc: Y.Doc): void {
    this.#sql.exec(`DELETE FROM ${this.#table}`);
    this.#rows = 0;
    for (const part of encodeStateAsUpdateParts(doc, EVERYTHING, ROW_BYTES)) {
      this.#sql.exec(`INSERT INTO ${this.#table} (data) VALUES (?)`, part);
      this.#rows++;
    }
  }

  /** Bytes of document the log holds (the bench reports them before and after compaction). */
  storedBytes(): number {
    return Number(this.#sql.exec(`SELECT coalesce(sum(length(data)), 0) AS n FROM ${this.#table}`).one().n);
  }

  clear(): void {
    this.#sql.exec(`DELETE FROM ${this.#table}`);
    this.#rows = 0;
  }
}
