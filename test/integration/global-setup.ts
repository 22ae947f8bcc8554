/**
 * The real stack around the Worker under test: the real agent host (containers/agent) running Claude Code,
 * whose requests its model gateway forwards to a fake Anthropic Messages API, a local bare git repository to clone, and a small
 * control server the tests (inside workerd) use to script the fake API and to kill/restart the host.
 */
import { execFileSync, spawn, type ChildProcess } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { TestProject } from "vitest/node";
import { waitFor } from "../../scripts/stack.mjs";
import { freePort } from "../harness/ports";
import { startFakeAnthropic, type FakeResponse } from "../fakes/anthropic";
import { FAKE_GITHUB_TOKEN, startFakeGitHub } from "../fakes/github";
import { newAgentKey } from "@tandem/protocol/agent-auth";

declare module "vitest" {
  export interface ProvidedContext {
    integrationAgentPort: number;
    integrationAgentKey: string;
    integrationControlPort: number;
    integrationRepoURL: string;
    integrationGitHubURL: string;
    integrationEnvRepoURL: string;
  }
}

function makeRepository(dir: string): string {
  const work = join(dir, "work");
  const bare = join(dir, "app.git");
  const git = (cwd: string, ...args: string[]) => execFileSync("git", args, { cwd, stdio: "ignore" });
  execFileSync("git", ["init", "-q", "-b", "main", work]);
  writeFileSync(join(work, "README.md"), "# app\n\nA tiny repository for Tandem's tests.\n");
  git(work, "add", ".");
  git(work, "-c", "user.name=Test", "-c", "user.email=test@example.com", "commit", "-q", "-m", "first");
  execFileSync("git", ["clone", "-q", "--bare", work, bare]);
  return `file://${bare}`;
}

/**
 * A repository with its own `.tandem/setup.sh` (environment tests): it says which commit it ran at and
 * leaves a file the warm start must bring back. `commit` adds a commit (a new commit runs the setup again).
 */
function makeEnvRepository(dir: string): { url: string; commit(): string } {
  const work = join(dir, "env-work");
  const bare = join(dir, "envapp.git");
  const git = (...args: string[]) =>
    execFileSync("git", ["-c", "user.name=Test", "-c", "user.email=test@example.com", ...args], {
      cwd: work,
      encoding: "utf8",
    }).trim();
  execFileSync("git", ["init", "-q", "-b", "main", work]);
  mkdirSync(join(work, ".tandem"));
  writeFileSync(
    join(work, ".tandem", "setup.sh"),
    'echo "repo setup at $(git rev-parse --short HEAD)"\nprintf "%s" "$(git rev-parse HEAD)" > ../repo-setup-ran\n',
  );
  writeFileSync(join(work, "README.md"), "# envapp\n");
  git("add", ".");
  git("commit", "-q", "-m", "first");
  execFileSync("git", ["clone", "-q", "--bare", work, bare]);
  git("remote", "add", "origin", bare);
  let n = 0;
  return {
    url: `file://${bare}`,
    commit() {
      writeFileSync(join(work, "CHANGES.md"), `change ${++n}\n`);
      git("add", ".");
      git("commit", "-q", "-m", `change ${n}`);
      git("push", "-q", "origin", "main");
      return git("rev-parse", "HEAD");
    },
  };
}

/** How many processes have `marker` in their command line (a setup's stray, after a stop). */
function processesWith(marker: string): number {
  let found = 0;
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      if (readFileSync(`/proc/${entry}/cmdline`, "utf8").includes(marker)) found++;
    } catch {
      // gone
    }
  }
  return found;
}

