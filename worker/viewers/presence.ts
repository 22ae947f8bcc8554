/**
 * What a browser may send on the session socket: the reading half of the Yjs sync protocol (step 1: "here
 * is what I have", answered with what the client lacks; the document is the server's, so a client's
 * step 2 or update, a write, is dropped here) and presence. Presence is worker/protocol/presence.ts, only for awareness
 * client ids its socket may speak for, and its `user.id` and `user.name` are the authenticated person's
 * whatever the client claimed. Anything else drops the whole frame.
 */
import * as decoding from "lib0/decoding";
import * as encoding from "lib0/encoding";
import * as Y from "yjs";
import { ClaimedPresenceSchema, type Presence } from "../protocol/presence";

const MESSAGE_SYNC = 0;
const MESSAGE_AWARENESS = 1;
const SYNC_STEP_1 = 0;
/** No legitimate client frame comes near this; a larger one is dropped unread. */
export const MAX_CLIENT_FRAME_BYTES = 64 * 1024;

export interface PresenceOwner {
  /** The authenticated person the socket belongs to. */
  user: { id: string; name: string };
  /** Whether the socket may speak for all of these awareness client ids. */
  mayClaim(clientIds: number[]): boolean;
}

type Entry = { clientId: number; clock: number; state: Presence | null };

/** The frame to apply (presence rewritten) and the awareness client ids it speaks for; null when refused. */
export function admitClientFrame(
  message: ArrayBuffer | ArrayBufferView | string,
  owner: PresenceOwner,
): { frame: Uint8Array; clientIds: number[] } | null {
  if (typeof message === "string") return null;
  const bytes =
    message instanceof ArrayBuffer
      ? new Uint8Array(message)
      : new Uint8Array(message.buffer, message.byteOffset, message.byteLength);
  if (bytes.byteLength === 0 || bytes.byteLength > MAX_CLIENT_FRAME_BYTES) return null;
  try {
    const decoder = decoding.createDecoder(bytes);
    const kind = decoding.readVarUint(decoder);
    if (kind === MESSAGE_SYNC) return isSyncStep1(decoder) ? { frame: bytes, clientIds: [] } : null;
    if (kind !== MESSAGE_AWARENESS) return null;
    const entries = readPresenceUpdate(decoding.readVarUint8Array(decoder), owner.user);
    if (!entries || decoding.hasContent(decoder)) return null;
    const clientIds = entries.map((entry) => entry.clientId);
    if (!owner.mayClaim(clientIds)) return null;
    return { frame: encodePresenceFrame(entries), clientIds };
  } catch {
    return null;
  }
}

/** A well-formed sync step 1: nothing but a state vector. */
function isSyncStep1(decoder: decoding.Decoder): boolean {
  if (decoding.readVarUint(decoder) !== SYNC_STEP_1) return false;
  const stateVector = decoding.readVarUint8Array(decoder);
  if (decoding.hasContent(decoder)) return false;
  Y.decodeStateVector(stateVector);
  return true;
}

/** Every state in an awareness update, each null (leaving) or a valid presence made the owner's own. */
function readPresenceUpdate(update: Uint8Array, user: PresenceOwner["user"]): Entry[] | null {
  const decoder = decoding.createDecoder(update);
  const count = decoding.readVarUint(decoder);
  const entries: Entry[] = [];
  for (let i = 0; i < count; i++) {
    const clientId = decoding.readVarUint(decoder);
    const clock = decoding.readVarUint(decoder);
    const state: unknown = JSON.parse(decoding.readVarString(decoder));
    if (state === null) {
      entries.push({ clientId, clock, state: null });
      continue;
    }
    const claimed = ClaimedPresenceSchema.safeParse(state);
    if (!claimed.success) return null;
    entries.push({
      clientId,
      clock,
      state: {
        user: { id: user.id, name: user.name, color: claimed.data.user.color },
        typing: claimed.data.typing,
      },
    });
  }
  return decoding.hasContent(decoder) ? null : entries;
}

function encodePresenceFrame(entries: Entry[]): Uint8Array {
  const update = encoding.createEncoder();
  encoding.writeVarUint(update, entries.length);
  for (const { clientId, clock, state } of entries) {
    encoding.writeVarUint(update, clientId);
    encoding.writeVarUint(update, clock);
    encoding.writeVarString(update, JSON.stringify(state));
  }
  const frame = encoding.createEncoder();
  encoding.writeVarUint(frame, MESSAGE_AWARENESS);
  encoding.writeVarUint8Array(frame, encoding.toUint8Array(update));
  return encoding.toUint8Array(frame);
}

/**
 * The client ids an awareness update (as relayed between the room and its shards) speaks for, each with
 * whether it removes that client's presence; null for an update that does not decode.
 */
export function awarenessEntries(update: Uint8Array): { clientId: number; removed: boolean }[] | null {
  try {
    const decoder = decoding.createDecoder(update);
    const count = decoding.readVarUint(decoder);
    const entries: { clientId: number; removed: boolean }[] = [];
    for (let i = 0; i < count; i++) {
      const clientId = decoding.readVarUint(decoder);
      decoding.readVarUint(decoder); // clock
      entries.push({ clientId, removed: JSON.parse(decoding.readVarString(decoder)) === null });
    }
    return entries;
  } catch {
    return null;
  }
}
