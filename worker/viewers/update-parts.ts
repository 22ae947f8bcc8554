/**
 * Splits a Yjs update into smaller updates that, applied in order, give the same document. A large
 * state must not travel as one WebSocket message or be stored as one SQLite row (platform limits:
 * docs/architecture.md, "Sending the state in parts"); parts are ordinary Yjs updates, so every
 * standard client and `Y.applyUpdate` accept them. Splits fall between structs: a single struct
 * larger than the limit (no product frame makes one) travels alone.
 */
import * as encoding from "lib0/encoding";
import * as Y from "yjs";

/** The state vector of an empty document, asking for everything (a constant: no Y.Doc at module scope in a Worker). */
export const EVERYTHING = new Uint8Array([0]);

type Struct = ReturnType<typeof Y.decodeUpdate>["structs"][number];
type DeleteSet = ReturnType<typeof Y.decodeUpdate>["ds"];

/**
 * What `Y.encodeStateAsUpdate(doc, stateVector)` encodes, as parts of at most `maxBytes`, read straight
 * from the document's struct store: every struct is written once into one buffer, as Yjs does, and
 * the parts are cut from it between structs (no whole update is built and decoded again).
 */
export function encodeStateAsUpdateParts(
  doc: Y.Doc,
  stateVector: Uint8Array,
  maxBytes: number,
): Uint8Array[] {
  const known = Y.decodeStateVector(stateVector);
  const body = new Y.UpdateEncoderV1();
  const written: Written = { client: [], clock: [], end: [] };
  // Higher client ids first, as Yjs writes them.
  for (const client of [...doc.store.clients.keys()].sort((a, b) => b - a)) {
    const structs = doc.store.clients.get(client)!;
    const last = structs[structs.length - 1];
    const from = Math.max(known.get(client) ?? 0, structs[0].id.clock);
    if (last.id.clock + last.length <= from) continue;
    for (let index = Y.findIndexSS(structs, from); index < structs.length; index++) {
      const struct = structs[index];
      const offset = Math.max(0, from - struct.id.clock);
      struct.write(body, offset);
      written.client.push(client);
      written.clock.push(struct.id.clock + offset);
      written.end.push(encoding.length(body.restEncoder));
    }
  }
  const bytes = body.toUint8Array();
  const parts: Uint8Array[] = [];
  let first = 0;
  let start = 0;
  for (let i = 0; i < written.end.length; i++) {
    // Cut before struct i when it would take the part past the limit (with room for the runs' headers).
    if (i > first && written.end[i] - start > maxBytes - HEADER_ALLOWANCE) {
      parts.push(encodeSlices(bytes, written, first, i, start, null));
      first = i;
      start = written.end[i - 1];
    }
  }
  parts.push(
    encodeSlices(
      bytes,
      written,
      first,
      written.end.length,
      start,
      Y.createDeleteSetFromStructStore(doc.store),
    ),
  );
  return parts;
}

const HEADER_ALLOWANCE = 1024;

/** For each struct written: its client, its first clock, where its bytes end. */
interface Written {
  client: number[];
  clock: number[];
  end: number[];
}

/** Structs `from`…`to` (exclusive) of `bytes` as one update: runs of consecutive structs per client, then the delete set. */
function encodeSlices(
  bytes: Uint8Array,
  written: Written,
  from: number,
  to: number,
  start: number,
  ds: DeleteSet | null,
): Uint8Array {
  const encoder = new Y.UpdateEncoderV1();
  const runs: [number, number][] = [];
  for (let i = from; i < to; i++) {
    if (runs.length > 0 && written.client[runs[runs.length - 1][0]] === written.client[i])
      runs[runs.length - 1][1] = i + 1;
    else runs.push([i, i + 1]);
  }
  encoding.writeVarUint(encoder.restEncoder, runs.length);
  for (const [first, end] of runs) {
    encoding.writeVarUint(encoder.restEncoder, end - first);
    encoder.writeClient(written.client[first]);
    encoding.writeVarUint(encoder.restEncoder, written.clock[first]);
    encoding.writeUint8Array(
      encoder.restEncoder,
      bytes.subarray(first === from ? start : written.end[first - 1], written.end[end - 1]),
    );
  }
  writeDeleteSet(encoder, ds);
  return encoder.toUint8Array();
}

export function splitUpdate(update: Uint8Array, maxBytes: number): Uint8Array[] {
  if (update.byteLength <= maxBytes) return [update];
  const { structs, ds } = Y.decodeUpdate(update);
  const parts: Uint8Array[] = [];
  let batch: Struct[] = [];
  let batchBytes = 0;
  for (const struct of structs) {
    const bytes = encodedSize(struct);
    if (batch.length > 0 && batchBytes + bytes > maxBytes) {
      parts.push(encodeStructs(batch, null));
      batch = [];
      batchBytes = 0;
    }
    batch.push(struct);
    batchBytes += bytes;
  }
  // The deletions refer to structs of any part: they travel with the last.
  parts.push(encodeStructs(batch, ds));
  return parts;
}

function encodedSize(struct: Struct): number {
  const scratch = new Y.UpdateEncoderV1();
  struct.write(scratch, 0);
  return encoding.length(scratch.restEncoder) + 16;
}

/** Update format v1: runs of consecutive structs per client, then the delete set. */
function encodeStructs(structs: Struct[], ds: DeleteSet | null): Uint8Array {
  const encoder = new Y.UpdateEncoderV1();
  const runs: Struct[][] = [];
  for (const struct of structs) {
    const run = runs.at(-1);
    if (run && run[0].id.client === struct.id.client) run.push(struct);
    else runs.push([struct]);
  }
  encoding.writeVarUint(encoder.restEncoder, runs.length);
  for (const run of runs) {
    encoding.writeVarUint(encoder.restEncoder, run.length);
    encoder.writeClient(run[0].id.client);
    encoding.writeVarUint(encoder.restEncoder, run[0].id.clock);
    for (const struct of run) struct.write(encoder, 0);
  }
  writeDeleteSet(encoder, ds);
  return encoder.toUint8Array();
}

function writeDeleteSet(encoder: Y.UpdateEncoderV1, ds: DeleteSet | null): void {
  const clients = ds ? [...ds.clients.entries()].sort((a, b) => b[0] - a[0]) : [];
  encoding.writeVarUint(encoder.restEncoder, clients.length);
  for (const [client, items] of clients) {
    encoder.resetDsCurVal();
    encoding.writeVarUint(encoder.restEncoder, client);
    encoding.writeVarUint(encoder.restEncoder, items.length);
    for (const item of items) {
      encoder.writeDsClock(item.clock);
      encoder.writeDsLen(item.len);
    }
  }
}
