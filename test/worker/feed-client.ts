/** The workspace feed as a page opens it (GET /api/workspaces/:ws/feed): a WebSocket, its frames parsed. */
import { SELF } from "cloudflare:test";
import { FeedEventSchema, type FeedEvent } from "../../worker/protocol/feed";

export interface FeedClient {
  socket: WebSocket;
  /** Every frame received, checked against the protocol's schema (one that fails it fails the test). */
  events: FeedEvent[];
  closed: Promise<{ code: number; reason: string }>;
  /** Resolves with the first event (from now or already received) that `match` accepts. */
  next(match: (event: FeedEvent) => boolean, timeoutMs?: number): Promise<FeedEvent>;
}

export async function connectFeed(
  ws: string,
  headers: Record<string, string>,
  query = "",
): Promise<Response | FeedClient> {
  const res = await SELF.fetch(`http://localhost:8787/api/workspaces/${ws}/feed${query}`, {
    headers: { upgrade: "websocket", ...headers },
  });
  if (!res.webSocket) return res;
  const socket = res.webSocket;
  socket.accept();
  const events: FeedEvent[] = [];
  const waiting = new Set<() => void>();
  socket.addEventListener("message", (event) => {
    events.push(FeedEventSchema.parse(JSON.parse(String(event.data))));
    for (const wake of waiting) wake();
  });
  const closed = new Promise<{ code: number; reason: string }>((resolve) =>
    socket.addEventListener("close", (event) => resolve({ code: event.code, reason: event.reason })),
  );
  return {
    socket,
    events,
    closed,
    next(match, timeoutMs = 5000) {
      return new Promise((resolve, reject) => {
        const check = () => {
          const found = events.find(match);
          if (!found) return;
          waiting.delete(check);
          clearTimeout(timer);
          resolve(found);
        };
        const timer = setTimeout(() => {
          waiting.delete(check);
          reject(new Error(`no matching feed event within ${timeoutMs} ms; got ${JSON.stringify(events)}`));
        }, timeoutMs);
        waiting.add(check);
        check();
      });
    },
  };
}
