import { afterEach, describe, expect, it, vi } from "vitest";
import { feedURL, openFeed } from "#lib/workspace-feed.ts";
import type { FeedEvent } from "#lib/api.ts";
import { FakeSocket } from "../../fixtures/fake-socket";
import { sessionSummary } from "../../fixtures/session-summary";

const summary = sessionSummary({ agentStatus: "waiting_input", status: "waiting" });

afterEach(() => vi.useRealTimers());

describe("the workspace feed's client", () => {
  it("opens the workspace's feed URL, passes frames the protocol knows and drops the rest", () => {
    expect(feedURL({ protocol: "https:", host: "tandem.example" }, "w s")).toBe(
      "wss://tandem.example/api/workspaces/w%20s/feed",
    );
    const sockets: FakeSocket[] = [];
    const events: FeedEvent[] = [];
    const close = openFeed(
      "ws1",
      { event: (e) => events.push(e), opened: () => {}, ended: () => {} },
      (url) => {
        const socket = new FakeSocket(url);
        sockets.push(socket);
        return socket as unknown as WebSocket;
      },
    );
    expect(sockets[0].url).toMatch(/^ws:\/\/.+\/api\/workspaces\/ws1\/feed$/);
    sockets[0].open();
    sockets[0].frame({ type: "session", session: summary });
    sockets[0].frame({ type: "session", session: { ...summary, status: "asleep" } });
    sockets[0].frame({ type: "removed" });
    sockets[0].frame("not json");
    sockets[0].frame({ type: "removed", sessionId: "s1" });
    expect(events.map((e) => e.type)).toEqual(["session", "removed"]);
    close();
    expect(sockets[0].closedWith).toBe(1000);
  });

  it("opens again after a drop (the page loads the list again), and not after access ended", () => {
    vi.useFakeTimers();
    const sockets: FakeSocket[] = [];
    let opened = 0;
    const ended: number[] = [];
    const close = openFeed(
      "ws1",
      { event: () => {}, opened: () => opened++, ended: (code) => ended.push(code) },
      (url) => {
        const socket = new FakeSocket(url);
        sockets.push(socket);
        return socket as unknown as WebSocket;
      },
    );
    sockets[0].open();
    sockets[0].drop(1006);
    vi.advanceTimersByTime(600);
    expect(sockets).toHaveLength(2);
    sockets[1].open();
    expect(opened).toBe(2);
    // The lease ran out: a fresh socket, access checked again.
    sockets[1].drop(4408);
    vi.advanceTimersByTime(600);
    expect(sockets).toHaveLength(3);
    // Removed from the workspace: the list says so and stops trying.
    sockets[2].drop(4403);
    vi.advanceTimersByTime(60_000);
    expect(sockets).toHaveLength(3);
    expect(ended).toEqual([4403]);
    close();
  });
});
