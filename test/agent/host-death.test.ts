/**
 * The agent host as its own process, killed: no process of its sessions outlives it, Claude Code or what it
 * started (even a daemon that cleared its tag and left with setsid). A restarted host starts from nothing.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { readFile, readdir } from "node:fs/promises";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { SESSION_TAG_ENV } from "../../containers/agent/claude/process";
import { freePort } from "../harness/ports";
import { environOf } from "./claude-harness";
import { DoClient, HOST_KEY, removeTempDirs, startFrame, tempDir } from "./helpers";

afterAll(removeTempDirs);

/** Live (not zombie) processes whose environment carries `tag`, or whose command line starts with `name`. */
async function sessionProcesses(tag: string, name: string): Promise<number[]> {
  const found: number[] = [];
  for (const entry of await readdir("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    const stat = await readFile(`/proc/${entry}/stat`, "utf8").catch(() => "");
    if (!stat || stat.slice(stat.lastIndexOf(")") + 2).startsWith("Z")) continue;
    const cmdline = await readFile(`/proc/${entry}/cmdline`, "utf8").catch(() => "");
    const env = await environOf(Number(entry));
    if (env?.[SESSION_TAG_ENV] === tag || cmdline.startsWith(name)) found.push(Number(entry));
  }
  return found;
}

async function startHostProcess(port: number, dir: string): Promise<ChildProcess> {
  const child = spawn(path.resolve("node_modules/.bin/tsx"), ["containers/agent/server.ts"], {
    stdio: "ignore",
    detached: true,
    env: {
      ...process.env,
      AGENT_KEY: HOST_KEY,
      PORT: String(port),
      AGENT_WORKSPACE_ROOT: path.join(dir, "workspaces"),
      AGENT_ARCHIVE_ROOT: path.join(dir, "archives"),
      AGENT_STATE_ROOT: path.join(dir, "state"),
      AGENT_OFFLINE_TOKEN_DELAY_MS: "1",
      ANTHROPIC_API_KEY: "",
    },
  });
  const deadline = Date.now() + 20_000;
  for (;;) {
    if ((await fetch(`http://127.0.0.1:${port}/health`).catch(() => null))?.ok) return child;
    if (Date.now() > deadline || child.exitCode !== null) throw new Error("the agent host did not start");
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

describe("an agent host that dies", () => {
  it("takes every process of its sessions with it", async () => {
    const port = await freePort();
    const host = await startHostProcess(port, await tempDir("tandem-host-death-"));
    try {
      const client = await DoClient.connect(`http://127.0.0.1:${port}`, "doomed");
      client.send(startFrame("doomed"));
      await client.waitForStatus("idle");
      const tag = client.hellos[0].incarnation;
      const stray = "tandem-stray-of-a-dead-host";
      client.send({
        type: "user_message",
        seq: 1,
        text: `/run (env -u ${SESSION_TAG_ENV} setsid bash -c 'exec -a ${stray} sleep 1000000' >/dev/null 2>&1 &); sleep 0.3; echo started; sleep 600`,
        author: "alice",
      });
      await client.waitFor(
        (f) => f.type === "tool_result" || (f.type === "tool_use" && f.name === "Bash"),
        "the command",
      );
      const alive = await (async () => {
        const deadline = Date.now() + 10_000;
        for (;;) {
          const pids = await sessionProcesses(tag, stray);
          if (pids.length >= 2) return pids;
          if (Date.now() > deadline) throw new Error(`the session's processes never showed: ${pids}`);
          await new Promise((resolve) => setTimeout(resolve, 50));
        }
      })();
      expect(alive.length).toBeGreaterThan(1);

      process.kill(-host.pid!, "SIGKILL");
      const deadline = Date.now() + 5000;
      let left = alive;
      while (left.length && Date.now() < deadline) {
        await new Promise((resolve) => setTimeout(resolve, 50));
        left = await sessionProcesses(tag, stray);
      }
      expect(left).toEqual([]);
    } finally {
      try {
        process.kill(-host.pid!, "SIGKILL");
      } catch {
        // already gone
      }
    }
  });
});

describe("an agent host alone in its container (under an init, as tini runs it) with no namespace of its own to make", () => {
  it("kills every other process of the container at a stop, a daemon that cleared its tag and left with setsid included", async () => {
    const port = await freePort();
    const dir = await tempDir("tandem-host-pid1-");
    // A container's PID namespace with an init as PID 1 (a shell standing for tini) and the host its child;
    // the host may not make namespaces of its own.
    const node = path.resolve("node_modules/.bin/node");
    const host = spawn(
      "unshare",
      [
        "--pid",
        "--fork",
        "--mount-proc",
        "--kill-child",
        "--",
        "sh",
        "-c",
        `"${node}" --import tsx containers/agent/server.ts; true`,
      ],
      {
        stdio: "ignore",
        detached: true,
        env: {
          ...process.env,
          AGENT_KEY: HOST_KEY,
          PORT: String(port),
          AGENT_WORKSPACE: path.join(dir, "workspace"),
          AGENT_ARCHIVE_ROOT: path.join(dir, "archives"),
          AGENT_STATE_ROOT: path.join(dir, "state"),
          AGENT_CONTAINMENT: "container",
          AGENT_OFFLINE_TOKEN_DELAY_MS: "1",
          ANTHROPIC_API_KEY: "",
        },
      },
    );
    try {
      await waitForHealth(port, host);
      const client = await DoClient.connect(`http://127.0.0.1:${port}`, "contained");
      client.send(startFrame("contained"));
      await client.waitForStatus("idle");
      const stray = "tandem-stray-in-a-container";
      client.send({
        type: "user_message",
        seq: 1,
        text: `/run (env -u ${SESSION_TAG_ENV} setsid bash -c 'exec -a ${stray} sleep 1000000' >/dev/null 2>&1 &); sleep 0.3; echo started; sleep 600`,
        author: "alice",
      });
      const deadline = Date.now() + 15_000;
      while (!(await sessionProcesses("-", stray)).length) {
        if (Date.now() > deadline) throw new Error("the stray never started");
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
      client.send({ type: "stop" });
      await client.waitFor((f) => f.type === "stopped", "stopped");
      expect(await sessionProcesses("-", stray)).toEqual([]);
      await client.close();
    } finally {
      try {
        process.kill(-host.pid!, "SIGKILL");
      } catch {
        // already gone
      }
    }
  });
});

async function waitForHealth(port: number, child: ChildProcess): Promise<void> {
  const deadline = Date.now() + 20_000;
  for (;;) {
    if ((await fetch(`http://127.0.0.1:${port}/health`).catch(() => null))?.ok) return;
    if (Date.now() > deadline || child.exitCode !== null) throw new Error("the agent host did not start");
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}
