/**
 * What a browser may send on the session socket: Yjs sync messages (the room is read-only, so only
 * their reading half has any effect) and presence for its own user. A presence state claiming another
 * user, or not of the DESIGN.md shape, drops the whole frame.
 */
import * as decoding from "lib0/decoding";
import { z } from "zod";

const MESSAGE_SYNC = 0;
const MESSAGE_AWARENESS = 1;
/** No legitimate client frame comes near this; a larger one is dropped unread. */
export const MAX_CLIENT_FRAME_BYTES = 64 * 1024;

export const PresenceSchema = z.strictObject({
  user: z.strictObject({
    id: z.string().max(100),
    name: z.string().max(100),
    color: z.string().regex(/^#[0-9a-fA-F]{3,8}$/),
  }),
  typing: z.boolean(),
});
export type Presence = z.infer<typeof PresenceSchema>;

/** `userId` is asked for only when the frame is presence: sync frames, nearly all of them, never pay for it. */
export function acceptsClientFrame(message: ArrayBuffer | ArrayBufferView | string, userId: () => string | null): boolean {
  if (typeof message === "string") return false;
  const bytes = message instanceof ArrayBuffer ? new Uint8Array(message) : new Uint8Array(message.buffer, message.byteOffset, message.byteLength);
  if (bytes.byteLength === 0 || bytes.byteLength > MAX_CLIENT_FRAME_BYTES) return false;
  try {
    const decoder = decoding.createDecoder(bytes);
    const kind = decoding.readVarUint(decoder);
    if (kind === MESSAGE_SYNC) return true;
    if (kind !== MESSAGE_AWARENESS) return false;
    const user = userId();
    return user !== null && presenceUpdateIsOwn(decoding.readVarUint8Array(decoder), user);
  } catch {
    return false;
  }
}

/** Every state in an awareness update is null (leaving) or this user's own presence. */
function presenceUpdateIsOwn(update: Uint8Array, userId: string): boolean {
  const decoder = decoding.createDecoder(update);
  const count = decoding.readVarUint(decoder);
  for (let i = 0; i < count; i++) {
    decoding.readVarUint(decoder); // client id
    decoding.readVarUint(decoder); // clock
    const state: unknown = JSON.parse(decoding.readVarString(decoder));
    if (state === null) continue;
    const presence = PresenceSchema.safeParse(state);
    if (!presence.success || presence.data.user.id !== userId) return false;
  }
  return decoding.hasContent(decoder) === false;
}
