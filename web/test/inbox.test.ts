import { describe, expect, it } from "vitest";
import { applyFeedEvent, countChange, inboxTitle, isUnread, noticeFor, sortInbox } from "#lib/inbox.ts";
import type { SessionListItem, SessionSummary } from "#lib/api.ts";

const row = (id: string, fields: Partial<SessionListItem> = {}): SessionListItem => ({
  id,
  workspaceId: "ws",
  displayName: `session ${id}`,
  phase: "Running",
  agentStatus: "idle",
  model: "claude-sonnet-4-6" as SessionSummary["model"],
  origin: { kind: "person" },
  createdBy: { id: "u1", name: "Ada" },
  createdAt: 1,
  updatedAt: 1,
  awaitingApproval: false,
  pullRequestUrl: null,
  status: "idle",
  awaitingDecision: false,
  lastActivityAt: 10,
  seenAt: null,
  ...fields,
});
const summary = ({ seenAt: _, ...rest }: SessionListItem): SessionSummary => rest;

describe("the inbox", () => {
  it("puts waiting sessions first, then the latest activity", () => {
    const rows = [
      row("a", { lastActivityAt: 30 }),
      row("b", { status: "waiting", lastActivityAt: 5 }),
      row("c", { lastActivityAt: 40 }),
      row("d", { status: "waiting", lastActivityAt: 20 }),
    ];
    expect(sortInbox(rows).map((r) => r.id)).toEqual(["d", "b", "c", "a"]);
    // Equal activity: the later id first, as the API's order=attention breaks the tie.
    const tied = [row("m", { lastActivityAt: 9 }), row("z", { lastActivityAt: 9 }), row("k")];
    expect(sortInbox(tied).map((r) => r.id)).toEqual(["k", "z", "m"]);
  });

  it("marks unread what happened since the person last looked", () => {
    expect(isUnread(row("a", { lastActivityAt: 10, seenAt: null }))).toBe(true);
    expect(isUnread(row("a", { lastActivityAt: 10, seenAt: 10 }))).toBe(false);
    expect(isUnread(row("a", { lastActivityAt: 11, seenAt: 10 }))).toBe(true);
    expect(inboxTitle("Team", 3)).toBe("(3) Team · Tandem");
    expect(inboxTitle("Team", 0)).toBe("Team · Tandem");
  });

  it("applies feed events: a change in place keeps seenAt, a new session joins when it fits, a deletion leaves", () => {
    const rows = [row("a", { seenAt: 7 }), row("b")];
    const all = { status: "" as const, search: "" };
    const changed = applyFeedEvent(
      rows,
      { type: "session", session: summary(row("a", { status: "waiting", lastActivityAt: 50 })) },
      all,
    );
    expect(changed[0]).toMatchObject({ id: "a", status: "waiting", seenAt: 7 });
    const added = applyFeedEvent(rows, { type: "session", session: summary(row("new")) }, all);
    expect(added.map((r) => r.id)).toEqual(["new", "a", "b"]);
    expect(added[0].seenAt).toBeNull();
    // Filtered to Waiting: an idle newcomer stays out, a row that stops waiting leaves.
    const waiting = { status: "waiting" as const, search: "" };
    expect(applyFeedEvent(rows, { type: "session", session: summary(row("new")) }, waiting)).toHaveLength(2);
    expect(
      applyFeedEvent(
        [row("a", { status: "waiting" })],
        { type: "session", session: summary(row("a")) },
        waiting,
      ),
    ).toEqual([]);
    // A search: a newcomer whose name does not match waits for the API (it may match by its prompt).
    const search = { status: "" as const, search: "login" };
    expect(applyFeedEvent(rows, { type: "session", session: summary(row("x")) }, search)).toHaveLength(2);
    expect(
      applyFeedEvent(
        rows,
        { type: "session", session: summary(row("y", { displayName: "Fix login" })) },
        search,
      ),
    ).toHaveLength(3);
    expect(applyFeedEvent(rows, { type: "removed", sessionId: "a" }, all).map((r) => r.id)).toEqual(["b"]);
  });

  it("notifies a person of their own session waiting for them, finishing or failing, and of nothing else", () => {
    const mine = summary(row("a"));
    expect(noticeFor(mine, { ...mine, status: "waiting", agentStatus: "waiting_input" }, "u1")?.title).toBe(
      "session a waits for your answer",
    );
    expect(
      noticeFor(
        mine,
        { ...mine, status: "waiting", agentStatus: "waiting_input", awaitingDecision: true },
        "u1",
      )?.title,
    ).toBe("session a needs your approval");
    expect(noticeFor(mine, { ...mine, phase: "Completed", status: "ended" }, "u1")?.title).toBe(
      "session a finished",
    );
    expect(noticeFor(mine, { ...mine, phase: "Failed", status: "ended" }, "u1")?.title).toBe(
      "session a failed",
    );
    // Someone else's session, a change that needs nobody, or a wait already known: nothing.
    expect(noticeFor(mine, { ...mine, status: "waiting" }, "u2")).toBeNull();
    expect(noticeFor(mine, { ...mine, status: "working", agentStatus: "working" }, "u1")).toBeNull();
    const waiting = { ...mine, status: "waiting" as const };
    expect(noticeFor(waiting, { ...waiting, lastActivityAt: 99 }, "u1")).toBeNull();
    expect(noticeFor(mine, { ...mine, phase: "Stopped", status: "ended" }, "u1")).toBeNull();
  });

  it("moves the chips' counts by a change at once", () => {
    const counts = { all: 2, waiting: 0, working: 1, idle: 1, ended: 0, unread: 1 };
    const idle = summary(row("a"));
    const waiting = { ...idle, status: "waiting" as const };
    expect(countChange(counts, idle, waiting, false)).toMatchObject({ all: 2, waiting: 1, idle: 0 });
    expect(countChange(counts, undefined, idle, false)).toMatchObject({ all: 3, idle: 2 });
    expect(countChange(counts, idle, null, false)).toMatchObject({ all: 1, idle: 0 });
    // Searching: a newcomer may match by its prompt; the API says.
    expect(countChange(counts, undefined, idle, true)).toEqual(counts);
  });
});
