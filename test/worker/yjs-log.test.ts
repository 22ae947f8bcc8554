import { env, runInDurableObject } from "cloudflare:test";
import { messageList } from "../../worker/protocol/transcript";
import * as Y from "yjs";
import { describe, expect, it } from "vitest";
import { MAX_ROW_BYTES, RowTooBigError, rowLimited } from "../../worker/viewers/sql-limits";
import { CHUNK_BYTES, YjsLog, type YjsLogStorage } from "../../worker/viewers/yjs-log";
import { applyRoomSchema } from "../../worker/session/schema";
import { signIn, uniqueName, workspaceWith } from "./helpers";
import { createSession, transcriptOf, waitForPhase } from "./session-helpers";

const roomStub = (id: string) => env.SessionRoom.get(env.SessionRoom.idFromName(id));

/** A fresh room's storage, seen through the production row limit. */
function limited(state: DurableObjectState): YjsLogStorage {
  return {
    sql: rowLimited(state.storage.sql),
    transactionSync: (closure) => state.storage.transactionSync(closure),
  };
}

/** Appends `count` tool outputs of `size` characters each, as the transcript would hold them. */
function growDocument(doc: Y.Doc, count: number, size: number): void {
  const outputs = doc.getArray<string>("outputs");
  for (let i = 0; i < count; i++) outputs.push([`${i}:`.padEnd(size, String.fromCharCode(97 + (i % 26)))]);
}

/** A digest of the document's state: results leaving a Durable Object in tests must stay small. */
async function digest(doc: Y.Doc): Promise<{ bytes: number; sha256: string }> {
  const state = Y.encodeStateAsUpdate(doc);
  const hash = new Uint8Array(await crypto.subtle.digest("SHA-256", state));
  return { bytes: state.byteLength, sha256: [...hash].map((b) => b.toString(16).padStart(2, "0")).join("") };
}

function rebuild(entries: Uint8Array[]): Y.Doc {
  const doc = new Y.Doc();
  for (const entry of entries) Y.applyUpdate(doc, entry);
  return doc;
}

describe("the production row limit", () => {
  it("rejects a write of more than 2 MB, as Durable Object storage does", async () => {
    await runInDurableObject(roomStub(crypto.randomUUID()), (_instance, state) => {
      const sql = rowLimited(state.storage.sql);
      sql.exec(`CREATE TABLE t (data BLOB)`);
      sql.exec(`INSERT INTO t (data) VALUES (?)`, new Uint8Array(MAX_ROW_BYTES));
      expect(() => sql.exec(`INSERT INTO t (data) VALUES (?)`, new Uint8Array(MAX_ROW_BYTES + 1))).toThrow(
        RowTooBigError,
      );
      expect(() => sql.exec(`INSERT INTO t (data) VALUES (?)`, "é".repeat(MAX_ROW_BYTES / 2 + 1))).toThrow(
        RowTooBigError,
      );
      expect(Number(sql.exec(`SELECT count(*) AS n FROM t`).one().n)).toBe(1);
    });
  });
});

