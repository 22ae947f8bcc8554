import * as Y from "yjs";
import { splitUpdate } from "../worker/sync/update-parts";
const doc = new Y.Doc();
const other = new Y.Doc();
const messages = doc.getArray<Y.Map<unknown>>("messages");
for (let i = 0; i < 2000; i++) {
  const m = new Y.Map<unknown>(); messages.push([m]);
  m.set("id", `m${i}`); m.set("role", i % 2 ? "user" : "assistant");
  const blocks = new Y.Array<Y.Map<unknown>>(); m.set("blocks", blocks);
  const b = new Y.Map<unknown>(); blocks.push([b]); const t = new Y.Text(); b.set("type","text"); b.set("text", t);
  for (let k = 0; k < 20; k++) t.insert(t.length, `tok${k} `);
  b.set("result", "x".repeat(3000));
  if (i % 7 === 0) t.delete(0, 3);
  if (i % 11 === 0) m.set("role", "system");
}
// another client's edits
Y.applyUpdate(other, Y.encodeStateAsUpdate(doc));
other.getArray("messages").insert(5, ["from other"]);
Y.applyUpdate(doc, Y.encodeStateAsUpdate(other));
messages.delete(10, 3);
const full = Y.encodeStateAsUpdate(doc);
const parts = splitUpdate(full, 256 * 1024);
console.log("full", full.byteLength, "parts", parts.length, parts.map(p => p.byteLength).join(","));
const fresh = new Y.Doc();
for (const p of parts) Y.applyUpdate(fresh, p);
console.log("equal", JSON.stringify(fresh.getArray("messages").toJSON()) === JSON.stringify(doc.getArray("messages").toJSON()), Buffer.compare(Buffer.from(Y.encodeStateVector(fresh)), Buffer.from(Y.encodeStateVector(doc))) === 0, fresh.store.pendingStructs, fresh.store.pendingDs);
// reversed order still converges
const rev = new Y.Doc();
for (const p of [...parts].reverse()) Y.applyUpdate(rev, p);
console.log("reversed equal", JSON.stringify(rev.getArray("messages").toJSON()) === JSON.stringify(doc.getArray("messages").toJSON()));
// diff against a state vector
const half = new Y.Doc(); Y.applyUpdate(half, parts[0]);
const diff = Y.encodeStateAsUpdate(doc, Y.encodeStateVector(half));
for (const p of splitUpdate(diff, 100000)) Y.applyUpdate(half, p);
console.log("diff equal", JSON.stringify(half.getArray("messages").toJSON()) === JSON.stringify(doc.getArray("messages").toJSON()));
