/**
 * A repository whose `.git` names programs (core.fsmonitor, a filter driver, a textconv, an external diff,
 * hooks, core.sshCommand, core.askPass, a credential helper, gpg signing, an included config file with
 * more of them) makes the host's git run none of them: not on a live session's changes and push, not on
 * a saved workspace's in the workbench. Each planted program would write its environment to a marker: no
 * marker appears, and the answers are still right (the diff, the pushed commit).
 */
import { execFileSync } from "node:child_process";
import { chmodSync, mkdirSync, readFileSync, readdirSync, writeFileSync } from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { agentWorkbenchPath, type Changes, type GitAction, type WorkbenchLine } from "@tandem/protocol/git";
import { type AgentHost, startAgentHost } from "../../containers/agent/server";
import { type FakeGitHub, startFakeGitHub } from "../fakes/github";
import {
  DoClient,
  HOST_KEY,
  linkHeaders,
  makeBareRepo,
  removeTempDirs,
  startFrame,
  tempDir,
} from "./helpers";

const TOKEN = "ghp_planted0123456789abcdefABCDEFgh";
const OTHER_SECRET = "other-secret-value-0123456789";
let host: AgentHost;
let github: FakeGitHub;
let root: string;
let workspaceRoot: string;
let markers: string;
let counter = 0;

beforeAll(async () => {
  root = await tempDir("tandem-github-");
  github = await startFakeGitHub({ root, token: TOKEN });
  workspaceRoot = await tempDir("tandem-host-");
  markers = await tempDir("tandem-markers-");
  host = await startAgentHost({
    key: HOST_KEY,
    port: 0,
    workspaceRoot,
    archiveRoot: await tempDir("tandem-arch-"),
    workbenchRoot: await tempDir("tandem-bench-"),
    graceMs: 1000,
    offlineTokenDelayMs: 1,
    log: () => {},
  });
});
afterAll(async () => {
  await host.close();
  await github.close();
  await removeTempDirs();
});

const run = (cwd: string, ...args: string[]) => execFileSync("git", args, { cwd, encoding: "utf8" }).trim();

/** Plants, in a cloned repository, every program its config can make git run; each writes its env to a marker. */
function plant(dir: string): void {
  const evil = (name: string) => {
    const script = path.join(dir, ".git", `evil-${name}.sh`);
    writeFileSync(script, `#!/bin/sh\nenv > "${markers}/${name}-$$"\ncat\n`);
    chmodSync(script, 0o755);
    return script;
  };
  const set = (key: string, value: string, file = path.join(dir, ".git", "config")) =>
    run(dir, "config", "--file", file, key, value);
  set("core.fsmonitor", evil("fsmonitor"));
  set("filter.evil.clean", evil("clean"));
  set("filter.evil.smudge", evil("smudge"));
  set("filter.evil.required", "true");
  set("diff.evil.textconv", evil("textconv"));
  set("diff.external", evil("external"));
  set("core.hooksPath", path.join(dir, ".git", "evil-hooks"));
  set("core.sshCommand", evil("ssh"));
  set("core.askPass", evil("askpass"));
  set("credential.helper", `!${evil("credential")}`);
  set("commit.gpgSign", "true");
  set("gpg.program", evil("gpg"));
  const included = path.join(dir, ".git", "more.inc");
  set("include.path", included);
  set("filter.more.clean", evil("included-clean"), included);
  mkdirSync(path.join(dir, ".git", "evil-hooks"));
  for (const hook of ["pre-push", "pre-commit", "post-index-change", "reference-transaction"]) {
    writeFileSync(
      path.join(dir, ".git", "evil-hooks", hook),
      `#!/bin/sh\nenv > "${markers}/hook-${hook}-$$"\n`,
    );
    chmodSync(path.join(dir, ".git", "evil-hooks", hook), 0o755);
  }
  writeFileSync(path.join(dir, ".gitattributes"), "*.txt filter=evil diff=evil\n*.md filter=more\n");
  writeFileSync(path.join(dir, "keep.txt"), "one\nTWO\n");
  writeFileSync(path.join(dir, "added.md"), "# added\n");
}

const planted = () => readdirSync(markers);

