/**
 * Desktop notifications from the workspace's feed, on whatever page of the workspace the person is: a
 * session of theirs that starts waiting for them, completes or fails (`noticeFor`). What a session was
 * before a change comes from the list's first page (`seed`) and from every change since; a session first
 * seen in a change can still say it waits, never that it finished.
 */
import type { SessionSummary } from "./api";
import type { FeedHub } from "./feed-hub.svelte";
import { noticeFor } from "./inbox";
import { notify } from "./notifications";

export interface FeedNotices {
  /** The sessions as the list's first page had them; what a change told since wins. */
  seed(sessions: readonly SessionSummary[]): void;
  stop(): void;
}

export function notifyFromFeed(
  hub: FeedHub,
  userId: () => string,
  open: (sessionId: string) => void,
): FeedNotices {
  const lastKnown = new Map<string, SessionSummary>();
  const stop = hub.listen({
    event(event) {
      if (event.type === "removed") return void lastKnown.delete(event.sessionId);
      if (event.type !== "session") return;
      const notice = noticeFor(lastKnown.get(event.session.id), event.session, userId());
      lastKnown.set(event.session.id, event.session);
      if (notice) notify(notice, () => open(event.session.id));
    },
    opened() {},
    ended() {},
  });
  return {
    seed(sessions) {
      for (const s of sessions) if (!lastKnown.has(s.id)) lastKnown.set(s.id, s);
    },
    stop,
  };
}