describe("the Yjs log", () => {
  it("stores a 6 MB document through compaction and reloads it byte for byte", async () => {
    await runInDurableObject(roomStub(crypto.randomUUID()), (_instance, state) => {
      const doc = new Y.Doc();
      const log = new YjsLog(limited(state));
      doc.on("update", (update: Uint8Array) => log.append(update));
      growDocument(doc, 200, 30_000); // 6 MB in tool-output-sized updates
      doc.transact(() => growDocument(doc, 1, 2_500_000)); // one update larger than a row may be
      log.compact(Y.encodeStateAsUpdate(doc));
      growDocument(doc, 10, 1000);

      const reloaded = new YjsLog(limited(state));
      const copy = rebuild(reloaded.updates());
      expect(Y.encodeStateAsUpdate(copy)).toEqual(Y.encodeStateAsUpdate(doc));
      expect(copy.getArray("outputs").length).toBe(211);
      expect(reloaded.storedBytes).toBeGreaterThan(8_500_000);
      const biggest = state.storage.sql.exec(`SELECT max(length(data)) AS n FROM yjs_log`).one().n;
      expect(Number(biggest)).toBeLessThanOrEqual(CHUNK_BYTES);
    });
  });

  it("leaves the log as it was when a compaction fails half way", async () => {
    await runInDurableObject(roomStub(crypto.randomUUID()), (_instance, state) => {
      const doc = new Y.Doc();
      const log = new YjsLog(limited(state));
      doc.on("update", (update: Uint8Array) => log.append(update));
      growDocument(doc, 40, 100_000);
      const before = state.storage.sql.exec(`SELECT count(*) AS n FROM yjs_log`).one().n;
      // The third part of the snapshot fails to write, as a full disk or a limit would make it.
      let writes = 0;
      const failing: YjsLogStorage = {
        sql: new Proxy(state.storage.sql, {
          get: (target, property) =>
            property === "exec"
              ? (query: string, ...bindings: SqlStorageValue[]) => {
                  if (query.startsWith("INSERT") && ++writes === 3) throw new Error("disk full");
                  return target.exec(query, ...bindings);
                }
              : (Reflect.get(target, property, target) as unknown),
        }),
        transactionSync: (closure) => state.storage.transactionSync(closure),
      };
      expect(() => new YjsLog(failing).compact(Y.encodeStateAsUpdate(doc))).toThrow("disk full");
      expect(state.storage.sql.exec(`SELECT count(*) AS n FROM yjs_log`).one().n).toBe(before);
      expect(Y.encodeStateAsUpdate(rebuild(new YjsLog(limited(state)).updates()))).toEqual(
        Y.encodeStateAsUpdate(doc),
      );
    });
  });

  it("compacts many small updates, but does not rewrite a big snapshot for every few deltas", async () => {
    await runInDurableObject(roomStub(crypto.randomUUID()), (_instance, state) => {
      const doc = new Y.Doc();
      const log = new YjsLog(limited(state));
      let compactions = 0;
      doc.on("update", (update: Uint8Array) => {
        log.append(update);
        if (log.needsCompaction()) {
          log.compact(Y.encodeStateAsUpdate(doc));
          compactions++;
        }
      });
      const text = doc.getText("reply");
      for (let i = 0; i < 600; i++) text.insert(text.length, "token ");
      expect(compactions).toBe(1);
      growDocument(doc, 1, 1_000_000); // the snapshot is now large
      log.compact(Y.encodeStateAsUpdate(doc));
      compactions = 0;
      for (let i = 0; i < 4000; i++) text.insert(text.length, "token ");
      expect(compactions).toBe(0);
      for (let i = 0; i < 1100; i++) text.insert(text.length, "token ");
      expect(compactions).toBe(1);
      expect(
        rebuild(new YjsLog(limited(state)).updates())
          .getText("reply")
          .toString(),
      ).toBe(text.toString());
    });
  });

  it("takes over a room stored before the log was chunked", async () => {
    await runInDurableObject(roomStub(crypto.randomUUID()), (_instance, state) => {
      const doc = new Y.Doc();
      const legacy: Uint8Array[] = [];
      doc.on("update", (update: Uint8Array) => legacy.push(update));
      growDocument(doc, 5, 100);
      state.storage.sql.exec(`DROP TABLE IF EXISTS yjs_log`);
      state.storage.sql.exec(
        `CREATE TABLE yjs_updates (id INTEGER PRIMARY KEY AUTOINCREMENT, data BLOB NOT NULL)`,
      );
      for (const update of legacy)
        state.storage.sql.exec(`INSERT INTO yjs_updates (data) VALUES (?)`, update);
      applyRoomSchema(state.storage);
      const log = new YjsLog(limited(state));
      expect(Y.encodeStateAsUpdate(rebuild(log.updates()))).toEqual(Y.encodeStateAsUpdate(doc));
      expect(
        state.storage.sql.exec(`SELECT count(*) AS n FROM sqlite_master WHERE name = 'yjs_updates'`).one().n,
      ).toBe(0);
    });
  });
});

describe("a room with a transcript over 5 MB", () => {
  it("survives compaction and a restart with the same document", async () => {
    const owner = await signIn(uniqueName("owner"));
    const ws = await workspaceWith(owner);
    const { id } = await createSession(owner, ws, { prompt: "hello", timeoutSeconds: 60 });
    await waitForPhase(owner, ws, id, "Running");
    // Long tool outputs, written into the room's own document as its agent frames leave them: settled, as
    // JSON strings (a live message, or one settled as an object, would be rewritten on the restart's load,
    // a change this test is not about).
    const before = await runInDurableObject(roomStub(id), async (instance) => {
      const messages = messageList(instance.document);
      for (let i = 0; i < 600; i++) {
        const result = `${i} `.padEnd(9_000, "x");
        const block = {
          type: "tool_use" as const,
          id: `tool-${i}`,
          name: "bash",
          input: { command: `cat big-${i}.log` },
          status: "done" as const,
          result,
          startedAt: 0,
        };
        messages.push([
          JSON.stringify({
            id: `big-${i}`,
            role: "assistant",
            author: "agent",
            createdAt: 0,
            blocks: [block],
          }),
        ]);
      }
      return digest(instance.document);
    });
    expect(before.bytes).toBeGreaterThan(5_000_000);
    const transcript = await transcriptOf(owner, ws, id);
    const stored = await runInDurableObject(roomStub(id), (_instance, state) => ({
      snapshots: Number(
        state.storage.sql.exec(`SELECT count(*) AS n FROM yjs_log WHERE snapshot = 1`).one().n,
      ),
      largest: Number(state.storage.sql.exec(`SELECT max(length(data)) AS n FROM yjs_log`).one().n),
    }));
    expect(stored.snapshots).toBeGreaterThan(1); // a snapshot in several parts
    expect(stored.largest).toBeLessThanOrEqual(CHUNK_BYTES);

    await runInDurableObject(roomStub(id), (_instance, state) => state.abort("restart")).catch(
      () => undefined,
    );
    // The API wakes the room (it loads its document on start), then the document is compared whole.
    expect(await transcriptOf(owner, ws, id)).toEqual(transcript);
    const after = await runInDurableObject(roomStub(id), (instance) => digest(instance.document));
    expect(after).toEqual(before);
  });
});
