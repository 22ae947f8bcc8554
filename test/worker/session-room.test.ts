import { env, runDurableObjectAlarm, runInDurableObject } from "cloudflare:test";
import * as Y from "yjs";
import { describe, expect, it } from "vitest";
import { AGENT_WATCH_MS } from "../../worker/session/clock";
import { signIn, uniqueName, workspaceWith } from "./helpers";
import {
  createSession,
  eventually,
  fakeAgent,
  restartRoom,
  roomStub,
  getSession,
  textOf,
  transcriptOf,
  waitForAgentStatus,
  waitForPhase,
} from "./session-helpers";
import { connectRoom, docText, type RoomClient } from "./yjs-client";

async function runningSession(prompt = "hello") {
  const owner = await signIn(uniqueName("owner"));
  const ws = await workspaceWith(owner);
  const { id } = await createSession(owner, ws, { prompt, timeoutSeconds: 60 });
  await waitForPhase(owner, ws, id, "Running");
  await eventually(
    () => transcriptOf(owner, ws, id),
    (m) => textOf(m).includes(`echo: ${prompt}`),
  );
  await waitForAgentStatus(owner, ws, id, "idle");
  return { owner, ws, id };
}

describe("the session WebSocket", () => {
  it("serves the live transcript to members, read-only", async () => {
    const { owner, ws, id } = await runningSession();
    const client = (await connectRoom(id, { cookie: owner.cookie })) as RoomClient;
    await client.synced;
    expect(docText(client.doc)).toContain("echo: hello");
    expect(client.doc.getMap("session").get("phase")).toBe("Running");

    await owner.api(`/api/workspaces/${ws}/sessions/${id}/messages`, { body: { text: "live tokens" } });
    await eventually(
      async () => docText(client.doc),
      (text) => text.includes("echo: live tokens"),
    );

    // A client writing to the document is ignored and nothing of it is stored.
    const rogue = new Y.Doc();
    Y.applyUpdate(rogue, Y.encodeStateAsUpdate(client.doc));
    const before = Y.encodeStateVector(rogue);
    rogue.getArray<Y.Map<unknown>>("messages").push([
      new Y.Map([
        ["id", "forged"],
        ["role", "assistant"],
      ]),
    ]);
    client.sendUpdate(Y.encodeStateAsUpdate(rogue, before));
    await new Promise((resolve) => setTimeout(resolve, 100));
    const messages = await transcriptOf(owner, ws, id);
    expect(messages.some((m) => (m as { id?: string }).id === "forged")).toBe(false);
    client.close();
    await restartRoom(id);
    const reloaded = await transcriptOf(owner, ws, id);
    expect(reloaded.map((m) => (m as { id?: string }).id)).not.toContain("forged");
  });

  it("refuses strangers and the signed-out before the upgrade, and takes ?token=", async () => {
    const { owner, id } = await runningSession();
    const stranger = await signIn(uniqueName("stranger"));
    expect(((await connectRoom(id, {})) as Response).status).toBe(401);
    expect(((await connectRoom(id, { cookie: stranger.cookie })) as Response).status).toBe(404);
    expect(((await connectRoom("no-such-session", { cookie: owner.cookie })) as Response).status).toBe(404);

    const created = await owner.api("/api/tokens", { body: { name: "cli" } });
    const { token } = (await created.json()) as { token: string };
    const viaToken = (await connectRoom(id, {}, `?token=${encodeURIComponent(token)}`)) as RoomClient;
    await viaToken.synced;
    expect(docText(viaToken.doc)).toContain("echo: hello");
    viaToken.close();
  });
});

describe("presence", () => {
  it("passes presence between viewers, including to one who joins later, and drops it on leave", async () => {
    const { owner, ws, id } = await runningSession();
    const viewer = await signIn(uniqueName("viewer"));
    const members = await owner.api(`/api/workspaces/${ws}/members`, {
      body: { user: viewer.user.email, role: "viewer" },
    });
    expect(members.status).toBe(201);
    const first = (await connectRoom(id, { cookie: owner.cookie })) as RoomClient;
    await first.synced;
    first.setPresence({ user: { id: owner.user.id, name: owner.user.name, color: "#c33" }, typing: true });
    await new Promise((resolve) => setTimeout(resolve, 50));

    // A late joiner is sent the states already present (cloudflare/partykit#420 is about exactly this).
    const late = (await connectRoom(id, { cookie: viewer.cookie })) as RoomClient;
    await late.synced;
    const seen = () =>
      [...late.awareness.getStates().values()].map((s) => s as { user?: { name: string }; typing?: boolean });
    await eventually(
      async () => seen(),
      (states) => states.some((s) => s.user?.name === owner.user.name && s.typing === true),
    );

    late.setPresence({ user: { id: viewer.user.id, name: viewer.user.name, color: "#33c" }, typing: false });
    await eventually(
      async () =>
        [...first.awareness.getStates().values()].map((s) => (s as { user?: { name: string } }).user?.name),
      (names) => names.includes(viewer.user.name),
    );
    first.close();
    await eventually(
      async () => seen(),
      (states) => !states.some((s) => s.user?.name === owner.user.name),
    );

    // Presence is only ever a person's own: a claim to be someone else is rewritten, another shape dropped.
    const third = (await connectRoom(id, { cookie: owner.cookie })) as RoomClient;
    await third.synced;
    third.setPresence({
      user: { id: viewer.user.id, name: "not really the viewer", color: "#000" },
      typing: true,
    });
    const owners = () => seen().filter((s) => (s as { user?: { id: string } }).user?.id === owner.user.id);
    await eventually(
      async () => owners(),
      (states) => states.length === 1 && states[0].user?.name === owner.user.name,
    );
    third.setPresence({
      user: { id: owner.user.id, name: owner.user.name, color: "javascript:alert(1)" },
      typing: false,
    });
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(seen().map((s) => s.user?.name)).not.toContain("not really the viewer");
    expect(owners()).toEqual([
      { user: { id: owner.user.id, name: owner.user.name, color: "#000" }, typing: true },
    ]);
    third.close();
    late.close();
  });
});

