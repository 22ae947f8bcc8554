/**
 * The session list as an inbox, through HTTP and the feed's WebSocket: each row's inbox status, last
 * activity and the caller's seenAt; the chips' counts; search; "Waiting for you" first (order=attention),
 * paged by a cursor of that order; sessions named from their prompt; unread
 * state per person; and the workspace feed, which shows a new session, a question and a deletion to every
 * open list at once and closes a removed member's socket.
 */
import { env } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { STATUS_SQL } from "../../worker/db/session-list";
import { INBOX_STATUSES, inboxStatusOf } from "../../worker/protocol/inbox";
import { PHASES } from "../../worker/protocol/lifecycle";
import type { SessionPage } from "../../worker/protocol/session";
import { connectFeed, type FeedClient } from "./feed-client";
import { signIn, uniqueName, workspaceWith, type Client } from "./helpers";
import { createSession, eventually, waitForAgentStatus, waitForPhase } from "./session-helpers";

async function list(client: Client, ws: string, query = ""): Promise<SessionPage> {
  const res = await client.api(`/api/workspaces/${ws}/sessions${query}`);
  expect(res.status, await res.clone().text()).toBe(200);
  return (await res.json()) as SessionPage;
}

async function feed(ws: string, client: Client): Promise<FeedClient> {
  const opened = await connectFeed(ws, { cookie: client.cookie });
  if (opened instanceof Response) throw new Error(`feed refused: ${opened.status} ${await opened.text()}`);
  return opened;
}

describe("the list's rows and counts", () => {
  it("names a session from its prompt (numbered when taken), else a readable random name", async () => {
    const owner = await signIn(uniqueName("Ada"));
    const ws = await workspaceWith(owner);
    const prompt = "## Fix the `flaky` login test in CI\nIt fails one run in ten since Tuesday.";
    const first = await createSession(owner, ws, { prompt });
    const second = await createSession(owner, ws, { prompt });
    const unnamed = await createSession(owner, ws, {});
    const named = await createSession(owner, ws, { prompt, displayName: "Mine" });
    expect(first.displayName).toBe("Fix the flaky login test in CI");
    expect(second.displayName).toBe("Fix the flaky login test in CI (2)");
    expect(unnamed.displayName).toMatch(/^[a-z]+-[a-z]+-\d+$/);
    expect(named.displayName).toBe("Mine");
  });

  it("carries status, last activity and seenAt; counts the chips; searches name and prompt; refuses bad input", async () => {
    const owner = await signIn(uniqueName("Ada"));
    const ws = await workspaceWith(owner);
    const asking = await createSession(owner, ws, { prompt: "/ask Which branch 100%_sure?" });
    const other = await createSession(owner, ws, { displayName: "Quiet one", prompt: "refactor the parser" });
    await waitForAgentStatus(owner, ws, asking.id, "waiting_input");
    await waitForPhase(owner, ws, other.id, "Running");

    const page = await list(owner, ws);
    const row = page.sessions.find((s) => s.id === asking.id)!;
    expect(row).toMatchObject({ status: "waiting", agentStatus: "waiting_input", awaitingDecision: false });
    expect(row.lastActivityAt).toBeGreaterThanOrEqual(asking.createdAt as number);
    expect(row.seenAt).toBeNull();
    expect(page.counts.all).toBe(2);
    expect(page.counts.waiting).toBe(1);
    expect(page.counts.waiting + page.counts.working + page.counts.idle + page.counts.ended).toBe(2);

    // The search matches the first prompt (kept in the index) and the name; % and _ are themselves.
    expect((await list(owner, ws, "?q=parser")).sessions.map((s) => s.id)).toEqual([other.id]);
    expect((await list(owner, ws, "?q=quiet")).sessions.map((s) => s.id)).toEqual([other.id]);
    expect(
      (await list(owner, ws, `?q=${encodeURIComponent("100%_sure")}`)).sessions.map((s) => s.id),
    ).toEqual([asking.id]);
    expect((await list(owner, ws, `?q=${encodeURIComponent("0%")}`)).sessions).toHaveLength(1);
    expect((await list(owner, ws, "?q=nothing-like-it")).counts.all).toBe(0);
    expect((await list(owner, ws, "?status=waiting")).sessions.map((s) => s.id)).toEqual([asking.id]);

    for (const [query, field] of [
      [`?q=${"x".repeat(101)}`, "q"],
      ["?q=%20%20", "q"],
      ["?q=a%00b", "q"],
      ["?status=asleep", "status"],
    ]) {
      const res = await owner.api(`/api/workspaces/${ws}/sessions${query}`);
      expect(res.status, query).toBe(400);
      expect(((await res.json()) as { error: { code: string; field: string } }).error).toMatchObject({
        code: "invalid_input",
        field,
      });
    }
  });

  it("says the inbox status in SQL as the protocol's inboxStatusOf does, for every phase and agent status", async () => {
    const rows = PHASES.flatMap((phase) =>
      (["working", "idle", "waiting_input"] as const).flatMap((agentStatus) =>
        [false, true].map((awaitingApproval) => ({ phase, agentStatus, awaitingApproval })),
      ),
    );
    for (const row of rows) {
      const s = {
        phase: row.phase,
        agent_status: row.agentStatus,
        awaiting_approval: row.awaitingApproval ? 1 : 0,
      };
      const sql = await env.DB.prepare(
        `SELECT ${STATUS_SQL} AS status FROM (SELECT ? AS phase, ? AS agent_status, ? AS awaiting_approval) s`,
      )
        .bind(s.phase, s.agent_status, s.awaiting_approval)
        .first<{ status: string }>();
      expect(INBOX_STATUSES).toContain(sql?.status);
      expect(sql?.status, JSON.stringify(row)).toBe(inboxStatusOf(row));
    }
  });
});

