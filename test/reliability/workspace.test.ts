/**
 * Nothing of the workspace is lost: a cloned repository the agent edited (a commit, an uncommitted edit,
 * an artifact) survives Stop and Resume in the local host's layout and in the container's (one fixed
 * AGENT_WORKSPACE, emptied as a new container would be), without a second clone; and when the agent host
 * dies mid-turn, the loss shows within 5 s and Resume brings back the files of the last finished turn.
 */
import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { Api, type SessionClient, toolResults, until } from "./api";
import { count, worst } from "./figures";
import { Stack } from "./stack";

let stack: Stack;
let api: Api;
let ws: string;
let repoURL: string;

beforeAll(async () => {
  stack = await Stack.start({ tokenDelayMs: 1 });
  api = await Api.signIn(() => stack.baseURL, "reliability");
  ws = await api.workspace();
  repoURL = makeRepository(path.join(stack.state, "repos"));
});
afterAll(async () => {
  await stack?.close();
});

/** A bare repository `app.git` with one commit, "first", on main. */
function makeRepository(dir: string): string {
  const work = path.join(dir, "work");
  mkdirSync(work, { recursive: true });
  const git = (...args: string[]) =>
    execFileSync("git", ["-c", "user.name=Test", "-c", "user.email=test@example.com", ...args], {
      cwd: work,
      stdio: "ignore",
    });
  git("init", "-q", "-b", "main");
  writeFileSync(path.join(work, "README.md"), "# app\n");
  git("add", ".");
  git("commit", "-q", "-m", "first");
  execFileSync("git", ["clone", "-q", "--bare", work, path.join(dir, "app.git")]);
  return `file://${path.join(dir, "app.git")}`;
}

async function clonedSession(): Promise<SessionClient> {
  const session = await api.createSession(ws, {
    timeoutSeconds: 1800,
    repos: [{ url: repoURL, branch: "main" }],
  });
  await session.waitForPhase("Running");
  await session.waitForIdle();
  return session;
}

const lastResult = async (session: SessionClient, command: string) =>
  toolResults(await session.turn(`/run ${command}`)).at(-1) ?? "";

async function clones(session: SessionClient): Promise<number> {
  return (await session.events()).filter((e) => e.type === "progress" && e.reason?.startsWith("cloning repo"))
    .length;
}

describe.each([
  ["the local host's layout", false],
  ["the container layout", true],
])("stop and resume in %s", (_layout, container) => {
  it("keeps the edit, the git history and the artifacts, and clones once", async () => {
    const containerWorkspace = path.join(stack.state, "container-workspace");
    if (container) {
      await stack.killAgent();
      await stack.startAgent({ containerWorkspace, tokenDelayMs: 1 });
    }
    const session = await clonedSession();
    const commit = "git -c user.name=Agent -c user.email=agent@example.com commit -qam 'agent commit'";
    // In a subshell: Claude Code's Bash keeps its working directory from one call to the next.
    await lastResult(
      session,
      `(cd app && echo 'agent edit' >> README.md && ${commit} && echo 'uncommitted edit' >> README.md) && mkdir -p artifacts && echo 'report v1' > artifacts/report.md`,
    );
    await until(
      () => session.api.json<{ artifacts: { name: string }[] }>(`${session.path}/artifacts`),
      (a) => a.artifacts.some((x) => x.name === "report.md"),
      "artifact listed",
    );

    await session.op("stop");
    const stopped = await session.waitForPhase("Stopped");
    expect(stopped.savedWorkspace).not.toBeNull();
    if (container) {
      // A new container: the old one's files are gone.
      await stack.killAgent();
      for (const entry of readdirSync(containerWorkspace))
        rmSync(path.join(containerWorkspace, entry), { recursive: true, force: true });
      await stack.startAgent({ containerWorkspace, tokenDelayMs: 1 });
    } else {
      // The host removes a finished session's directory once the room lets it go.
      await until(
        async () => existsSync(path.join(stack.state, "agent", session.id.replace(/[^A-Za-z0-9_-]/g, "_"))),
        (exists) => !exists,
        "session directory removed",
      );
    }

    await session.op("resume");
    await session.waitForPhase("Running");
    await session.waitForIdle();
    const log = await lastResult(session, "git -C app log --format=%s");
    expect(log.trim().split("\n")).toEqual(["agent commit", "first"]);
    // Claude Code gives a command's output without its last newline.
    expect(await lastResult(session, "git -C app status --porcelain")).toBe(" M README.md");
    expect(await lastResult(session, "cat app/README.md artifacts/report.md")).toBe(
      "# app\nagent edit\nuncommitted edit\nreport v1",
    );
    const artifact = await session.api.call(`${session.path}/artifacts/report.md`);
    expect(await artifact.text()).toBe("report v1\n");
    expect(await clones(session)).toBe(1);
    expect((await session.events()).some((e) => e.reason === "restoring the saved workspace")).toBe(true);
    count(
      `stop → resume round trips of an edited clone (${container ? "container" : "local host"} layout)`,
      1,
    );

    // A container runs one session: this one must not reattach to the host the next test starts.
    await session.op("stop");
    await session.waitForPhase("Stopped");
    if (container) {
      await stack.killAgent();
      await stack.startAgent({ tokenDelayMs: 1 });
    }
  });
});

describe("the agent host dies mid-turn", () => {
  it("shows the loss within 5 s, and Resume brings back the files of the last finished turn", async () => {
    const session = await clonedSession();
    const before = (await session.view()).savedWorkspace!.savedAt;
    await lastResult(session, "echo 'uncommitted edit' >> app/README.md");
    await until(
      () => session.view(),
      (s) => s.savedWorkspace!.savedAt > before,
      "the finished turn's workspace saved",
    );

    await session.say("/run echo lost > app/lost.txt; sleep 30");
    await until(
      () => session.transcript(),
      (m) => m.some((x) => x.blocks.some((b) => b.type === "tool_use" && b.status === "running")),
      "command running",
    );
    const killedAt = Date.now();
    await stack.killAgent();
    const events = await until(
      () => session.events(),
      (e) => e.some((x) => x.type === "agent_lost" || x.type === "agent_restarted"),
      "loss reported",
      10_000,
      20,
    );
    const reportedAfter =
      events.find((x) => x.type === "agent_lost" || x.type === "agent_restarted")!.at - killedAt;
    expect(reportedAfter).toBeLessThan(5000);
    await stack.startAgent({ tokenDelayMs: 1 });

    // The session went on with a new agent, or ended Failed: either way Resume (or the next turn) has the files.
    const view = await until(
      () => session.view(),
      (s) => s.phase === "Failed" || (s.phase === "Running" && s.agentStatus === "idle"),
      "settled",
      30_000,
    );
    if (view.phase === "Failed") {
      await session.op("resume");
      await session.waitForPhase("Running");
      await session.waitForIdle();
    }
    expect(await lastResult(session, "cat app/README.md; ls app; git -C app status --porcelain")).toBe(
      "# app\nuncommitted edit\nREADME.md\n M README.md",
    );
    expect(await clones(session)).toBe(1);
    worst("agent host killed mid-turn → loss in the events", reportedAfter);
  });
});
