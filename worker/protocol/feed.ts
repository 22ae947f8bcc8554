/**
 * The workspace feed: one WebSocket per open session list (GET /api/workspaces/:ws/feed), on which the
 * Worker says what changed in the list as it changes, instead of the page asking every few seconds. No
 * Worker-runtime imports: web/ imports this file.
 */
import { z } from "zod";
import { SessionSummarySchema } from "./session";

/**
 * What the feed sends: a session as the list shows it (created, or anything the list shows changed), a
 * session deleted, and the answer to a ping. The row carries no one's own fields (when they last looked):
 * those stay with the page, which knows whose it is.
 */
export const FeedEventSchema = z.discriminatedUnion("type", [
  z.object({ type: z.literal("session"), session: SessionSummarySchema }),
  z.object({ type: z.literal("removed"), sessionId: z.string().min(1).max(100) }),
  z.object({ type: z.literal("pong") }),
]);
export type FeedEvent = z.infer<typeof FeedEventSchema>;

/** What a client may send: a ping (the page's keep-alive, to notice a socket that died quietly). */
export const FeedClientFrameSchema = z.strictObject({ type: z.literal("ping") });

/** The feed closes a socket that sends anything else (a policy violation). */
export const FEED_CLOSE_BAD_FRAME = 1008;
