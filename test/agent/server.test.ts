/**
 * The agent host over a real WebSocket, driven like the DO drives it: the real Claude Code CLI through the
 * host's model gateway, which answers as the offline model (no key anywhere).
 */
import { existsSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type AgentHost, startAgentHost } from "../../containers/agent/server";
import { OFFLINE_LABEL } from "../../containers/agent/gateway";
import {
  CONFIG,
  DoClient,
  makeBareRepo,
  removeTempDirs,
  startFrame,
  tempDir,
  until,
  HOST_KEY,
  linkHeaders,
  STOPPED_WITHIN_MS,
  testHost,
} from "./helpers";

let host: AgentHost;
const logLines: string[] = [];
let sessionCounter = 0;
const newId = () => `session-${++sessionCounter}`;

beforeAll(async () => {
  host = await startAgentHost({
    key: HOST_KEY,
    port: 0,
    workspaceRoot: await tempDir("tandem-host-"),
    stateRoot: await tempDir("tandem-state-"),
    graceMs: 10_000, // longer than a reconnect on a busy machine (the clean-up test has a host of its own)
    offlineTokenDelayMs: 1,
    log: (l) => logLines.push(l),
  });
});
afterAll(async () => {
  await host.close();
  await removeTempDirs();
});

/** Opens a session and waits until it is ready and idle. */
async function open(overrides: Parameters<typeof startFrame>[1] = {}) {
  const id = newId();
  const client = await DoClient.connect(host.url, id);
  client.send(startFrame(id, overrides));
  await client.waitForStatus("idle");
  return { id, client };
}

/** The frames but usage, which the gateway reports as each response ends (its place among the others varies). */
const conversational = (client: DoClient) => client.frames.filter((f) => f.type !== "usage");

function expectConsecutiveSeqs(client: DoClient, from = 1) {
  expect(client.frames.map((f) => f.seq)).toEqual(client.frames.map((_, i) => from + i));
  expect(client.invalid).toEqual([]);
}

