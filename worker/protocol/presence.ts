/**
 * Presence (docs/architecture.md, "Who is on a socket"): the Yjs awareness state each viewer publishes on the session socket.
 * The browser sets it (web/src/lib/room.svelte.ts); the room admits it (worker/viewers/presence.ts), with
 * `user.id` and `user.name` rewritten to the authenticated person's. web/ imports this file.
 */
import { z } from "zod";

export const PresenceSchema = z.strictObject({
  user: z.strictObject({
    id: z.string().max(100),
    name: z.string().max(100),
    color: z.string().regex(/^#[0-9a-fA-F]{3,8}$/),
  }),
  typing: z.boolean(),
});
export type Presence = z.infer<typeof PresenceSchema>;

/** What a client may claim: its colour and whether it types. Who it is comes from its socket. */
export const ClaimedPresenceSchema = z.strictObject({
  user: z.strictObject({
    id: z.string().max(100).optional(),
    name: z.string().max(100).optional(),
    color: PresenceSchema.shape.user.shape.color,
  }),
  typing: z.boolean(),
});
