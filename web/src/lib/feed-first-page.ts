/**
 * The workspace's first page of sessions, as the list shows it ("Waiting for you" first), asked once for
 * everyone who wants it at the same moment. On the list page the shell's notifier (feed-notices `seed`)
 * and the list both want it as the page opens: they share one request, whichever asks first. An answered
 * request is not handed out again: a list opened later asks afresh (it shows what is current), while the
 * notifier, seeded once, keeps itself current from the feed. On every other page the notifier asks alone.
 */
import { api, type SessionPage } from "./api";

/** What the list's first page is: the whole workspace, unfiltered, in attention order. */
export const FIRST_PAGE = { order: "attention" } as const;

export type FirstPage = (workspaceId: string) => Promise<SessionPage>;

export function sharedFirstPage(
  load: FirstPage = (workspaceId) => api.sessions(workspaceId, FIRST_PAGE),
): FirstPage {
  const asking = new Map<string, Promise<SessionPage>>();
  return (workspaceId) => {
    const inFlight = asking.get(workspaceId);
    if (inFlight) return inFlight;
    const request = load(workspaceId).finally(() => asking.delete(workspaceId));
    asking.set(workspaceId, request);
    return request;
  };
}