describe("Waiting for you first (order=attention)", () => {
  it("orders the whole list in the API, pages through it with a cursor of that order, and refuses a mixed one", async () => {
    const owner = await signIn(uniqueName("Ada"));
    const ws = await workspaceWith(owner);
    // The waiting ones are the oldest: newest first, a page of two would not hold them.
    const asking = [
      await createSession(owner, ws, { prompt: "/ask Which branch?" }),
      await createSession(owner, ws, { prompt: "/ask Which tests?" }),
    ];
    const quiet = [];
    for (const prompt of ["tidy the docs", "rename the flag", "bump the lockfile"])
      quiet.push(await createSession(owner, ws, { prompt }));
    for (const s of asking) await waitForAgentStatus(owner, ws, s.id, "waiting_input");
    for (const s of quiet) await waitForAgentStatus(owner, ws, s.id, "idle");
    // The index follows the room a moment later: page once it holds still.
    const all = await eventually(
      () => list(owner, ws, "?order=attention&limit=100"),
      (page) => page.counts.waiting === 2 && page.counts.idle === 3,
    );

    const expected = [...all.sessions]
      .sort(
        (a, b) =>
          Number(b.status === "waiting") - Number(a.status === "waiting") ||
          b.lastActivityAt - a.lastActivityAt ||
          (a.id < b.id ? 1 : -1),
      )
      .map((s) => s.id);
    expect(all.sessions.map((s) => s.id)).toEqual(expected);
    expect(new Set(expected.slice(0, 2))).toEqual(new Set(asking.map((s) => s.id)));
    expect((await list(owner, ws, "?limit=2")).sessions.map((s) => s.id)).not.toContain(asking[0].id);

    const paged: string[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const query: string = `?order=attention&limit=2${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ""}`;
      const page = await list(owner, ws, query);
      paged.push(...page.sessions.map((s) => s.id));
      cursor = page.nextCursor;
      pages += 1;
    } while (cursor);
    expect(pages).toBe(3);
    expect(paged).toEqual(expected);

    // Filters keep the order: the waiting chip is all waiting; the rest still newest activity first.
    expect((await list(owner, ws, "?order=attention&status=idle")).sessions.map((s) => s.id)).toEqual(
      expected.slice(2),
    );

    const attentionCursor = (await list(owner, ws, "?order=attention&limit=2")).nextCursor!;
    const newestCursor = (await list(owner, ws, "?limit=2")).nextCursor!;
    for (const [query, field] of [
      ["?order=oldest", "order"],
      ["?order=", "order"],
      [`?cursor=${encodeURIComponent(attentionCursor)}`, "cursor"],
      [`?order=attention&cursor=${encodeURIComponent(newestCursor)}`, "cursor"],
      [`?order=attention&cursor=${btoa(JSON.stringify(["attention", 2, 1, "x"]))}`, "cursor"],
    ]) {
      const res = await owner.api(`/api/workspaces/${ws}/sessions${query}`);
      expect(res.status, query).toBe(400);
      expect(((await res.json()) as { error: { code: string; field: string } }).error).toMatchObject({
        code: "invalid_input",
        field,
      });
    }
  });
});