describe("agent host", () => {
  it("answers /health and 404 elsewhere", async () => {
    expect((await fetch(`${host.url}/health`)).status).toBe(200);
    expect((await fetch(`${host.url}/nope`)).status).toBe(404);
  });

  it("start → progress, ready (offline), idle; a message gets a streamed, labelled reply", async () => {
    const { client } = await open();
    expect(client.frames.slice(0, 3)).toEqual([
      { type: "progress", seq: 1, step: "agent", detail: "starting Claude Code" },
      { type: "ready", seq: 2, model: "offline" },
      { type: "status", seq: 3, state: "idle" },
    ]);
    client.send({ type: "user_message", seq: 1, text: "please look at the code", author: "alice" });
    await client.waitForStatus("idle", 2);
    const types = conversational(client)
      .slice(3)
      .map((f) => f.type);
    expect(types.slice(0, 3)).toEqual(["status", "input_consumed", "message_start"]);
    expect(types.slice(-2)).toEqual(["turn_end", "status"]);
    expect(client.of("usage")).toEqual([expect.objectContaining({ model: CONFIG.model, failed: false })]);
    const [start] = client.of("message_start");
    expect(client.of("text_delta").length).toBeGreaterThan(5);
    const reply = client.textOf(start.id);
    expect(reply.startsWith(OFFLINE_LABEL)).toBe(true);
    expect(reply).toContain("> please look at the code");
    expect(reply).toContain("The workspace is empty.");
    expectConsecutiveSeqs(client);
    await client.close();
  });

  it("clones repositories with progress, then the offline model lists them", async () => {
    const repo = await makeBareRepo("demo");
    const { client } = await open({ repos: [{ url: repo.url, branch: "main" }] });
    expect(client.frames[0]).toEqual({
      type: "progress",
      seq: 1,
      step: "clone",
      detail: `cloning repo 1 of 1: ${repo.url} (main)`,
    });
    client.send({ type: "user_message", seq: 1, text: "/ls demo", author: "alice" });
    await client.waitForStatus("idle", 2);
    expect(client.of("tool_use")[0]).toMatchObject({ name: "Bash", input: { command: "ls -A1p -- 'demo'" } });
    expect(client.of("tool_result")[0].output).toBe(".git/\nREADME.md\nsrc/");
    await client.close();
  });

  it("a clone failure sends an error frame with git's message and no ready", async () => {
    const id = newId();
    const client = await DoClient.connect(host.url, id);
    client.send(startFrame(id, { repos: [{ url: "file:///nonexistent/repo.git" }] }));
    const error = await client.waitFor((f) => f.type === "error", "error frame");
    expect(error.type === "error" && error.message).toMatch(
      /does not appear to be a git repository|not found/,
    );
    expect(client.of("ready")).toHaveLength(0);
    await client.close();
  });

  it("shows no password or token of a repository URL in its progress or its error", async () => {
    // Nothing listens on port 9: the clone fails at once, after its progress frame.
    for (const url of [
      "https://builder:ghp_tok3nInTheUrl0123456789@127.0.0.1:9/org/app.git",
      "https://ghp_tok3nInTheUrl0123456789@127.0.0.1:9/org/app.git",
    ]) {
      const id = newId();
      const client = await DoClient.connect(host.url, id);
      client.send(startFrame(id, { repos: [{ url, branch: "main" }] }));
      await client.waitFor((f) => f.type === "error", "error frame");
      expect(client.of("progress")[0]).toMatchObject({
        step: "clone",
        detail: "cloning repo 1 of 1: https://127.0.0.1:9/org/app.git (main)",
      });
      for (const raw of client.raw) expect(raw).not.toContain("ghp_tok3nInTheUrl");
      await client.close();
    }
  });

  it("/write makes an artifact the host serves; /run output never carries a secret", async () => {
    const secret = "s3cr3t-token-value-42";
    const { id, client } = await open({ secrets: { API_TOKEN: secret } });
    client.send({
      type: "user_message",
      seq: 1,
      text: "/write artifacts/out.txt hello world",
      author: "alice",
    });
    await client.waitForStatus("idle", 2);
    expect(client.of("artifact")).toEqual([
      { type: "artifact", seq: expect.any(Number), name: "out.txt", size: 11 },
    ]);
    const headers = await linkHeaders(id);
    const response = await fetch(`${host.url}/sessions/${id}/artifacts/out.txt`, { headers });
    expect(await response.text()).toBe("hello world");
    expect(
      (await fetch(`${host.url}/sessions/${id}/artifacts/..%2F..%2Fetc%2Fpasswd`, { headers })).status,
    ).toBe(404);

    client.send({ type: "user_message", seq: 2, text: "/run env; echo direct: $API_TOKEN", author: "alice" });
    await client.waitForStatus("idle", 3);
    const output = client.of("tool_result")[1].output;
    expect(output).toContain("API_TOKEN=[redacted]");
    expect(output).toContain("direct: [redacted]");
    expect(client.raw.some((frame) => frame.includes(secret))).toBe(false);
    expect(logLines.some((line) => line.includes(secret))).toBe(false);
    await client.close();
  });

  it("/ask waits for input; the answer resumes the turn", async () => {
    const { client } = await open();
    client.send({
      type: "user_message",
      seq: 1,
      text: "/ask Which branch should I use? | main | dev",
      author: "alice",
    });
    await client.waitForStatus("waiting_input");
    const question = client.of("question")[0];
    expect(question).toMatchObject({
      text: "Which branch should I use?",
      messageId: client.of("message_start")[0].id,
    });
    expect(question.type === "question" && question.questions?.[0].options.map((o) => o.label)).toEqual([
      "main",
      "dev",
    ]);
    expect(client.of("tool_use")).toHaveLength(0);
    client.send({ type: "answer", seq: 2, text: "use dev", author: "bob" });
    await client.waitForStatus("idle", 2);
    const states = client.of("status").map((f) => f.state);
    expect(states).toEqual(["idle", "working", "waiting_input", "working", "idle"]);
    expect(client.of("input_consumed").map((f) => f.upTo)).toEqual([1, 2]);
    const lastMessage = client.of("message_start").at(-1)!;
    expect(client.textOf(lastMessage.id)).toContain("use dev (answered by bob)");
    await client.close();
  });

  it("a message sent while working is read right after the current tool call", async () => {
    const { client } = await open();
    client.send({ type: "user_message", seq: 1, text: "/run sleep 0.3; echo slept", author: "alice" });
    await client.waitFor((f) => f.type === "tool_use", "tool_use");
    client.send({ type: "user_message", seq: 2, text: "/ls", author: "bob" });
    await client.waitFor((f) => f.type === "turn_end", "turn_end");
    await client.waitForStatus("idle", 2);
    const sequence = client.frames.filter((f) =>
      ["tool_use", "tool_result", "input_consumed", "turn_end"].includes(f.type),
    );
    expect(
      sequence.map((f) =>
        f.type === "tool_use"
          ? `tool_use:${f.input && typeof f.input === "object" && "command" in f.input ? String(f.input.command) : f.name}`
          : f.type,
      ),
    ).toEqual([
      "input_consumed",
      "tool_use:sleep 0.3; echo slept",
      "tool_result",
      "input_consumed",
      "tool_use:ls -A1p -- '.'",
      "tool_result",
      "turn_end",
    ]);
    expect(client.of("turn_end")).toHaveLength(1);
    await client.close();
  });

  it("ignores a user_message seq it has already received", async () => {
    const { client } = await open();
    const message = { type: "user_message", seq: 1, text: "once", author: "alice" } as const;
    client.send(message);
    client.send(message);
    await client.waitForStatus("idle", 2);
    client.send(message);
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(client.of("turn_end")).toHaveLength(1);
    expect(client.of("input_consumed")).toHaveLength(1);
    await client.close();
  });

  it("stop cancels the running command at once, saves the workspace, and answers stopped", async () => {
    const { id, client } = await open();
    client.send({ type: "user_message", seq: 1, text: "/run sleep 20; echo never", author: "alice" });
    await client.waitFor((f) => f.type === "tool_use", "tool_use");
    await new Promise((resolve) => setTimeout(resolve, 300));
    const stoppedAt = Date.now();
    client.send({ type: "stop" });
    client.send({ type: "user_message", seq: 2, text: "not started after stop", author: "alice" });
    await client.waitFor((f) => f.type === "stopped", "stopped");
    expect(Date.now() - stoppedAt).toBeLessThan(STOPPED_WITHIN_MS);
    expect(client.of("tool_result")[0]).toMatchObject({
      isError: true,
      stopped: true,
      output: expect.stringContaining("[stopped]"),
    });
    expect(client.of("tool_result")[0].output).not.toContain("never");
    expect(
      conversational(client)
        .slice(-6)
        .map((f) => f.type),
    ).toEqual(["tool_result", "turn_end", "progress", "workspace_archive", "status", "stopped"]);
    expect(client.of("turn_end")).toHaveLength(1);
    expect(client.of("input_consumed").map((f) => f.upTo)).toEqual([1]);
    // The DO closes once it has what it needs; the session goes then.
    await client.close();
    await until(() => (host.sessions.has(id) ? undefined : true), "session cleaned up");

    // Resume: the same session id starts afresh, a new incarnation, with its history.
    const resumed = await DoClient.connect(host.url, id);
    resumed.send(
      startFrame(id, {
        history: [{ role: "user", author: "alice", blocks: [{ type: "text", text: "earlier" }] }],
      }),
    );
    await resumed.waitForStatus("idle");
    expect(resumed.of("ready")).toHaveLength(1);
    expect(resumed.frames[0].seq).toBe(1);
    expect(resumed.hellos[0].incarnation).not.toBe(client.hellos[0].incarnation);
    await resumed.close();
  });

  it("a fresh start right after stopped (before the socket closed) starts a new incarnation", async () => {
    const { id, client } = await open();
    client.send({ type: "stop" });
    const stopped = await client.waitFor((f) => f.type === "stopped", "stopped");
    const resumed = await DoClient.connect(host.url, id);
    resumed.send(startFrame(id, { ackedUpTo: stopped.seq }));
    await resumed.waitForStatus("idle");
    expect(resumed.of("ready")).toHaveLength(1);
    expect(resumed.hellos[0]).toMatchObject({ type: "hello", needsWorkspace: false });
    expect(resumed.hellos[0].incarnation).not.toBe(client.hellos[0].incarnation);
    await resumed.close();
  });

  it("stop while waiting for an answer releases the question and stops", async () => {
    const { client } = await open();
    client.send({ type: "user_message", seq: 1, text: "/ask ok?", author: "alice" });
    await client.waitForStatus("waiting_input");
    client.send({ type: "stop" });
    await client.waitFor((f) => f.type === "stopped", "stopped");
    expect(client.of("status").at(-1)?.state).toBe("idle");
  });

  it("after a reconnect, replays every frame not acknowledged, and keeps the running session", async () => {
    const { id, client } = await open();
    client.send({ type: "ack", upTo: 2 });
    client.send({
      type: "user_message",
      seq: 1,
      text: "a longer message so the reply streams for a while",
      author: "alice",
    });
    await client.waitFor((f) => f.type === "text_delta", "first delta", 3);
    await client.close(); // the DO's socket drops mid-stream; the agent goes on

    await new Promise((resolve) => setTimeout(resolve, 80));
    const again = await DoClient.connect(host.url, id);
    again.send(startFrame(id, { ackedUpTo: 1, incarnation: client.hellos[0].incarnation }));
    await again.waitForStatus("idle", 1);
    await again.waitFor((f) => f.type === "turn_end", "turn_end after replay");
    await again.waitForStatus("idle", 1);
    // Acked through 2 (ack frame) beats ackedUpTo 1: replay starts at 3.
    expect(again.frames[0].seq).toBe(3);
    expectConsecutiveSeqs(again, 3);
    expect(again.of("ready")).toHaveLength(0);
    expect(again.hellos).toEqual([client.hellos[0]]);
    expect(again.frames.at(-1)).toMatchObject({ type: "status", state: "idle" });

    // The DO re-sends what it had not seen consumed; the agent does not run it twice.
    again.send({
      type: "user_message",
      seq: 1,
      text: "a longer message so the reply streams for a while",
      author: "alice",
    });
    again.send({ type: "user_message", seq: 2, text: "next", author: "alice" });
    await again.waitFor((f) => f.type === "turn_end", "second turn", 2);
    expect(again.of("input_consumed").map((f) => f.upTo)).toEqual([1, 2]);
    await again.close();
  });

  it("cleans a session up when its DO does not come back within the grace period", async () => {
    const brief = await testHost({ graceMs: 300, offlineTokenDelayMs: 1 });
    try {
      const id = newId();
      const client = await DoClient.connect(brief.url, id);
      client.send(startFrame(id));
      await client.waitForStatus("idle");
      const workspace = brief.sessions.get(id)!.workspace;
      expect(existsSync(workspace)).toBe(true);
      await client.close();
      expect(brief.sessions.has(id)).toBe(true);
      // Waits well past the grace: removing the workspace took over 2 s once on a busy run.
      await until(() => (brief.sessions.has(id) ? undefined : true), "session cleaned up", 10_000);
      await until(() => (existsSync(workspace) ? undefined : true), "workspace removed", 10_000);
    } finally {
      await brief.close();
    }
  });

  it("ignores invalid frames and frames before start", async () => {
    const id = newId();
    const client = await DoClient.connect(host.url, id);
    client.send({ type: "user_message", seq: 1, text: "too early", author: "alice" });
    (client as unknown as { send(frame: unknown): void }).send({ type: "bogus" });
    client.send(startFrame(id));
    await client.waitForStatus("idle");
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(client.of("turn_end")).toHaveLength(0);
    await client.close();
  });
});

