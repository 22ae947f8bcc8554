/**
 * Claude Code's life in a session, through the real CLI against the fake Messages API: Stop within 2 s while
 * a tool runs, leaving no process behind (not one that cleared its tag or left the process group); a CLI
 * that dies is a lost incarnation; a failed model request ends the turn with the API's own error and a retry
 * works; the CLI's environment holds the session's secrets and nothing of the host; a non-interactive
 * session completes after its turn.
 */
import { readFile, readdir } from "node:fs/promises";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { SESSION_TAG_ENV } from "../../containers/agent/claude/process";
import { DUMMY_API_KEY } from "../../containers/agent/claude/options";
import { type ClaudeHarness, environOf, reply, startClaudeHarness } from "./claude-harness";
import { CONFIG, DoClient, removeTempDirs, startFrame, STOPPED_WITHIN_MS, until } from "./helpers";

let h: ClaudeHarness;
beforeAll(async () => {
  h = await startClaudeHarness("life");
});
afterAll(async () => {
  await h.close();
  await removeTempDirs();
});

/** Live processes whose command line starts with `name` (how a test finds what it started). */
async function processesNamed(name: string): Promise<number[]> {
  const found: number[] = [];
  for (const entry of await readdir("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    const cmdline = await readFile(`/proc/${entry}/cmdline`, "utf8").catch(() => "");
    const stat = await readFile(`/proc/${entry}/stat`, "utf8").catch(() => "");
    const state = stat.slice(stat.lastIndexOf(")") + 2, stat.lastIndexOf(")") + 3);
    if (cmdline.startsWith(name) && state !== "Z") found.push(Number(entry));
  }
  return found;
}

async function eventuallyFound(name: string): Promise<number[]> {
  const deadline = Date.now() + 10_000;
  for (;;) {
    const pids = await processesNamed(name);
    if (pids.length) return pids;
    if (Date.now() > deadline) throw new Error(`${name} never started`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/** The Claude Code process of an incarnation: the one whose environment carries its tag and runs the CLI. */
async function claudeProcessOf(incarnation: string): Promise<number> {
  for (const entry of await readdir("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    const env = await environOf(Number(entry));
    const cmdline = await readFile(`/proc/${entry}/cmdline`, "utf8").catch(() => "");
    if (
      env?.[SESSION_TAG_ENV] === incarnation &&
      cmdline.includes("claude") &&
      !cmdline.startsWith("unshare")
    )
      return Number(entry);
  }
  throw new Error(`no Claude Code process for ${incarnation}`);
}

describe("Stop", () => {
  it("ends a running tool within 2 s and leaves no process of the session, not one that cleared its tag and left with setsid", async () => {
    const { id, client } = await h.open();
    const stray = `tandem-stray-${id}`;
    h.enqueue(
      reply.tool("toolu_long", "Bash", {
        command: `(env -u ${SESSION_TAG_ENV} setsid bash -c 'exec -a ${stray} sleep 1000000' > /dev/null 2>&1 &); sleep 0.2; echo started; sleep 60`,
        description: "Start a daemon, then wait a long time",
      }),
    );
    client.send({ type: "user_message", seq: 1, text: "start the daemon", author: "alice" });
    await client.waitFor((f) => f.type === "tool_use", "the Bash call");
    const found = await eventuallyFound(stray);
    // It really did shed the tag and leave the session's process group.
    const env = await environOf(found[0]);
    expect(env?.[SESSION_TAG_ENV]).toBeUndefined();

    const asked = Date.now();
    client.send({ type: "stop" });
    await client.waitFor((f) => f.type === "stopped", "stopped");
    expect(Date.now() - asked).toBeLessThan(STOPPED_WITHIN_MS);
    expect(await processesNamed(stray)).toEqual([]);
    const result = client.of("tool_result").find((f) => f.id === "toolu_long");
    expect(result).toMatchObject({ stopped: true, isError: true });
    expect(result?.output).toMatch(/\[stopped\]$/);
    expect(client.frames.slice(-5).map((f) => f.type)).toEqual([
      "turn_end",
      "progress",
      "workspace_archive",
      "status",
      "stopped",
    ]);
    await client.close();
  });
});

describe("a session whose room goes away (Delete, or a room that never comes back)", () => {
  it("is cleaned up after the grace period with every process it started, a setsid stray that cleared its tag included", async () => {
    const { id, client } = await h.open();
    const stray = `tandem-stray-${id}`;
    h.enqueue(
      reply.tool("toolu_daemon", "Bash", {
        command: `(env -u ${SESSION_TAG_ENV} setsid bash -c 'exec -a ${stray} sleep 1000000' > /dev/null 2>&1 &); echo started; sleep 60`,
        description: "Start a daemon, then wait",
      }),
    );
    client.send({ type: "user_message", seq: 1, text: "start the daemon", author: "alice" });
    await eventuallyFound(stray);
    await client.close();
    await until(
      () => (h.host.sessions.has(id) ? undefined : true),
      "the session removed after its grace",
      10_000,
    );
    const deadline = Date.now() + 3000;
    while ((await processesNamed(stray)).length && Date.now() < deadline)
      await new Promise((resolve) => setTimeout(resolve, 50));
    expect(await processesNamed(stray)).toEqual([]);
  });
});

describe("a Claude Code that dies", () => {
  it("is a lost incarnation: the host lets the socket go, and the DO's next start gets a new incarnation", async () => {
    const { id, client } = await h.open();
    const incarnation = client.hellos[0].incarnation;
    h.enqueue(reply.tool("toolu_wait", "Bash", { command: "sleep 30", description: "Wait" }));
    client.send({ type: "user_message", seq: 1, text: "wait", author: "alice" });
    await client.waitFor((f) => f.type === "tool_use", "the Bash call");
    process.kill(await claudeProcessOf(incarnation), "SIGKILL");
    await until(() => client.closed ?? undefined, "the host closes the socket");
    expect(client.of("stopped")).toHaveLength(0);

    const again = await DoClient.connect(h.host.url, id);
    again.send(startFrame(id, { incarnation, ackedUpTo: client.frames.at(-1)!.seq }));
    await again.waitForStatus("idle");
    expect(again.hellos[0].incarnation).not.toBe(incarnation);
    expect(again.frames[0].seq).toBe(1);
    await again.close();
  });
});

describe("a model request that fails", () => {
  it("ends the turn with the API's own error; the session goes on and a retry works", async () => {
    const { client } = await h.open();
    // Claude Code may send the request again (its retries); each gets the same refusal.
    const refusal = {
      kind: "error" as const,
      status: 400,
      type: "invalid_request_error",
      message: "messages.0.content: the scripted refusal",
    };
    h.enqueue(refusal, refusal, refusal, refusal, refusal);
    client.send({ type: "user_message", seq: 1, text: "try", author: "alice" });
    await client.waitForStatus("idle", 2);
    h.clear();
    const [error] = client.of("turn_error");
    expect(error?.message).toBe("invalid_request_error (400): messages.0.content: the scripted refusal");
    expect(client.of("error")).toHaveLength(0);
    // Each refused request is still a request: counted, marked failed.
    const refused = client.of("usage");
    expect(refused.length).toBeGreaterThan(0);
    expect(refused.every((u) => u.failed)).toBe(true);

    h.enqueue(reply.text("This time it worked."));
    client.send({ type: "user_message", seq: 2, text: "try again", author: "alice" });
    await client.waitForStatus("idle", 3);
    const last = client.of("message_start").at(-1)!;
    expect(client.textOf(last.id)).toBe("This time it worked.");
    expect(client.of("usage").at(-1)).toMatchObject({
      failed: false,
      model: CONFIG.model,
      inputTokens: 25,
      outputTokens: 10,
    });
    await client.close();
  });
});

describe("Claude Code's environment", () => {
  it("holds the session's secrets (redacted in every frame), a dummy model key and the session's own home: nothing of the host", async () => {
    const secret = `ghp_${"x".repeat(8)}${Date.now()}`;
    const { id, client } = await h.open({
      secrets: { GITHUB_TOKEN: secret, ANTHROPIC_API_KEY: "sk-ant-workspace-key-0123456789abcdef" },
    });
    h.enqueue(
      reply.tool("toolu_env", "Bash", { command: "printenv | sort", description: "Print the environment" }),
      reply.text("Printed."),
    );
    client.send({ type: "user_message", seq: 1, text: "show your environment", author: "alice" });
    await client.waitForStatus("idle", 2);
    const output = client.of("tool_result").find((f) => f.id === "toolu_env")!.output;
    expect(output).toContain("GITHUB_TOKEN=[redacted]");
    expect(output).toContain(`ANTHROPIC_API_KEY=${DUMMY_API_KEY}`);
    expect(output).not.toContain("sk-ant-workspace-key");
    expect(output).not.toContain("sk-ant-host-key");
    expect(output).not.toContain("AGENT_KEY");
    const home = /^HOME=(.*)$/m.exec(output)?.[1];
    expect(home).toBeDefined();
    expect(home).not.toBe(process.env.HOME);
    expect(home).toContain(id);
    // The user's corepack cache (the image's pnpm and yarn) is still where corepack looks.
    expect(output).toContain(`COREPACK_HOME=${process.env.HOME}/.cache/node/corepack`);
    for (const raw of client.raw) expect(raw).not.toContain(secret);
    await client.close();
  });
});

describe("a non-interactive session", () => {
  it("completes when its turn ends with nothing queued", async () => {
    const { client } = await h.open({ config: { ...CONFIG, interactive: false } });
    h.enqueue(reply.text("All done."));
    client.send({ type: "user_message", seq: 1, text: "do the thing", author: "trigger" });
    await client.waitFor((f) => f.type === "completed", "completed");
    const types = client.frames.map((f) => f.type);
    expect(types.indexOf("turn_end")).toBeLessThan(types.indexOf("completed"));
    expect(types.at(-1)).toBe("completed");
    await client.close();
  });
});
