/**
 * The room's Yjs document on disk: an append-only log of updates, compacted now and then into one
 * snapshot. Any entry (an update or the snapshot) is stored in parts of at most CHUNK_BYTES, since a DO
 * SQLite row holds at most 2 MB and a long transcript's snapshot is far larger. Compaction replaces the
 * whole log in one `transactionSync`: it lands whole or not at all.
 */

import * as Y from "yjs";

/** Bytes per stored part: half the row limit, leaving room for the row's other columns. */
export const CHUNK_BYTES = 1_000_000;
/** Updates kept as they came before a compaction is considered. */
export const COMPACT_AFTER_UPDATES = 500;
/** Past this many updates, compact whatever their size, so a load never replays an unbounded log. */
export const COMPACT_ALWAYS_AFTER_UPDATES = 5000;

export interface YjsLogStorage {
  sql: SqlStorage;
  transactionSync<T>(closure: () => T): T;
}

export class YjsLog {
  readonly #storage: YjsLogStorage;
  /** Updates appended since the last snapshot, and their bytes. */
  #updates = 0;
  #updateBytes = 0;
  #snapshotBytes = 0;
  #nextEntry = 1;

  constructor(storage: YjsLogStorage) {
    this.#storage = storage;
    const { sql } = storage;
    for (const row of sql.exec(
      `SELECT snapshot, count(DISTINCT entry) AS entries, sum(length(data)) AS bytes FROM yjs_log GROUP BY snapshot`,
    )) {
      if (Number(row.snapshot) === 1) this.#snapshotBytes = Number(row.bytes);
      else {
        this.#updates = Number(row.entries);
        this.#updateBytes = Number(row.bytes);
      }
    }
    this.#nextEntry = Number(sql.exec(`SELECT coalesce(max(entry), 0) + 1 AS next FROM yjs_log`).one().next);
  }

  /** Every stored entry in order, parts joined: apply them all to rebuild the document. */
  updates(): Uint8Array[] {
    const parts = new Map<number, Uint8Array[]>();
    for (const row of this.#storage.sql.exec(`SELECT entry, data FROM yjs_log ORDER BY entry, part`)) {
      const entry = Number(row.entry);
      const list = parts.get(entry) ?? [];
      list.push(new Uint8Array(row.data as ArrayBuffer));
      parts.set(entry, list);
    }
    // A Map iterates in insertion order, which is entry order here.
    return [...parts.values()].map(join);
  }

  append(update: Uint8Array): void {
    writeEntry(this.#storage.sql, this.#nextEntry++, update, false);
    this.#updates++;
    this.#updateBytes += update.byteLength;
  }

  /**
   * Worth compacting once enough updates have piled up, and their bytes are a fair share of the snapshot
   * they would be folded into (rewriting a 5 MB snapshot for every 500 small deltas would cost more than
   * it saves), or once there are too many of them to replay quickly.
   */
  needsCompaction(): boolean {
    if (this.#updates <= COMPACT_AFTER_UPDATES) return false;
    return this.#updates > COMPACT_ALWAYS_AFTER_UPDATES || this.#updateBytes * 4 >= this.#snapshotBytes;
  }

  /** Replaces the whole log with a snapshot of `doc` (or the snapshot given), atomically. */
  compact(doc: Y.Doc | Uint8Array): void {
    const snapshot = doc instanceof Y.Doc ? Y.encodeStateAsUpdate(doc) : doc;
    this.#storage.transactionSync(() => {
      this.#storage.sql.exec(`DELETE FROM yjs_log`);
      writeEntry(this.#storage.sql, 1, snapshot, true);
    });
    this.#nextEntry = 2;
    this.#updates = 0;
    this.#updateBytes = 0;
    this.#snapshotBytes = snapshot.byteLength;
  }

  /** Bytes of document the log holds (the bench reports them before and after compaction). */
  get storedBytes(): number {
    return this.#snapshotBytes + this.#updateBytes;
  }

  /** Forgets the whole document (a viewer shard's replica, once its viewers are gone). */
  clear(): void {
    this.#storage.sql.exec(`DELETE FROM yjs_log`);
    this.#nextEntry = 1;
    this.#updates = 0;
    this.#updateBytes = 0;
    this.#snapshotBytes = 0;
  }
}

/**
 * The log's table, a step of the room's schema (session/schema.ts) and of a shard's: rooms written
 * before the log was chunked kept one row per update in `yjs_updates`, which moves over whole.
 */
export function createYjsLogTable(storage: YjsLogStorage): void {
  const { sql } = storage;
  // `snapshot` is 1 for the entry that holds the whole document as of the last compaction.
  sql.exec(`CREATE TABLE IF NOT EXISTS yjs_log (
    entry INTEGER NOT NULL, part INTEGER NOT NULL, snapshot INTEGER NOT NULL, data BLOB NOT NULL,
    PRIMARY KEY (entry, part))`);
  storage.transactionSync(() => {
    const exists =
      sql.exec(`SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'yjs_updates'`).toArray().length >
      0;
    if (!exists) return;
    let entry = Number(sql.exec(`SELECT coalesce(max(entry), 0) + 1 AS next FROM yjs_log`).one().next);
    for (const row of sql.exec(`SELECT data FROM yjs_updates ORDER BY id`).toArray()) {
      writeEntry(sql, entry++, new Uint8Array(row.data as ArrayBuffer), false);
    }
    sql.exec(`DROP TABLE yjs_updates`);
  });
}

function writeEntry(sql: SqlStorage, entry: number, bytes: Uint8Array, snapshot: boolean): void {
  const parts = Math.max(1, Math.ceil(bytes.byteLength / CHUNK_BYTES));
  for (let part = 0; part < parts; part++) {
    // A copy per part: a view would hand SQLite its whole underlying buffer on some runtimes.
    const chunk = parts === 1 ? bytes : bytes.slice(part * CHUNK_BYTES, (part + 1) * CHUNK_BYTES);
    sql.exec(
      `INSERT INTO yjs_log (entry, part, snapshot, data) VALUES (?, ?, ?, ?)`,
      entry,
      part,
      snapshot ? 1 : 0,
      chunk,
    );
  }
}

function join(parts: Uint8Array[]): Uint8Array {
  if (parts.length === 1) return parts[0];
  const out = new Uint8Array(parts.reduce((n, p) => n + p.byteLength, 0));
  let offset = 0;
  for (const part of parts) {
    out.set(part, offset);
    offset += part.byteLength;
  }
  return out;
}
