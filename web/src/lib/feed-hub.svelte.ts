/**
 * One feed socket for every page of a workspace, shared by whoever listens: the shell, which notifies a
 * person on any page of the workspace (a session page included), and the session list, which keeps its
 * rows live. Before, only the list held the feed, so notifications stopped when the person opened a
 * session. The shell opens the hub and puts it in a context; a listener that comes late is told at once
 * whether the feed is open or has ended. The same context carries the first page of sessions, so the list
 * and the shell's notifier ask for it once between them.
 */
import { getContext, setContext } from "svelte";
import { sharedFirstPage, type FirstPage } from "./feed-first-page";
import { openFeed, type FeedHandlers } from "./workspace-feed";

export interface FeedHub {
  /** Adds a listener; the returned function removes it. */
  listen(handlers: FeedHandlers): () => void;
  /** Closes the socket for good. */
  close(): void;
}

export function feedHub(workspaceId: string, open: typeof openFeed = openFeed): FeedHub {
  const listeners = new Set<FeedHandlers>();
  let isOpen = false;
  let endedWith: number | null = null;
  const close = open(workspaceId, {
    event: (event) => listeners.forEach((l) => l.event(event)),
    opened: () => {
      isOpen = true;
      listeners.forEach((l) => l.opened());
    },
    ended: (code) => {
      isOpen = false;
      endedWith = code;
      listeners.forEach((l) => l.ended(code));
    },
  });
  return {
    listen(handlers) {
      listeners.add(handlers);
      if (endedWith !== null) handlers.ended(endedWith);
      else if (isOpen) handlers.opened();
      return () => void listeners.delete(handlers);
    },
    close,
  };
}

const KEY = Symbol("workspace feed");

/** What the shell shares with its pages: the feed, and the first page of sessions its notifier also asks for. */
export interface WorkspaceFeed {
  hub: FeedHub | null;
  /** The list's first page, one request for whoever asks at once (feed-first-page.ts). */
  readonly firstPage: FirstPage;
}

/**
 * The shell's holder of its workspace's hub (null until it opens one): reactive, so a page's effect follows
 * it. The first page is shared from the start: a page's effects run before the shell's.
 */
export function provideFeedHub(): WorkspaceFeed {
  const holder = $state<WorkspaceFeed>({ hub: null, firstPage: sharedFirstPage() });
  setContext(KEY, holder);
  return holder;
}

/** What the workspace shell opened (no hub outside a workspace, or before it opened one). */
export function workspaceFeedHub(): WorkspaceFeed {
  return getContext<WorkspaceFeed | undefined>(KEY) ?? { hub: null, firstPage: sharedFirstPage() };
}
