/**
 * Splits a Yjs update into smaller updates that, applied in order, give the same document. A large
 * state must not travel as one WebSocket message or be stored as one SQLite row (platform limits:
 * docs/architecture.md, "Sending the state in parts"); parts are ordinary Yjs updates, so every
 * standard client and `Y.applyUpdate` accept them. Splits fall between structs: a single struct
 * larger than the limit (no product frame makes one) travels alone.
 */
import * as encoding from "lib0/encoding";
import * as Y from "yjs";

type Struct = ReturnType<typeof Y.decodeUpdate>["structs"][number];
type DeleteSet = ReturnType<typeof Y.decodeUpdate>["ds"];

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