describe("the host's directories", () => {
  it("keeps workspaces, archives and Claude Code's directories where only its own user can enter, and will not use someone else's (or a link)", async () => {
    const { chmod, lstat, mkdir, symlink } = await import("node:fs/promises");
    const path = await import("node:path");
    const base = await tempDir("tandem-dirs-");
    // As `mkdir` leaves them under a usual umask, or as another user might have made them in /tmp.
    const workspaceRoot = path.join(base, "agent");
    const archiveRoot = path.join(base, "archives");
    await mkdir(workspaceRoot, { mode: 0o777 });
    await chmod(workspaceRoot, 0o777);
    const stateRoot = path.join(base, "state");
    const open = await startAgentHost({
      key: HOST_KEY,
      port: 0,
      workspaceRoot,
      archiveRoot,
      stateRoot,
      graceMs: 150,
      log: () => {},
    });
    const id = newId();
    const client = await DoClient.connect(open.url, id);
    client.send(startFrame(id));
    await client.waitForStatus("idle");
    client.send({ type: "user_message", seq: 1, text: "/write notes.txt private", author: "alice" });
    await client.waitFor((f) => f.type === "workspace_archive", "workspace_archive");
    for (const dir of [workspaceRoot, archiveRoot, stateRoot])
      expect(((await lstat(dir)).mode & 0o777).toString(8), dir).toBe("700");
    await client.close();
    await open.close();

    // A root that is a symbolic link (planted in /tmp by another user, say) is refused: the host does not start.
    const elsewhere = await tempDir("tandem-elsewhere-");
    const planted = path.join(base, "planted");
    await symlink(elsewhere, planted);
    await expect(
      startAgentHost({
        key: HOST_KEY,
        port: 0,
        stateRoot: await tempDir("tandem-state-"),
        workspaceRoot: planted,
        archiveRoot,
        log: () => {},
      }),
    ).rejects.toThrow(/not a directory of this user/);
  });
});