export default async function setup(project: TestProject) {
  const dir = mkdtempSync(join(tmpdir(), "tandem-integration-"));
  const repoURL = makeRepository(dir);
  const envRepo = makeEnvRepository(dir);
  const anthropic = await startFakeAnthropic();
  // A private repository on a fake GitHub that requires the token (the tests set it as a workspace secret).
  const githubRoot = join(dir, "github");
  execFileSync("git", [
    "clone",
    "-q",
    "--bare",
    repoURL.replace("file://", ""),
    join(githubRoot, "acme", "private.git"),
  ]);
  const github = await startFakeGitHub({ root: githubRoot, token: FAKE_GITHUB_TOKEN });
  const agentPort = await freePort();
  const agentKey = newAgentKey();
  // The host runs as its own process, as `npm start` runs it: killing it is a real crash.
  const startHost = async (): Promise<ChildProcess> => {
    const child = spawn(join(process.cwd(), "node_modules/.bin/tsx"), ["containers/agent/server.ts"], {
      stdio: "ignore",
      // Its own process group: tsx runs the server in a child process, and a crash takes both.
      detached: true,
      env: {
        ...process.env,
        PORT: String(agentPort),
        HOST: "127.0.0.1",
        AGENT_KEY: agentKey,
        AGENT_WORKSPACE_ROOT: join(dir, "sessions"),
        AGENT_ARCHIVE_ROOT: join(dir, "archives"),
        AGENT_STATE_ROOT: join(dir, "state"),
        ANTHROPIC_API_KEY: "sk-ant-test-key",
        ANTHROPIC_BASE_URL: anthropic.url,
        // A deployment's GitHub (Enterprise) API: its host gets the credential helper, pull requests go there.
        GITHUB_API_URL: github.apiURL,
      },
    });
    await waitFor(`http://127.0.0.1:${agentPort}/health`, 20_000, child);
    return child;
  };
  let host = await startHost();

  const control = createServer((req, res) => {
    const parts: Buffer[] = [];
    req.on("data", (chunk: Buffer) => parts.push(chunk));
    req.on("end", async () => {
      const reply = (status: number, body: unknown) =>
        res.writeHead(status, { "content-type": "application/json" }).end(JSON.stringify(body));
      if (req.url === "/anthropic/enqueue") {
        anthropic.enqueue(...(JSON.parse(Buffer.concat(parts).toString("utf8")) as FakeResponse[]));
        return reply(200, { pending: anthropic.pending });
      }
      if (req.url === "/anthropic/requests")
        return reply(200, { requests: anthropic.requests.map((r) => r.body), pending: anthropic.pending });
      if (req.url === "/anthropic/refusals") {
        return reply(200, {
          refusals: anthropic.refusals.map(({ status, type, message, request }) => ({
            status,
            type,
            message,
            model: request.body?.model,
          })),
        });
      }
      if (req.url === "/github/pulls") return reply(200, { pulls: github.pulls });
      const show = /^\/github\/show\/(.+)$/.exec(req.url ?? "");
      if (show) {
        // What the fake GitHub holds at `<ref>:<path>` of acme/private.
        const spec = decodeURIComponent(show[1]);
        try {
          return reply(200, {
            text: execFileSync("git", ["show", spec], {
              cwd: join(githubRoot, "acme", "private.git"),
              encoding: "utf8",
            }),
          });
        } catch {
          return reply(404, {});
        }
      }
      if (req.url === "/agent/kill-claude") {
        // A session's Claude Code dies alone (its host lives on): found by the config directory in its environment.
        const { sessionId } = JSON.parse(Buffer.concat(parts).toString("utf8")) as { sessionId: string };
        return reply(200, { killed: killClaudeOf(join(dir, "state", sessionId)) });
      }
      if (req.url === "/repo/env/commit") return reply(200, { commit: envRepo.commit() });
      if (req.url === "/processes") {
        const { marker } = JSON.parse(Buffer.concat(parts).toString("utf8")) as { marker: string };
        return reply(200, { count: processesWith(marker) });
      }
      if (req.url === "/agent/kill") {
        killGroup(host);
        return reply(200, {});
      }
      if (req.url === "/agent/start") {
        host = await startHost();
        return reply(200, {});
      }
      reply(404, {});
    });
  });
  await new Promise<void>((resolve) => control.listen(0, "127.0.0.1", resolve));
  const address = control.address();

  project.provide("integrationAgentPort", agentPort);
  project.provide("integrationAgentKey", agentKey);
  project.provide("integrationControlPort", typeof address === "object" && address ? address.port : 0);
  project.provide("integrationRepoURL", repoURL);
  project.provide("integrationGitHubURL", github.url);
  project.provide("integrationEnvRepoURL", envRepo.url);
  return async () => {
    control.close();
    killGroup(host);
    await anthropic.close();
    await github.close();
    rmSync(dir, { recursive: true, force: true });
  };
}

/** Kills the Claude Code processes whose CLAUDE_CONFIG_DIR is under `stateDir`; returns how many. */
function killClaudeOf(stateDir: string): number {
  let killed = 0;
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    let environ = "";
    let cmdline = "";
    try {
      environ = readFileSync(`/proc/${entry}/environ`, "utf8");
      cmdline = readFileSync(`/proc/${entry}/cmdline`, "utf8");
    } catch {
      continue;
    }
    if (!environ.split("\0").some((pair) => pair.startsWith(`CLAUDE_CONFIG_DIR=${stateDir}/`))) continue;
    if (!cmdline.includes("claude") || cmdline.startsWith("unshare") || cmdline.startsWith("setpriv"))
      continue;
    try {
      process.kill(Number(entry), "SIGKILL");
      killed++;
    } catch {
      // gone already
    }
  }
  return killed;
}

function killGroup(child: ChildProcess): void {
  try {
    if (child.pid) process.kill(-child.pid, "SIGKILL");
  } catch {
    // already gone
  }
}
