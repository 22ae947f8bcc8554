import { afterEach, describe, expect, it, vi } from "vitest";
import { feedHub } from "#lib/feed-hub.svelte.ts";
import { notifyFromFeed } from "#lib/feed-notices.ts";
import type { FeedEvent } from "#lib/api.ts";
import type { FeedHandlers } from "#lib/workspace-feed.ts";
import { sessionSummary } from "../../fixtures/session-summary";

const session = sessionSummary();

/** A feed opened by the test instead of a socket: it says open, sends events, ends. */
function fakeFeed() {
  let handlers: FeedHandlers | null = null;
  let closed = false;
  const open = (_ws: string, h: FeedHandlers) => {
    handlers = h;
    return () => void (closed = true);
  };
  return {
    open,
    opened: () => handlers!.opened(),
    send: (event: FeedEvent) => handlers!.event(event),
    end: (code: number) => handlers!.ended(code),
    closed: () => closed,
  };
}

/** Desktop notifications, switched on and recorded. */
function recordNotifications() {
  const shown: string[] = [];
  class Recorded {
    static permission = "granted";
    onclick: (() => void) | null = null;
    constructor(title: string) {
      shown.push(title);
    }
    close() {}
  }
  vi.stubGlobal("Notification", Recorded);
  localStorage.setItem("tandem.notifications", "on");
  return shown;
}

afterEach(() => {
  vi.unstubAllGlobals();
  localStorage.clear();
});

describe("the workspace's one feed, shared", () => {
  it("gives every listener each event, tells a late one it is open, and stops one that leaves", () => {
    const feed = fakeFeed();
    const hub = feedHub("ws1", feed.open);
    const first: string[] = [];
    const stopFirst = hub.listen({
      event: (e) => first.push(e.type),
      opened: () => first.push("open"),
      ended: () => {},
    });
    feed.opened();
    const late: string[] = [];
    hub.listen({
      event: (e) => late.push(e.type),
      opened: () => late.push("open"),
      ended: (c) => late.push(`ended ${c}`),
    });
    feed.send({ type: "removed", sessionId: "s1" });
    stopFirst();
    feed.send({ type: "pong" });
    feed.end(4403);
    expect(first).toEqual(["open", "removed"]);
    expect(late).toEqual(["open", "removed", "pong", "ended 4403"]);
    const afterEnd: string[] = [];
    hub.listen({
      event: () => {},
      opened: () => afterEnd.push("open"),
      ended: (c) => afterEnd.push(`ended ${c}`),
    });
    expect(afterEnd).toEqual(["ended 4403"]);
    hub.close();
    expect(feed.closed()).toBe(true);
  });

  it("notifies a person of their own session waiting or finishing, on any page the shell holds", () => {
    const shown = recordNotifications();
    const feed = fakeFeed();
    const opened: string[] = [];
    const notices = notifyFromFeed(
      feedHub("ws1", feed.open),
      () => "u1",
      (id) => opened.push(id),
    );
    notices.seed([session]);
    feed.send({ type: "session", session: { ...session, agentStatus: "waiting_input", status: "waiting" } });
    feed.send({ type: "session", session: { ...session, phase: "Completed", status: "ended" } });
    // Someone else's session says nothing; one first seen as completed cannot say it just finished.
    feed.send({
      type: "session",
      session: { ...session, id: "s2", createdBy: { id: "u2", name: "Bo" }, status: "waiting" },
    });
    feed.send({ type: "session", session: { ...session, id: "s3", phase: "Completed", status: "ended" } });
    expect(shown).toEqual(["Fix the login test waits for your answer", "Fix the login test finished"]);
    notices.stop();
    feed.send({ type: "session", session: { ...session, phase: "Failed", status: "ended" } });
    expect(shown).toHaveLength(2);
  });
});