async function newRepo() {
  const name = `planted${++counter}`;
  const { bare } = await makeBareRepo(name, { "keep.txt": "one\ntwo\n" });
  const remote = path.join(root, "acme", `${name}.git`);
  execFileSync("git", ["clone", "--quiet", "--bare", bare, remote]);
  return { name, remote, url: `${github.url}/acme/${name}.git` };
}

const secrets = () => ({ GITHUB_API_URL: github.apiURL, GITHUB_TOKEN: TOKEN, OTHER_SECRET });

function expectChanges(body: Changes, base: string): void {
  const [repo] = body.repos;
  expect(repo.baseCommit).toBe(base);
  expect(repo.files.map((f) => [f.path, f.status])).toEqual([
    [".gitattributes", "added"],
    ["added.md", "added"],
    ["keep.txt", "modified"],
  ]);
  // No textconv: the lines are the file's own.
  expect(repo.diff).toContain("-two\n+TWO\n");
}

describe("a repository with planted git configuration", () => {
  it("live: changes and push run none of it, and the push is right", async () => {
    const { name, remote, url } = await newRepo();
    const id = `planted-live-${counter}`;
    const client = await DoClient.connect(host.url, id);
    client.send(startFrame(id, { repos: [{ url, branch: "main" }], secrets: secrets() }));
    await client.waitForStatus("idle");
    const dir = path.join(workspaceRoot, id, name);
    const base = run(dir, "rev-parse", "HEAD");
    plant(dir);
    const index = readFileSync(path.join(dir, ".git", "index"));

    const changes = await fetch(`${host.url}/sessions/${id}/changes`, { headers: await linkHeaders(id) });
    expect(changes.status).toBe(200);
    expectChanges((await changes.json()) as Changes, base);
    const pushed = await fetch(`${host.url}/sessions/${id}/push`, {
      method: "POST",
      headers: { ...(await linkHeaders(id)), "content-type": "application/json" },
      body: JSON.stringify({ branch: "tandem/planted", message: "planted" }),
    });
    const result = (await pushed.json()) as { commit: string };
    expect(pushed.status, JSON.stringify(result)).toBe(200);
    expect(run(remote, "rev-parse", "refs/heads/tandem/planted")).toBe(result.commit);
    expect(run(remote, "show", `${result.commit}:keep.txt`)).toBe("one\nTWO");
    expect(planted()).toEqual([]);
    // The agent's own index and config are as it left them.
    expect(readFileSync(path.join(dir, ".git", "index")).equals(index)).toBe(true);
    expect(readFileSync(path.join(dir, ".git", "config"), "utf8")).toContain("fsmonitor");
    await client.close();
  });

  it("saved: the workbench runs none of it either, with no secret for changes and only the token to push", async () => {
    const { name, remote, url } = await newRepo();
    const workspace = await tempDir("tandem-saved-");
    execFileSync("git", ["clone", "--quiet", "--depth", "1", "--branch", "main", remote, name], {
      cwd: workspace,
    });
    const dir = path.join(workspace, name);
    const base = run(dir, "rev-parse", "HEAD");
    run(dir, "config", "tandem.baseCommit", base);
    run(dir, "config", "tandem.baseBranch", "main");
    plant(dir);
    const archive = execFileSync("tar", ["-czf", "-", "-C", workspace, "."]);
    const id = `planted-saved-${counter}`;
    const line: WorkbenchLine = { repos: [{ url, branch: "main" }], secrets: secrets() };
    const bench = async (action: GitAction, extra: Partial<WorkbenchLine> = {}) => {
      const res = await fetch(`${host.url}${agentWorkbenchPath(id, action)}`, {
        method: "POST",
        headers: await linkHeaders(id),
        body: Buffer.concat([Buffer.from(`${JSON.stringify({ ...line, ...extra })}\n`), archive]),
      });
      return { status: res.status, body: (await res.json()) as Changes & { commit: string } };
    };
    const changes = await bench("changes");
    expect(changes.status, JSON.stringify(changes.body)).toBe(200);
    expectChanges(changes.body, base);
    const pushed = await bench("push", {
      push: { branch: "tandem/saved", message: "from the saved workspace" },
    });
    expect(pushed.status, JSON.stringify(pushed.body)).toBe(200);
    expect(run(remote, "show", `${pushed.body.commit}:added.md`)).toBe("# added");
    expect(planted()).toEqual([]);
  });
});