describe("persistence", () => {
  it("keeps the same document, events and phase across an eviction", async () => {
    const { owner, ws, id } = await runningSession("remember me");
    const transcript = await transcriptOf(owner, ws, id);
    const events = await (await owner.api(`/api/workspaces/${ws}/sessions/${id}/events`)).json();
    await restartRoom(id);
    expect(await transcriptOf(owner, ws, id)).toEqual(transcript);
    expect(await (await owner.api(`/api/workspaces/${ws}/sessions/${id}/events`)).json()).toEqual(events);
    expect((await getSession(owner, ws, id)).phase).toBe("Running");
    // The woken room reattaches to the live agent and goes on working.
    await owner.api(`/api/workspaces/${ws}/sessions/${id}/messages`, { body: { text: "still there?" } });
    await eventually(
      () => transcriptOf(owner, ws, id),
      (m) => textOf(m).includes("echo: still there?"),
    );
  });

  it("compacts stored Yjs updates without changing the document", async () => {
    const { owner, ws, id } = await runningSession("x");
    for (let i = 0; i < 30; i++) {
      await owner.api(`/api/workspaces/${ws}/sessions/${id}/messages`, {
        body: { text: `message number ${i} with several words in it` },
      });
    }
    await eventually(
      () => transcriptOf(owner, ws, id),
      (m) => textOf(m).includes("echo: message number 29"),
    );
    await waitForAgentStatus(owner, ws, id, "idle");
    const entries = await runInDurableObject(roomStub(id), (_i, state) =>
      Number(state.storage.sql.exec(`SELECT count(DISTINCT entry) AS n FROM yjs_log`).one().n),
    );
    expect(entries).toBeLessThanOrEqual(501);
    const transcript = await transcriptOf(owner, ws, id);
    await restartRoom(id);
    expect(await transcriptOf(owner, ws, id)).toEqual(transcript);
  });
});

describe("timeout", () => {
  it("fails the session with reason timeout when the budget runs out, and stops the agent", async () => {
    const { owner, ws, id } = await runningSession();
    // Once the phase-change callbacks are out, the alarm rings by the agent watch (20 s), before the budget's end.
    const alarm = await eventually(
      () => runInDurableObject(roomStub(id), (_i, state) => state.storage.getAlarm()),
      (at) => at !== null && at > Date.now() + 15_000,
    );
    expect(alarm).toBeLessThanOrEqual(Date.now() + AGENT_WATCH_MS);

    // Pretend the session has already been active for its whole budget, as a restart would find it.
    await runInDurableObject(roomStub(id), (_i, state) => {
      const row = state.storage.sql.exec(`SELECT value FROM meta WHERE key = 'session'`).one();
      const record = JSON.parse(String(row.value));
      record.activeSince = Date.now() - 61_000;
      state.storage.sql.exec(`UPDATE meta SET value = ? WHERE key = 'session'`, JSON.stringify(record));
    });
    await restartRoom(id);
    expect(await runDurableObjectAlarm(roomStub(id))).toBe(true);

    // The agent is stopped and its workspace saved first; then Failed.
    const failed = await waitForPhase(owner, ws, id, "Failed");
    expect(failed.activeSeconds).toBeGreaterThanOrEqual(60);
    const { events } = (await (await owner.api(`/api/workspaces/${ws}/sessions/${id}/events`)).json()) as {
      events: { phase?: string; reason?: string }[];
    };
    expect(events.at(-1)).toMatchObject({ phase: "Failed", reason: "timeout" });
    const agent = await eventually(
      () => fakeAgent(id),
      (a) => a.received.some((f) => f.type === "stop"),
    );
    expect(agent.sent.at(-1)?.type).toBe("stopped");
  });

  it("does not count time while Stopped", async () => {
    const { owner, ws, id } = await runningSession();
    await owner.api(`/api/workspaces/${ws}/sessions/${id}/stop`, { method: "POST" });
    await waitForPhase(owner, ws, id, "Stopped");
    const first = await getSession(owner, ws, id);
    await eventually(
      () => runInDurableObject(roomStub(id), (_i, state) => state.storage.getAlarm()),
      (at) => at === null,
    );
    await new Promise((resolve) => setTimeout(resolve, 1100));
    expect((await getSession(owner, ws, id)).activeSeconds).toBe(first.activeSeconds);
  });
});

