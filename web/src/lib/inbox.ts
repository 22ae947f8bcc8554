/**
 * The session list as an inbox, as pure functions the page and its tests share: the order ("Waiting for
 * you" first, then the latest activity, as the API sends the pages), what is unread for this person, a feed event applied to the rows
 * the page holds, the tab's title, and what a desktop notification says when a person's own session
 * needs them or ends.
 */
import type { FeedEvent, InboxCounts, InboxStatus, SessionListItem, SessionSummary } from "./api";

/** The chip's words are the session page's (one status, one label everywhere). */
export { STATUS_LABEL } from "./phases";

/** The chips, in the order they show: everything, then where each session stands. */
export const CHIPS: readonly ("all" | InboxStatus)[] = ["all", "waiting", "working", "idle", "ended"];

/**
 * Waiting for you first; within each part the latest activity first, then the id: the API's
 * `order=attention` (worker/db/session-list.ts), by which the page puts a live change in its place.
 */
export function sortInbox<T extends SessionSummary>(rows: readonly T[]): T[] {
  return [...rows].sort(
    (a, b) =>
      Number(b.status === "waiting") - Number(a.status === "waiting") ||
      b.lastActivityAt - a.lastActivityAt ||
      (a.id < b.id ? 1 : a.id > b.id ? -1 : 0),
  );
}

/** Something happened to it since this person last looked (never looked: everything is new). */
export function isUnread(row: Pick<SessionListItem, "lastActivityAt" | "seenAt">): boolean {
  return row.lastActivityAt > (row.seenAt ?? 0);
}

/** What the list shows: the chip chosen (all, or one status) and the search typed. */
export interface ListView {
  status: InboxStatus | "";
  search: string;
}

/** Whether a session belongs in the list as the person filters it (the search as the API matches a name). */
export function fitsView(session: SessionSummary, view: ListView): boolean {
  if (view.status && session.status !== view.status) return false;
  const search = view.search.trim().toLowerCase();
  return !search || session.displayName.toLowerCase().includes(search);
}

/**
 * The rows after a feed event: a session changed in place (keeping when this person last looked), one
 * new to the list added if it fits the view, one that no longer fits or was deleted taken out. A search
 * also matches first prompts, which the feed does not carry: a new session is shown only when its name
 * matches, and the page asks the API again for the rest.
 */
export function applyFeedEvent(
  rows: readonly SessionListItem[],
  event: FeedEvent,
  view: ListView,
): SessionListItem[] {
  if (event.type === "removed") return rows.filter((row) => row.id !== event.sessionId);
  if (event.type !== "session") return [...rows];
  const { session } = event;
  if (view.status && session.status !== view.status) return rows.filter((row) => row.id !== session.id);
  const known = rows.find((row) => row.id === session.id);
  // Listed already: it matched the search (by its prompt, perhaps), and still does.
  if (known) return rows.map((row) => (row.id === session.id ? { ...session, seenAt: row.seenAt } : row));
  if (!fitsView(session, view)) return [...rows];
  return [{ ...session, seenAt: null }, ...rows];
}

/** The tab's title: how many sessions are unread first, as mail and chat apps do. */
export function inboxTitle(workspaceName: string, unread: number): string {
  return `${unread > 0 ? `(${unread}) ` : ""}${workspaceName} · Tandem`;
}

/** What a desktop notification says, when a person's own session starts waiting for them or ends. */
export interface Notice {
  title: string;
  body: string;
  /** One notification per session and moment: a second one for the same replaces the first. */
  tag: string;
}

/**
 * A notice when a session this person created changes into needing them (a question, an approval) or
 * ends on its own (Completed, Failed); nothing for a change they would not act on or already saw.
 */
export function noticeFor(
  before: SessionSummary | undefined,
  after: SessionSummary,
  userId: string,
): Notice | null {
  if (after.createdBy.id !== userId) return null;
  const name = after.displayName;
  if (after.status === "waiting" && before?.status !== "waiting")
    return {
      title: after.awaitingDecision ? `${name} needs your approval` : `${name} waits for your answer`,
      body: after.awaitingDecision
        ? "The agent asks to go ahead with a step."
        : after.awaitingApproval
          ? "A trigger's session waits for approval to start."
          : "The agent asked a question.",
      tag: `${after.id}:waiting:${after.lastActivityAt}`,
    };
  if (before && before.phase !== after.phase && (after.phase === "Completed" || after.phase === "Failed"))
    return {
      title: `${name} ${after.phase === "Completed" ? "finished" : "failed"}`,
      body:
        after.phase === "Completed" ? "The agent finished its work." : "The session failed: see its events.",
      tag: `${after.id}:${after.phase}`,
    };
  return null;
}

/**
 * The chips' counts moved by one change at once (the page asks the API again a moment later, which has
 * the last word): a session that changed status leaves one chip for another, a new one adds to All, a
 * deleted one leaves. Under a search the counts wait for the API (a newcomer may match by its prompt).
 */
export function countChange(
  counts: InboxCounts,
  before: SessionSummary | undefined,
  after: SessionSummary | null,
  searching: boolean,
): InboxCounts {
  if (searching && !before) return counts;
  const next = { ...counts };
  if (before) next[before.status] = Math.max(0, next[before.status] - 1);
  if (after) next[after.status] += 1;
  if (!before && after) next.all += 1;
  if (before && !after) next.all = Math.max(0, next.all - 1);
  return next;
}
