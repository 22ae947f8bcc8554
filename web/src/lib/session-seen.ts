/**
 * Marks a session seen by this person while its page is open: when it opens, when the tab is hidden or
 * left, and when it closes, so what happened while they watched is not unread in their list afterwards.
 */
import { api } from "./api";

/** Starts marking; the returned function stops (and marks once more, as the person leaves). */
export function markSeenWhileOpen(workspaceId: string, sessionId: string): () => void {
  const mark = () => void api.markSeen(workspaceId, sessionId).catch(() => {});
  const onHidden = () => {
    if (document.visibilityState === "hidden") mark();
  };
  mark();
  document.addEventListener("visibilitychange", onHidden);
  window.addEventListener("pagehide", mark);
  return () => {
    document.removeEventListener("visibilitychange", onHidden);
    window.removeEventListener("pagehide", mark);
    mark();
  };
}
