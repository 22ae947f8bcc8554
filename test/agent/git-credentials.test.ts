/**
 * A private repository behind a git HTTP server that requires the token: no token or a bad one fails with
 * git's message (token redacted), the workspace's GITHUB_TOKEN clones it through the credential helper,
 * and the token is never on a command line, in a URL or in the repository's config.
 */
import { execFileSync } from "node:child_process";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { gitCredentialEnv, gitHostOf } from "../../containers/agent/git-auth";
import { type AgentHost, startAgentHost } from "../../containers/agent/server";
import { type FakeGitHub, startFakeGitHub } from "../fakes/github";
import { DoClient, HOST_KEY, makeBareRepo, removeTempDirs, startFrame, tempDir } from "./helpers";

const TOKEN = "ghp_testtoken0123456789abcdefABCDEF";
let host: AgentHost;
let github: FakeGitHub;
let workspaceRoot: string;
let repoURL: string;
let counter = 0;

beforeAll(async () => {
  const root = await tempDir("tandem-github-");
  const { bare } = await makeBareRepo("app", { "PRIVATE.md": "private code\n" });
  execFileSync("git", ["clone", "--quiet", "--bare", bare, path.join(root, "acme", "app.git")]);
  github = await startFakeGitHub({ root, token: TOKEN });
  repoURL = `${github.url}/acme/app.git`;
  workspaceRoot = await tempDir("tandem-host-");
  host = await startAgentHost({
    key: HOST_KEY,
    port: 0,
    stateRoot: await tempDir("tandem-state-"),
    workspaceRoot,
    graceMs: 1000,
    log: () => {},
  });
});
afterAll(async () => {
  await host.close();
  await github.close();
  await removeTempDirs();
});

/** Every command line running now, as `ps` reads them. */
function commandLines(): string[] {
  const lines: string[] = [];
  for (const pid of readdirSync("/proc").filter((name) => /^\d+$/.test(name))) {
    try {
      lines.push(readFileSync(`/proc/${pid}/cmdline`, "utf8").replaceAll("\0", " "));
    } catch {
      // the process ended meanwhile
    }
  }
  return lines;
}

async function start(secrets: Record<string, string>) {
  const id = `git-${++counter}`;
  const client = await DoClient.connect(host.url, id);
  client.send(startFrame(id, { repos: [{ url: repoURL }], secrets }));
  const outcome = await client.waitFor(
    (f) => f.type === "error" || (f.type === "status" && f.state === "idle"),
    "clone outcome",
  );
  return { id, client, outcome };
}

describe("git credentials", () => {
  it("without a token the clone fails with git's message in the error", async () => {
    const { client, outcome } = await start({});
    expect(outcome.type).toBe("error");
    expect(outcome.type === "error" && outcome.message).toMatch(
      /could not read Username|Authentication failed/,
    );
    expect(github.gitAuth.every((auth) => auth === null)).toBe(true);
    await client.close();
  });

  it("a bad token fails with git's message, and the token is redacted everywhere the agent speaks", async () => {
    const bad = "ghp_badtoken9876543210zyxwvuZYXWVU";
    const { client, outcome } = await start({ GITHUB_TOKEN: bad, GITHUB_API_URL: github.apiURL });
    expect(outcome.type === "error" && outcome.message).toContain("Authentication failed");
    // git sent the bad token (through the helper), but no frame carries it.
    expect(
      github.gitAuth.some(
        (auth) => auth && Buffer.from(auth.slice(6), "base64").toString().endsWith(`:${bad}`),
      ),
    ).toBe(true);
    expect(client.raw.some((frame) => frame.includes(bad))).toBe(false);
    await client.close();
  });

  it("the workspace's token clones it; never on a command line, in a URL or in the clone's config", async () => {
    const seen: string[] = [];
    let sampling = true;
    const sampler = (async () => {
      while (sampling) {
        seen.push(...commandLines().filter((line) => line.includes("git")));
        await new Promise((resolve) => setTimeout(resolve, 2));
      }
    })();
    const { id, client, outcome } = await start({ GITHUB_TOKEN: TOKEN, GITHUB_API_URL: github.apiURL });
    sampling = false;
    await sampler;
    expect(outcome.type, JSON.stringify(client.of("error"))).toBe("status");
    const clone = path.join(workspaceRoot, id, "app");
    expect(readFileSync(path.join(clone, "PRIVATE.md"), "utf8")).toBe("private code\n");
    expect(readFileSync(path.join(clone, ".git", "config"), "utf8")).toContain(`url = ${repoURL}\n`);
    expect(readFileSync(path.join(clone, ".git", "config"), "utf8")).not.toContain(TOKEN);
    expect(existsSync(path.join(clone, ".git", "credentials"))).toBe(false);
    // The sampler saw git at work, and never the token among its arguments.
    expect(seen.some((line) => line.includes(repoURL) || line.includes("remote-http"))).toBe(true);
    expect(seen.filter((line) => line.includes(TOKEN))).toEqual([]);
    expect(client.raw.some((frame) => frame.includes(TOKEN))).toBe(false);
    await client.close();
  });

  it("the helper is scoped to github.com and the API's git host; none without a token", () => {
    expect(gitCredentialEnv({})).toEqual({});
    const env = gitCredentialEnv({ GITHUB_TOKEN: TOKEN, GITHUB_API_URL: "https://ghe.example.com/api/v3" });
    const keys = Object.entries(env)
      .filter(([k]) => k.startsWith("GIT_CONFIG_KEY_"))
      .map(([, v]) => v);
    expect(new Set(keys)).toEqual(
      new Set(["credential.https://github.com.helper", "credential.https://ghe.example.com.helper"]),
    );
    expect(JSON.stringify(env)).not.toContain(TOKEN);
    expect(gitHostOf("https://api.github.com")).toBe("https://github.com");
    expect(gitHostOf("ftp://x")).toBeNull();
  });
});
