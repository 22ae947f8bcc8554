/**
 * The server's answer to a client's SyncStep1 (y-protocols): everything the client lacks. A late joiner
 * of a long session can lack megabytes, so the answer is sent in parts of at most SYNC_PART_BYTES:
 * Yjs updates, the last one framed as SyncStep2, which is what marks a standard client synced.
 */
import * as decoding from "lib0/decoding";
import * as encoding from "lib0/encoding";
import * as syncProtocol from "y-protocols/sync";
import * as Y from "yjs";
import { encodeStateAsUpdateParts } from "./update-parts";

export const MESSAGE_SYNC = 0;
export const MESSAGE_AWARENESS = 1;
/**
 * The platform closes a socket whose received message exceeds its limit (1 MiB for a Worker, 32 MiB
 * for a Durable Object: docs/architecture.md); parts stay under the smaller, whoever receives them.
 */
export const SYNC_PART_BYTES = 1_000_000;

/** The state vector a client sent in its SyncStep1, or null for any other frame. */
export function syncStep1StateVector(bytes: Uint8Array): Uint8Array | null {
  try {
    const decoder = decoding.createDecoder(bytes);
    if (decoding.readVarUint(decoder) !== MESSAGE_SYNC) return null;
    if (decoding.readVarUint(decoder) !== syncProtocol.messageYjsSyncStep1) return null;
    return decoding.readVarUint8Array(decoder);
  } catch {
    return null;
  }
}

/** Whether a state vector knows nothing: the client asks for the whole document. */
export function knowsNothing(stateVector: Uint8Array): boolean {
  return Y.decodeStateVector(stateVector).size === 0;
}

/**
 * What the client lacks, as sync messages: `everything` (the kept encoding, encoded-state.ts) for a
 * client that knows nothing, else encoded for its state vector.
 */
export function syncAnswer(
  doc: Y.Doc,
  stateVector: Uint8Array,
  everything: () => Uint8Array[],
): Uint8Array[] {
  const parts = knowsNothing(stateVector)
    ? everything()
    : encodeStateAsUpdateParts(doc, stateVector, SYNC_PART_BYTES);
  return parts.map((part, i) => {
    const encoder = encoding.createEncoder();
    encoding.writeVarUint(encoder, MESSAGE_SYNC);
    encoding.writeVarUint(
      encoder,
      i === parts.length - 1 ? syncProtocol.messageYjsSyncStep2 : syncProtocol.messageYjsUpdate,
    );
    encoding.writeVarUint8Array(encoder, part);
    return encoding.toUint8Array(encoder);
  });
}
