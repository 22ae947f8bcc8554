/**
 * The workspace's live feed (GET /api/workspaces/:ws/feed, a WebSocket): what changes in the session
 * list, as it changes. Every frame is checked against the protocol's schema (one that fails it is
 * dropped). A socket that drops is opened again after a growing pause (the page loads the list again
 * then, since it may have missed changes); one closed because access ended is not. A ping every 25 s
 * notices a socket that died without a close.
 */
import { FeedEventSchema, type FeedEvent } from "@tandem/protocol/feed";

/** The close codes after which opening again would be refused too (worker/viewers/connections.ts). */
const FINAL_CLOSES = new Set([4401, 4403, 4404]);
const PING_MS = 25_000;
const RETRY_MS = [500, 1000, 2000, 5000, 10_000];

export interface FeedHandlers {
  event(event: FeedEvent): void;
  /** Open (again): changes may have been missed while it was not. */
  opened(): void;
  /** Access ended (removed, signed out): the list is no longer live. */
  ended(code: number): void;
}

export function feedURL(location: Pick<Location, "protocol" | "host">, workspaceId: string): string {
  const scheme = location.protocol === "https:" ? "wss:" : "ws:";
  return `${scheme}//${location.host}/api/workspaces/${encodeURIComponent(workspaceId)}/feed`;
}

/** Opens the feed; the returned function closes it for good. */
export function openFeed(
  workspaceId: string,
  handlers: FeedHandlers,
  socketOf: (url: string) => WebSocket = (url) => new WebSocket(url),
): () => void {
  let socket: WebSocket | null = null;
  let attempts = 0;
  let closed = false;
  let retry: ReturnType<typeof setTimeout> | undefined;
  let ping: ReturnType<typeof setInterval> | undefined;

  const connect = () => {
    if (closed) return;
    const current = socketOf(feedURL(window.location, workspaceId));
    socket = current;
    current.addEventListener("open", () => {
      attempts = 0;
      handlers.opened();
      ping = setInterval(() => current.send(JSON.stringify({ type: "ping" })), PING_MS);
    });
    current.addEventListener("message", (message) => {
      let data: unknown;
      try {
        data = JSON.parse(String(message.data));
      } catch {
        return;
      }
      const parsed = FeedEventSchema.safeParse(data);
      if (parsed.success) handlers.event(parsed.data);
    });
    current.addEventListener("close", (event) => {
      clearInterval(ping);
      if (closed || socket !== current) return;
      if (FINAL_CLOSES.has(event.code)) return handlers.ended(event.code);
      retry = setTimeout(connect, RETRY_MS[Math.min(attempts++, RETRY_MS.length - 1)]);
    });
  };
  connect();
  return () => {
    closed = true;
    clearTimeout(retry);
    clearInterval(ping);
    socket?.close(1000, "list closed");
  };
}
