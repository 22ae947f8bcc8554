/**
 * Changes and push through the agent host's HTTP interface (signed as the room signs), against a fake
 * GitHub that requires the token: the diff against the cloned commit with uncommitted and new files, the
 * diff cap, a push to a new branch that leaves the agent's checkout alone, the pull request, and each refusal.
 */
import { execFileSync } from "node:child_process";
import { mkdirSync, rmSync, writeFileSync } from "node:fs";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { DIFF_MAX_BYTES, type Changes } from "@tandem/protocol/git";
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

const TOKEN = "ghp_roundtrip0123456789abcdefABCDEF";
let host: AgentHost;
let github: FakeGitHub;
let root: string;
let workspaceRoot: string;
let counter = 0;

beforeAll(async () => {
  root = await tempDir("tandem-github-");
  github = await startFakeGitHub({ root, token: TOKEN });
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

const run = (cwd: string, ...args: string[]) => execFileSync("git", args, { cwd, encoding: "utf8" }).trim();

/** A new private repository on the fake GitHub and a session that cloned it. */
async function session() {
  const name = `app${++counter}`;
  const { bare } = await makeBareRepo(name, { "keep.txt": "one\ntwo\nthree\n", "gone.txt": "bye\n" });
  const remote = path.join(root, "acme", `${name}.git`);
  execFileSync("git", ["clone", "--quiet", "--bare", bare, remote]);
  const url = `${github.url}/acme/${name}.git`;
  const id = `round-trip-${counter}`;
  const client = await DoClient.connect(host.url, id);
  client.send(
    startFrame(id, {
      repos: [{ url, branch: "main" }],
      secrets: { GITHUB_API_URL: github.apiURL, GITHUB_TOKEN: TOKEN },
    }),
  );
  await client.waitForStatus("idle");
  const dir = path.join(workspaceRoot, id, name);
  return { id, url, remote, dir, client, base: run(dir, "rev-parse", "HEAD") };
}

async function changes(id: string): Promise<Changes> {
  const res = await fetch(`${host.url}/sessions/${id}/changes`, { headers: await linkHeaders(id) });
  expect(res.status).toBe(200);
  return (await res.json()) as Changes;
}

async function push(id: string, body: unknown) {
  const res = await fetch(`${host.url}/sessions/${id}/push`, {
    method: "POST",
    headers: { ...(await linkHeaders(id)), "content-type": "application/json" },
    body: JSON.stringify(body),
  });
  return {
    status: res.status,
    body: (await res.json()) as {
      error?: { code: string; message: string };
      branch?: string;
      commit?: string;
      pullRequestUrl?: string;
    },
  };
}

describe("changes", () => {
  it("lists edits, new and deleted files and the agent's own commits against the cloned commit, without touching its index", async () => {
    const { id, url, dir, base, client } = await session();
    writeFileSync(path.join(dir, "keep.txt"), "one\nTWO\nthree\nfour\n");
    rmSync(path.join(dir, "gone.txt"));
    mkdirSync(path.join(dir, "notes"));
    writeFileSync(path.join(dir, "notes", "new.md"), "# new\nline\n");
    writeFileSync(path.join(dir, "committed.txt"), "by the agent\n");
    run(dir, "add", "committed.txt");
    run(dir, "-c", "user.name=agent", "-c", "user.email=a@b", "commit", "-qm", "agent commit");
    const [repo] = (await changes(id)).repos;
    expect(repo).toMatchObject({ url, branch: "main", baseCommit: base, diffTruncated: false });
    expect(repo.files).toEqual([
      { path: "committed.txt", status: "added", additions: 1, deletions: 0, binary: false },
      { path: "gone.txt", status: "deleted", additions: 0, deletions: 1, binary: false },
      { path: "keep.txt", status: "modified", additions: 2, deletions: 1, binary: false },
      { path: "notes/new.md", status: "added", additions: 2, deletions: 0, binary: false },
    ]);
    expect(repo.diff).toContain("+++ b/notes/new.md\n@@ -0,0 +1,2 @@\n+# new\n+line\n");
    expect(repo.diff).toContain("-two\n+TWO\n");
    // The agent's index still does not know the new file.
    expect(run(dir, "status", "--porcelain")).toContain("?? notes/");
    await client.close();
  });

  it("cuts a long diff at 256 KB with a marker, and lists every file", async () => {
    const { id, dir, client } = await session();
    writeFileSync(path.join(dir, "big.txt"), `${"a line of text that goes on for a while\n".repeat(12_000)}`);
    writeFileSync(path.join(dir, "small.txt"), "small\n");
    const [repo] = (await changes(id)).repos;
    expect(repo.diffTruncated).toBe(true);
    expect(Buffer.byteLength(repo.diff)).toBeLessThan(DIFF_MAX_BYTES + 200);
    expect(repo.diff).toMatch(/\[… diff cut at 256 KB; all 2 changed files are in the files list\]\n$/);
    expect(repo.files.map((f) => [f.path, f.additions])).toEqual([
      ["big.txt", 12_000],
      ["small.txt", 1],
    ]);
    await client.close();
  });
});

describe("push", () => {
  it("commits everything on a new branch, pushes it with the token and opens the pull request; the agent's checkout stays", async () => {
    const { id, url, remote, dir, base, client } = await session();
    writeFileSync(path.join(dir, "keep.txt"), "changed\n");
    writeFileSync(path.join(dir, "added.txt"), "new\n");
    const message = 'Tandem session "fix-login": the change\n\nAsked by alice';
    const result = await push(id, {
      branch: "tandem/fix-login",
      message,
      pullRequest: { title: "Fix login", body: "From Tandem" },
    });
    expect(result.status, JSON.stringify(result.body)).toBe(200);
    const { commit, pullRequestUrl } = result.body;
    expect(run(remote, "rev-parse", "refs/heads/tandem/fix-login")).toBe(commit);
    expect(run(remote, "log", "-1", "--format=%B", commit!)).toBe(message);
    expect(run(remote, "rev-parse", `${commit}^`)).toBe(base);
    expect(run(remote, "show", `${commit}:added.txt`)).toBe("new");
    expect(github.pulls.at(-1)).toMatchObject({
      owner: "acme",
      body: { title: "Fix login", body: "From Tandem", head: "tandem/fix-login", base: "main" },
      authorization: `Bearer ${TOKEN}`,
    });
    expect(pullRequestUrl).toBe(
      `${github.url}/acme/${url.split("/").pop()!.replace(".git", "")}/pull/${github.pulls.length}`,
    );
    // The agent's branch, HEAD and index are as they were.
    expect(run(dir, "rev-parse", "HEAD")).toBe(base);
    expect(run(dir, "rev-parse", "--abbrev-ref", "HEAD")).toBe("main");
    expect(run(dir, "status", "--porcelain")).toContain("?? added.txt");
    await client.close();
  });

  it("refuses clearly: nothing changed, a rejected push (git's message), GitHub's error, a bad branch", async () => {
    const { id, remote, dir, client } = await session();
    expect((await push(id, { branch: "tandem/none", message: "m" })).body.error?.code).toBe(
      "nothing_to_push",
    );

    writeFileSync(path.join(dir, "keep.txt"), "mine\n");
    // Someone else's branch of that name already holds unrelated history: a push there is not a fast-forward.
    run(
      remote,
      "update-ref",
      "refs/heads/taken",
      run(remote, "commit-tree", run(remote, "rev-parse", "main^{tree}"), "-m", "theirs"),
    );
    const rejected = await push(id, { branch: "taken", message: "m" });
    expect(rejected.status).toBe(409);
    expect(rejected.body.error?.code).toBe("push_rejected");
    expect(rejected.body.error?.message).toMatch(/rejected|non-fast-forward|fetch first/);

    github.failNextPull(422, "A pull request already exists for acme:tandem/pr.");
    const apiError = await push(id, { branch: "tandem/pr", message: "m", pullRequest: { title: "t" } });
    expect([apiError.status, apiError.body.error?.code]).toEqual([502, "github_error"]);
    expect(apiError.body.error?.message).toContain("A pull request already exists for acme:tandem/pr.");

    // A refusal that quotes the token (as a careless API might) reaches the room redacted.
    github.failNextPull(500, `token ${TOKEN} may not open pull requests`);
    const quoting = await push(id, { branch: "tandem/pr2", message: "m", pullRequest: { title: "t" } });
    expect(quoting.body.error?.message).toContain("may not open pull requests");
    expect(quoting.body.error?.message).not.toContain(TOKEN);

    expect((await push(id, { branch: "bad..name", message: "m" })).status).toBe(400);
    expect(JSON.stringify([rejected, apiError])).not.toContain(TOKEN);
    await client.close();
  });

  it("without a token: 400 github_token_missing", async () => {
    const name = `notoken${++counter}`;
    const { url } = await makeBareRepo(name);
    const id = `round-trip-${counter}`;
    const client = await DoClient.connect(host.url, id);
    client.send(startFrame(id, { repos: [{ url }] }));
    await client.waitForStatus("idle");
    writeFileSync(path.join(workspaceRoot, id, name, "x.txt"), "x\n");
    const result = await push(id, { branch: "tandem/x", message: "m" });
    expect([result.status, result.body.error?.code]).toEqual([400, "github_token_missing"]);
    await client.close();
  });
});
