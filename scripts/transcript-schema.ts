/**
 * The client's side of a late join, in one process: a 10,000-message document written by the room's writer
 * with every message left live (as before issue 24) and settled (as built), then each applied to a fresh
 * Y.Doc seven times, interleaved. `npx tsx scripts/transcript-schema.ts`; bench:fanout measures the whole
 * join through the runtime.
 */
import * as Y from "yjs";
import { Transcript } from "../worker/session/transcript-doc";
import type { FromAgentFrame } from "../worker/protocol/agent";
function build(settle: boolean): Uint8Array {
  const doc = new Y.Doc({ gc: true });
  const t = new Transcript(doc, { settle: settle ? "strings" : "off" });
  let seq = 0;
  const send = (f: Record<string, unknown>) =>
    t.applyAgentFrame({ ...f, seq: ++seq } as FromAgentFrame, Date.now());
  for (let i = 0; i < 10_000; i++) {
    const id = `m-${i}`;
    send({ type: "message_start", id });
    send({
      type: "thinking_delta",
      id,
      text: `Step ${i}: the failing test points at the parser; check how it handles an empty line before changing anything.`,
    });
    for (const part of [
      "I looked at `src/parser.ts` ",
      `and the case on line ${i % 400}: `,
      "an empty line ends the block early, ",
      "so the fix is to skip blank lines before the header.",
    ])
      send({ type: "text_delta", id, text: part });
    if (i % 3 === 0) {
      send({
        type: "tool_use",
        id: `${id}-tool`,
        messageId: id,
        name: "bash",
        input: { command: `npm test -- parser --grep case-${i}` },
      });
      send({
        type: "tool_result",
        id: `${id}-tool`,
        output: `> parser@1.0.0 test\n  ✓ parses headers (3 ms)\n  ✓ case-${i} skips blank lines (1 ms)\n\n  2 passing (12 ms)\n`,
        isError: false,
      });
    }
  }
  send({ type: "turn_end" });
  return Y.encodeStateAsUpdate(doc);
}
const updates = { before: build(false), lean: build(true) };
for (const [name, u] of Object.entries(updates))
  console.log(name, `${(u.length / 1e6).toFixed(2)} MB`, `${Y.decodeUpdate(u).structs.length} structs`);
const times: Record<string, number[]> = { before: [], lean: [] };
for (let r = 0; r < 7; r++)
  for (const name of (r % 2 ? ["lean", "before"] : ["before", "lean"]) as ("lean" | "before")[]) {
    const t0 = performance.now();
    const d = new Y.Doc();
    Y.applyUpdate(d, updates[name]);
    d.getArray("messages").toArray();
    times[name].push(performance.now() - t0);
  }
const med = (a: number[]) => [...a].sort((x, y) => x - y)[a.length >> 1];
for (const name of ["before", "lean"])
  console.log(
    name,
    times[name].map((t) => t.toFixed(0)).join(", "),
    "median",
    med(times[name]).toFixed(0),
    "ms",
  );
console.log("lean ÷ before", (med(times.lean) / med(times.before)).toFixed(2));
