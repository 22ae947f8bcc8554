import { env, runInDurableObject } from "cloudflare:test";
import * as Y from "yjs";
import { describe, expect, it } from "vitest";
import { COMPACT_AFTER_UPDATES, DocumentLog, ROW_BYTES } from "./document-log";

/** Local workerd stores any size; the platform refuses a string or BLOB over 2 MB. This wrapper does too. */
const PLATFORM_ROW_LIMIT = 2_000_000;
function enforcingRowLimit(sql: SqlStorage): SqlStorage {
  return new Proxy(sql, {
    get(target, key) {
      if (key !== "exec") return Reflect.get(target, key);
      return (query: string, ...bindings: unknown[]) => {
        for (const value of bindings) {
          const size = value instanceof ArrayBuffer || ArrayBuffer.isView(value) ? value.byteLength : typeof value === "string" ? value.length : 0;
          if (size > PLATFORM_ROW_LIMIT) throw new Error(`string or blob too big: ${size} bytes`);
        }
        return target.exec(query, ...(bindings as SqlStorageValue[]));
      };
    },
  });
}

/** A document of `count` tool results of 30,000 characters, the agent's cap. */
function longOutputs(count: number): Y.Doc {
  const doc = new Y.Doc();
  const list = doc.getArray<Y.Map<unknown>>("messages");
  for (let i = 0; i < count; i++) list.push([new Y.Map<unknown>([["id", `tool-${i}`], ["result", `${i}:`.padEnd(30_000, "abcdefghij")]])]);
  return doc;
}

describe("DocumentLog", () => {
  it("stores a 5 MB document and a 3 MB update in rows the platform accepts, and loads them back", async () => {
    const stub = env.SessionShard.get(env.SessionShard.idFromName(`document-log-${crypto.randomUUID()}`));
    await runInDurableObject(stub, (_instance, state) => {
      const log = new DocumentLog(enforcingRowLimit(state.storage.sql), "log_test");
      const doc = longOutputs(170);
      const snapshot = Y.encodeStateAsUpdate(doc);
      expect(snapshot.byteLength).toBeGreaterThan(5_000_000);
      expect(() => enforcingRowLimit(state.storage.sql).exec(`SELECT ?`, snapshot)).toThrow(/too big/);
      log.compact(doc);
      const before = Y.encodeStateVector(doc);
      doc.getArray<Y.Map<unknown>>("messages").push(longOutputs(100).getArray<Y.Map<unknown>>("messages").toArray().map((m) => new Y.Map<unknown>([["result", m.get("result")]])));
      log.append(Y.encodeStateAsUpdate(doc, before));
      const sizes = state.storage.sql.exec(`SELECT length(data) AS n FROM log_test`).toArray().map((row) => Number(row.n));
      expect(Math.max(...sizes)).toBeLessThanOrEqual(ROW_BYTES);
      const loaded = new Y.Doc();
      for (const update of log.updates()) Y.applyUpdate(loaded, update);
      expect(loaded.getArray("messages").toJSON()).toEqual(doc.getArray("messages").toJSON());
      expect(log.storedBytes()).toBe(sizes.reduce((a, b) => a + b, 0));
    });
  });

  it("asks for compaction past the threshold, and compaction keeps the document while shrinking the log", async () => {
    const stub = env.SessionShard.get(env.SessionShard.idFromName(`document-log-${crypto.randomUUID()}`));
    await runInDurableObject(stub, (_instance, state) => {
      const log = new DocumentLog(state.storage.sql, "log_test");
      const doc = new Y.Doc();
      const text = doc.getText("t");
      doc.on("update", (update: Uint8Array) => log.append(update));
      for (let i = 0; i <= COMPACT_AFTER_UPDATES; i++) text.insert(text.length, `token ${i} `);
      expect(log.needsCompaction()).toBe(true);
      const before = log.storedBytes();
      log.compact(doc);
      expect(log.needsCompaction()).toBe(false);
      expect(log.storedBytes()).toBeLessThan(before / 2);
      const loaded = new Y.Doc();
      for (const update of log.updates()) Y.applyUpdate(loaded, update);
      expect(loaded.getText("t").toString()).toBe(text.toString());
    });
  });
});
