/**
 * The session list page asks for its first page of sessions once: the shell's notifier (which needs what
 * each session was before a change) takes the same answer. On any other page of the workspace the notifier
 * asks alone. Either way a session of the person's that finishes is a notification.
 */
import { afterEach, describe, expect, it } from "vitest";
import type { SessionPage } from "#lib/api.ts";
import { renderWorkspace, settle, unmountWorkspace } from "../../fixtures/render-workspace";
import { listItem, sessionSummary } from "../../fixtures/session-summary";

const page: SessionPage = {
  sessions: [
    listItem({ id: "s2", displayName: "Ship it", status: "waiting", agentStatus: "waiting_input" }),
    listItem({ id: "s1", displayName: "Fix the login test" }),
  ],
  nextCursor: null,
  counts: { all: 2, waiting: 1, working: 1, idle: 0, ended: 0, unread: 2 },
};
const finished = sessionSummary({ id: "s1", phase: "Completed", status: "ended", lastActivityAt: 9 });

afterEach(unmountWorkspace);

describe("the first page of sessions, asked once", () => {
  it("on the list page: one request, in attention order; the list shows it and the notifier knows it", async () => {
    const shell = renderWorkspace("/w/ws1", { list: true, pages: [page] });
    await settle();
    expect(shell.asked).toEqual(["?order=attention"]);
    expect(shell.rows()).toHaveLength(2);
    expect(shell.rows()[0]).toContain("Ship it");

    // The notifier was seeded from the same answer: it knows s1 was running, so its completion is news.
    expect(shell.sockets).toHaveLength(1);
    shell.sockets[0].open();
    shell.sockets[0].frame({ type: "session", session: finished });
    await settle();
    expect(shell.shown).toEqual(["Fix the login test finished"]);
    // (The chips' counts are asked for again after a change: limit=1, not a page.)
    expect(shell.asked.filter((search) => !search.includes("limit=1"))).toEqual(["?order=attention"]);
  });

  it("on another page of the workspace: the notifier asks for itself, and still notifies", async () => {
    const shell = renderWorkspace("/w/ws1/members", { list: false, pages: [page] });
    await settle();
    expect(shell.asked).toEqual(["?order=attention"]);
    shell.sockets[0].open();
    shell.sockets[0].frame({ type: "session", session: finished });
    expect(shell.shown).toEqual(["Fix the login test finished"]);
  });
});
