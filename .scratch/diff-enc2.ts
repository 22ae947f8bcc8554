import * as Y from "yjs";
import { Transcript } from "../worker/session/transcript";
import { encodeStateAsUpdateParts } from "../worker/sync/update-parts";
const doc = new Y.Doc();
const t = new Transcript(doc);
let seq = 0;
const send = (f: any) => doc.transact(() => t.applyAgentFrame({ ...f, seq: ++seq }, 1000));
for (let i = 0; i < Number(process.argv[2] ?? 3); i++) {
  const id = `msg-${i}`;
  send({ type: "message_start", id });
  send({ type: "text_delta", id, text: "ab" });
  send({ type: "text_delta", id, text: "cd" });
  send({ type: "tool_use", id: `${id}-tool`, messageId: id, name: "bash", input: { command: "x" } });
  send({ type: "tool_result", id: `${id}-tool`, output: "out", isError: false });
}
const full = Y.encodeStateAsUpdate(doc);
const [part] = encodeStateAsUpdateParts(doc, Y.encodeStateVector(new Y.Doc()), 1e6);
console.log(full.byteLength, part.byteLength);
const a = Buffer.from(full).toString("hex"), b = Buffer.from(part).toString("hex");
let k = 0; while (k < a.length && a[k] === b[k]) k++;
console.log(k / 2, a.slice(k - 20, k + 40)); console.log(k / 2, b.slice(k - 20, k + 40));
console.log(Y.decodeUpdate(full).structs.length, Y.decodeUpdate(part).structs.length, doc.store.clients.get(doc.clientID)!.length);