describe("the chat", () => {
  it("queues a message sent while the agent works and delivers it after the turn, in order", async () => {
    const { owner, ws, id } = await runningSession();
    await owner.api(`/api/workspaces/${ws}/sessions/${id}/messages`, { body: { text: "/hold" } });
    await waitForAgentStatus(owner, ws, id, "working");
    const second = await owner.api(`/api/workspaces/${ws}/sessions/${id}/messages`, {
      body: { text: "second" },
    });
    expect(await second.json()).toMatchObject({ queued: true });
    const third = await owner.api(`/api/workspaces/${ws}/sessions/${id}/messages`, {
      body: { text: "third" },
    });
    expect(third.status).toBe(202);
    const queued = await transcriptOf(owner, ws, id);
    expect(queued.filter((m) => m.role === "user").map((m) => m.queued)).toEqual([false, false, true, true]);
    await fakeAgent(id, "release");
    const done = await eventually(
      () => transcriptOf(owner, ws, id),
      (m) => textOf(m).includes("echo: third"),
    );
    const replies = done
      .filter((m) => m.role === "assistant")
      .map((m) => m.blocks.map((b) => b.text).join(""));
    expect(replies.slice(-3)).toEqual(["holding released", "echo: second", "echo: third"]);
  });

  it("turns a message into the answer while the agent waits for input", async () => {
    const { owner, ws, id } = await runningSession();
    await owner.api(`/api/workspaces/${ws}/sessions/${id}/messages`, {
      body: { text: "/ask which branch?" },
    });
    await waitForAgentStatus(owner, ws, id, "waiting_input");
    const messages = await transcriptOf(owner, ws, id);
    expect(messages.at(-1)?.blocks.at(-1)).toMatchObject({ type: "question", text: "which branch?" });
    await owner.api(`/api/workspaces/${ws}/sessions/${id}/messages`, { body: { text: "main" } });
    await eventually(
      () => transcriptOf(owner, ws, id),
      (m) => textOf(m).includes("thanks: main"),
    );
    await waitForAgentStatus(owner, ws, id, "idle");
    const agent = await fakeAgent(id);
    expect(agent.received.some((f) => f.type === "answer" && f.text === "main")).toBe(true);
  });

  it("shows tool calls, turn errors and artifacts", async () => {
    const { owner, ws, id } = await runningSession();
    for (const text of ["/tool", "/turn-error overloaded, try again", "/artifact report.md"]) {
      await owner.api(`/api/workspaces/${ws}/sessions/${id}/messages`, { body: { text } });
    }
    const messages = await eventually(
      () => transcriptOf(owner, ws, id),
      (m) => m.some((x) => x.role === "system"),
    );
    const tool = messages.flatMap((m) => m.blocks).find((b) => b.type === "tool_use");
    expect(tool).toMatchObject({
      name: "bash",
      input: { command: "ls" },
      status: "done",
      result: "README.md\n",
      isError: false,
    });
    expect(messages.find((m) => m.role === "system")?.blocks[0]).toMatchObject({
      type: "error",
      text: "overloaded, try again",
    });
    const artifacts = await eventually(
      async () =>
        (
          (await (await owner.api(`/api/workspaces/${ws}/sessions/${id}/artifacts`)).json()) as {
            artifacts: { name: string }[];
          }
        ).artifacts,
      (a) => a.length > 0,
    );
    expect(artifacts).toEqual([expect.objectContaining({ name: "report.md", size: 42 })]);
    const download = await owner.api(`/api/workspaces/${ws}/sessions/${id}/artifacts/report.md`);
    expect(download.status).toBe(200);
    expect(download.headers.get("content-type")).toBe("text/markdown");
    expect(await download.text()).toBe("# report.md\n".padEnd(42, "."));
    expect((await owner.api(`/api/workspaces/${ws}/sessions/${id}/artifacts/other.md`)).status).toBe(404);
    expect((await owner.api(`/api/workspaces/${ws}/sessions/${id}/artifacts/..%2Fsecrets`)).status).toBe(400);
    expect((await getSession(owner, ws, id)).phase).toBe("Running");
  });

  it("acknowledges agent frames so nothing is replayed twice", async () => {
    const { id } = await runningSession();
    const agent = await eventually(
      () => fakeAgent(id),
      (a) => a.acked === a.sent.at(-1)?.seq,
    );
    expect(agent.acked).toBeGreaterThan(0);
  });
});
