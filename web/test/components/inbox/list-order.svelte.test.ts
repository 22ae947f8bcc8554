/**
 * The session list in the API's order ("Waiting for you" first over the whole workspace, not only the rows
 * loaded): the next page is asked for in that order with the cursor, a session that moved between pages
 * is shown once, and a session that starts waiting moves to the top as the feed tells it.
 */
import { afterEach, describe, expect, it } from "vitest";
import type { SessionPage } from "#lib/api.ts";
import { renderWorkspace, settle, unmountWorkspace } from "../../fixtures/render-workspace";
import { listItem, sessionSummary } from "../../fixtures/session-summary";

const counts = { all: 4, waiting: 1, working: 3, idle: 0, ended: 0, unread: 4 };
const first: SessionPage = {
  sessions: [
    listItem({ id: "a", displayName: "Asks a question", status: "waiting", lastActivityAt: 5 }),
    listItem({ id: "b", displayName: "Busy one", lastActivityAt: 40 }),
  ],
  nextCursor: "next-page",
  counts,
};
const second: SessionPage = {
  sessions: [
    // b's place moved while the person read the first page: it comes again.
    listItem({ id: "b", displayName: "Busy one", lastActivityAt: 40 }),
    listItem({ id: "c", displayName: "Calm one", lastActivityAt: 30 }),
    listItem({ id: "d", displayName: "Dormant one", lastActivityAt: 20 }),
  ],
  nextCursor: null,
  counts,
};

afterEach(unmountWorkspace);

describe("the list's order", () => {
  it("shows the API's order, asks for the next page in it, shows a row once, and moves a waiting one up", async () => {
    const shell = renderWorkspace("/w/ws1", { list: true, pages: [first, second] });
    const named = () =>
      shell.rows().map((text) => ["Asks", "Busy", "Calm", "Dormant"].find((n) => text.includes(n)));
    await settle();
    expect(named()).toEqual(["Asks", "Busy"]);

    shell.target.querySelector<HTMLButtonElement>("button.more")!.click();
    await settle();
    expect(shell.asked).toEqual(["?order=attention", "?order=attention&cursor=next-page"]);
    expect(named()).toEqual(["Asks", "Busy", "Calm", "Dormant"]);

    // The feed: Dormant one asks a question now; it goes to the top, before the older wait.
    shell.sockets[0].open();
    shell.sockets[0].frame({
      type: "session",
      session: sessionSummary({
        id: "d",
        displayName: "Dormant one",
        status: "waiting",
        agentStatus: "waiting_input",
        lastActivityAt: 50,
      }),
    });
    await settle();
    expect(named()).toEqual(["Dormant", "Asks", "Busy", "Calm"]);
  });
});
