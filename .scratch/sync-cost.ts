import * as Y from "yjs";
import { Transcript } from "../worker/session/transcript";
import { splitUpdate } from "../worker/sync/update-parts";
const doc = new Y.Doc();
const t = new Transcript(doc);
let seq = 0;
const N = Number(process.argv[2] ?? 10000);
const send = (f: any) => doc.transact(() => t.applyAgentFrame({ ...f, seq: ++seq }, Date.now()));
for (let i = 0; i < N; i++) {
  const id = `msg-${i}`;
  send({ type: "message_start", id });
  send({ type: "thinking_delta", id, text: `Step ${i}: the failing test points at the parser; check how it handles an empty line before changing anything.` });
  for (const part of ["I looked at `src/parser.ts` ", `and the case on line ${i % 400}: `, "an empty line ends the block early, ", "so the fix is to skip blank lines before the header."]) send({ type: "text_delta", id, text: part });
  if (i % 3 === 0) {
    send({ type: "tool_use", id: `${id}-tool`, messageId: id, name: "bash", input: { command: `npm test -- parser --grep case-${i}` } });
    send({ type: "tool_result", id: `${id}-tool`, output: `> parser@1.0.0 test\n  ✓ parses headers (3 ms)\n  ✓ case-${i} skips blank lines (1 ms)\n\n  2 passing (12 ms)\n`, isError: false });
  }
}
const time = (label: string, f: () => unknown) => { const t0 = performance.now(); const r = f(); console.log(label, (performance.now() - t0).toFixed(1), "ms"); return r; };
const update = time("encodeStateAsUpdate", () => Y.encodeStateAsUpdate(doc)) as Uint8Array;
console.log("bytes", update.byteLength, "structs", Y.decodeUpdate(update).structs.length);
time("encodeStateAsUpdate again", () => Y.encodeStateAsUpdate(doc));
const parts = time("splitUpdate 1MB", () => splitUpdate(update, 1_000_000)) as Uint8Array[];
time("decodeUpdate only", () => Y.decodeUpdate(update));
const client = new Y.Doc();
time("client applyUpdate whole", () => Y.applyUpdate(client, update));
const client2 = new Y.Doc();
time("client apply parts", () => { for (const p of parts) Y.applyUpdate(client2, p); });
const v2 = time("encodeStateAsUpdateV2", () => Y.encodeStateAsUpdateV2(doc)) as Uint8Array;
console.log("v2 bytes", v2.byteLength);
const c3 = new Y.Doc();
time("client applyUpdateV2", () => Y.applyUpdateV2(c3, v2));
console.log("json bytes", JSON.stringify({ messages: doc.getArray("messages").toJSON() }).length);
import { encodeStateAsUpdateParts } from "../worker/sync/update-parts";
const fastParts = time("encodeStateAsUpdateParts 1MB", () => encodeStateAsUpdateParts(doc, Y.encodeStateVector(new Y.Doc()), 1_000_000)) as Uint8Array[];
console.log("parts", fastParts.length, fastParts.map((p) => p.byteLength).join(","), "total", fastParts.reduce((a, p) => a + p.byteLength, 0));
const c4 = new Y.Doc();
for (const p of fastParts) Y.applyUpdate(c4, p);
console.log("same", JSON.stringify(c4.getArray("messages").toJSON()) === JSON.stringify(doc.getArray("messages").toJSON()));
const half = new Y.Doc(); Y.applyUpdate(half, fastParts[0]); Y.applyUpdate(half, fastParts[1]);
for (const p of encodeStateAsUpdateParts(doc, Y.encodeStateVector(half), 300_000)) Y.applyUpdate(half, p);
console.log("diff same", JSON.stringify(half.getArray("messages").toJSON()) === JSON.stringify(doc.getArray("messages").toJSON()));
