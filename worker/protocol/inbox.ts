/**
 * The session list as an inbox: where each session stands for the people of its workspace (waiting for
 * them, working, idle, ended), the counts of the list's filter chips and its search. The live feed's
 * frames are `./feed.ts`. No Worker-runtime imports: web/ imports this file.
 */
import { z } from "zod";
import type { AgentStatus } from "./agent";
import type { Phase } from "./lifecycle";

/** Where a session stands for the people of its workspace: one chip each in the list. */
export const INBOX_STATUSES = ["waiting", "working", "idle", "ended"] as const;
export const InboxStatusSchema = z.enum(INBOX_STATUSES);
export type InboxStatus = z.infer<typeof InboxStatusSchema>;

const ENDED: ReadonlySet<Phase> = new Set(["Stopped", "Completed", "Failed"]);

/**
 * A session's inbox status: waiting for a person (a question, an approval, or a trigger's session not yet
 * approved to start), ended, idle (running, the agent waiting for the next message) or working (starting,
 * stopping, or a turn under way). The list's SQL says the same in `worker/db/session-list.ts`.
 */
export function inboxStatusOf(session: {
  phase: Phase;
  agentStatus: AgentStatus;
  awaitingApproval: boolean;
}): InboxStatus {
  if (session.phase === "Running" && session.agentStatus === "waiting_input") return "waiting";
  if (session.phase === "Pending" && session.awaitingApproval) return "waiting";
  if (ENDED.has(session.phase)) return "ended";
  if (session.phase === "Running" && session.agentStatus === "idle") return "idle";
  return "working";
}

/**
 * The list's order: `newest` (created last first, the API's default) or `attention` ("Waiting for you"
 * first: a question, an approval or a start to approve, then the latest activity first, as the list page
 * shows it).
 */
export const SESSION_ORDERS = ["newest", "attention"] as const;
export const SessionOrderSchema = z.enum(SESSION_ORDERS);
export type SessionOrder = z.infer<typeof SessionOrderSchema>;

/** How many sessions of the workspace (matching the search, if any) each chip holds; `unread` is the caller's. */
export const InboxCountsSchema = z.object({
  all: z.int(),
  waiting: z.int(),
  working: z.int(),
  idle: z.int(),
  ended: z.int(),
  unread: z.int(),
});
export type InboxCounts = z.infer<typeof InboxCountsSchema>;

/** A search of the list: by name or first prompt, at most 100 characters, no control characters. */
export const SessionSearchSchema = z
  .string()
  .trim()
  .min(1)
  .max(100)
  .refine((text) => !/\p{Cc}/u.test(text), "no control characters");