describe("unread, per person", () => {
  it("a session with activity since a person last looked is unread for them, and seen marks it read", async () => {
    const owner = await signIn(uniqueName("Ada"));
    const viewer = await signIn(uniqueName("Bea"));
    const ws = await workspaceWith(owner, [{ client: viewer, role: "viewer" }]);
    const session = await createSession(owner, ws, { prompt: "hello there" });
    await waitForPhase(owner, ws, session.id, "Running");
    const unread = (page: SessionPage) =>
      page.sessions.filter((s) => s.lastActivityAt > (s.seenAt ?? 0)).map((s) => s.id);

    expect(unread(await list(viewer, ws))).toEqual([session.id]);
    expect((await list(viewer, ws)).counts.unread).toBe(1);
    // A viewer may mark what they have seen: it is their own state.
    const seen = await viewer.api(`/api/workspaces/${ws}/sessions/${session.id}/seen`, { method: "POST" });
    expect(seen.status).toBe(204);
    const after = await list(viewer, ws);
    expect(unread(after)).toEqual([]);
    expect(after.counts.unread).toBe(0);
    // Only for them: the owner has not looked.
    expect(unread(await list(owner, ws))).toEqual([session.id]);

    // The agent asks a question: new activity, unread again.
    await owner.api(`/api/workspaces/${ws}/sessions/${session.id}/messages`, {
      body: { text: "/ask Which one?" },
    });
    await waitForAgentStatus(owner, ws, session.id, "waiting_input");
    const asked = await list(viewer, ws);
    expect(unread(asked)).toEqual([session.id]);
    expect(asked.counts.unread).toBe(1);

    // Another workspace's session, or none, is a 404.
    const stranger = await signIn(uniqueName("Cy"));
    expect(
      (await stranger.api(`/api/workspaces/${ws}/sessions/${session.id}/seen`, { method: "POST" })).status,
    ).toBe(404);
    expect(
      (await viewer.api(`/api/workspaces/${ws}/sessions/${crypto.randomUUID()}/seen`, { method: "POST" }))
        .status,
    ).toBe(404);
  });
});

describe("the workspace feed", () => {
  it("shows a new session, its question and its deletion to every open list within a second", async () => {
    const owner = await signIn(uniqueName("Ada"));
    const viewer = await signIn(uniqueName("Bea"));
    const ws = await workspaceWith(owner, [{ client: viewer, role: "viewer" }]);
    const watching = await feed(ws, viewer);
    const alsoWatching = await feed(ws, owner);

    const started = Date.now();
    const session = await createSession(owner, ws, { prompt: "/ask Ship it?" });
    const created = await watching.next((e) => e.type === "session" && e.session.id === session.id);
    expect(Date.now() - started).toBeLessThan(1000);
    expect(created).toMatchObject({ session: { displayName: "/ask Ship it", workspaceId: ws } });

    const asked = await watching.next(
      (e) => e.type === "session" && e.session.id === session.id && e.session.status === "waiting",
      20_000,
    );
    expect(asked).toMatchObject({ session: { agentStatus: "waiting_input", phase: "Running" } });
    await alsoWatching.next((e) => e.type === "session" && e.session.status === "waiting");

    const deleted = await owner.api(`/api/workspaces/${ws}/sessions/${session.id}`, { method: "DELETE" });
    expect(deleted.status).toBe(204);
    await watching.next((e) => e.type === "removed" && e.sessionId === session.id);

    // A ping is answered; any other frame closes the socket.
    watching.socket.send(JSON.stringify({ type: "ping" }));
    await watching.next((e) => e.type === "pong");
    watching.socket.send(JSON.stringify({ type: "ping", extra: 1 }));
    expect((await watching.closed).code).toBe(1008);
    alsoWatching.socket.send("not json");
    expect((await alsoWatching.closed).code).toBe(1008);
  });

  it("opens for members only, and closes a removed member's socket at once", async () => {
    const owner = await signIn(uniqueName("Ada"));
    const editor = await signIn(uniqueName("Bea"));
    const stranger = await signIn(uniqueName("Cy"));
    const ws = await workspaceWith(owner, [{ client: editor, role: "editor" }]);

    const refused = async (headers: Record<string, string>, query = "") => {
      const res = await connectFeed(ws, headers, query);
      if (!(res instanceof Response)) throw new Error("the feed opened");
      return res.status;
    };
    expect(await refused({})).toBe(401);
    expect(await refused({ cookie: stranger.cookie })).toBe(404);
    expect(await refused({ cookie: owner.cookie, origin: "https://evil.example" })).toBe(403);
    expect(await refused({}, "?token=tdm_not-a-token")).toBe(401);
    const plain = await owner.api(`/api/workspaces/${ws}/feed`);
    expect(plain.status).toBe(400);

    const watching = await feed(ws, editor);
    const removedAt = Date.now();
    const removed = await owner.api(`/api/workspaces/${ws}/members/${editor.user.id}`, { method: "DELETE" });
    expect(removed.status).toBe(204);
    const closed = await Promise.race([
      watching.closed,
      new Promise<{ code: number }>((resolve) => setTimeout(() => resolve({ code: -1 }), 3000)),
    ]);
    expect(closed.code).toBe(4403);
    expect(Date.now() - removedAt).toBeLessThan(2000);
    expect(await refused({ cookie: editor.cookie })).toBe(404);
  });
});
