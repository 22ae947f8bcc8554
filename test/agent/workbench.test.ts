/**
 * Changes and push from a saved workspace (containers/agent/workbench.ts), through the agent host's HTTP
 * interface, signed as the room signs: a real session clones a private repository from a fake GitHub that
 * requires the token, edits it and stops; its real archive, sent after the first line, shows the edit and
 * pushes it. Bad first lines, bad archives and bodies over the cap are refused; the temporary directory
 * is gone after every request.
 */
import { execFileSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { readdir, writeFile } from "node:fs/promises";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { INCARNATION_HEADER } from "@tandem/protocol/agent";
import {
  WORKBENCH_LINE_MAX_BYTES,
  agentWorkbenchPath,
  type Changes,
  type GitAction,
  type WorkbenchLine,
} from "@tandem/protocol/git";
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
  until,
} from "./helpers";

const TOKEN = "ghp_workbench0123456789abcdefABCDEF";
const ARCHIVE_MAX = 512 * 1024;
let host: AgentHost;
let github: FakeGitHub;
let root: string;
let workspaceRoot: string;
let benchRoot: string;
let counter = 0;

beforeAll(async () => {
  root = await tempDir("tandem-github-");
  github = await startFakeGitHub({ root, token: TOKEN });
  workspaceRoot = await tempDir("tandem-host-");
  benchRoot = await tempDir("tandem-bench-");
  const archiveRoot = await tempDir("tandem-arch-");
  host = await startAgentHost({
    key: HOST_KEY,
    port: 0,
    stateRoot: await tempDir("tandem-state-"),
    workspaceRoot,
    archiveRoot,
    workbenchRoot: benchRoot,
    archiveMaxBytes: ARCHIVE_MAX,
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

/** A session that cloned a new private repository, edited it and stopped: its saved archive and what it needs. */
async function stoppedSession() {
  const name = `bench${++counter}`;
  const { bare } = await makeBareRepo(name, { "keep.txt": "one\ntwo\n" });
  const remote = path.join(root, "acme", `${name}.git`);
  execFileSync("git", ["clone", "--quiet", "--bare", bare, remote]);
  const url = `${github.url}/acme/${name}.git`;
  const id = `workbench-${counter}`;
  const secrets = { GITHUB_API_URL: github.apiURL, GITHUB_TOKEN: TOKEN };
  const client = await DoClient.connect(host.url, id);
  client.send(startFrame(id, { repos: [{ url, branch: "main" }], secrets }));
  await client.waitForStatus("idle");
  const dir = path.join(workspaceRoot, id, name);
  const base = run(dir, "rev-parse", "HEAD");
  // Through the agent (the offline model's "/run"): a turn that touched the workspace is archived on stop.
  client.send({
    type: "user_message",
    seq: 1,
    text: `/run printf 'one\\nTWO\\n' > ${name}/keep.txt && echo '# added while running' > ${name}/added.md`,
    author: "alice",
  });
  await client.waitFor((f) => f.type === "turn_end", "turn 1");
  await client.waitForStatus("idle", 2);
  expect(run(dir, "status", "--porcelain")).toContain("?? added.md");
  client.send({ type: "stop" });
  await client.waitFor((f) => f.type === "stopped", "stopped");
  const res = await fetch(`${host.url}/sessions/${id}/workspace`, {
    headers: { ...(await linkHeaders(id)), [INCARNATION_HEADER]: client.hellos[0].incarnation },
  });
  expect(res.status).toBe(200);
  const archive = Buffer.from(await res.arrayBuffer());
  await client.close();
  await until(() => (host.sessions.has(id) ? undefined : true), "the session gone");
  const line: WorkbenchLine = { repos: [{ url, branch: "main" }], secrets };
  return { id, url, remote, base, archive, line };
}

async function bench(
  id: string,
  action: GitAction,
  body: RequestInit["body"],
  headers: Record<string, string> = {},
) {
  const res = await fetch(`${host.url}${agentWorkbenchPath(id, action)}`, {
    method: "POST",
    headers: { ...(await linkHeaders(id)), ...headers },
    body,
    duplex: "half",
  } as RequestInit);
  const text = await res.text();
  return {
    status: res.status,
    text,
    body: JSON.parse(text) as { error?: { code: string; message: string; field?: string } } & Record<
      string,
      unknown
    >,
  };
}

const bodyOf = (line: unknown, archive: Buffer) =>
  Buffer.concat([Buffer.from(`${JSON.stringify(line)}\n`), archive]);
const benchIsEmpty = async () => expect(await readdir(benchRoot)).toEqual([]);

describe("the workbench: a stopped session's saved workspace", () => {
  it("shows the changes and pushes them with a pull request, the token in no answer; nothing is left behind", async () => {
    const { id, url, remote, base, archive, line } = await stoppedSession();
    const changes = await bench(id, "changes", bodyOf(line, archive));
    expect(changes.status, changes.text).toBe(200);
    const [repo] = (changes.body as unknown as Changes).repos;
    expect(repo).toMatchObject({ url, branch: "main", baseCommit: base });
    expect(repo.files).toEqual([
      { path: "added.md", status: "added", additions: 1, deletions: 0, binary: false },
      { path: "keep.txt", status: "modified", additions: 1, deletions: 1, binary: false },
    ]);
    expect(repo.diff).toContain("-two\n+TWO\n");
    await benchIsEmpty();

    const push = {
      branch: "tandem/after-stop",
      message: "From the saved workspace",
      pullRequest: { title: "After stop" },
    };
    const pushed = await bench(id, "push", bodyOf({ ...line, push }, archive));
    expect(pushed.status, pushed.text).toBe(200);
    expect(pushed.body).toMatchObject({ repo: url, branch: "tandem/after-stop" });
    const commit = String(pushed.body.commit);
    expect(run(remote, "rev-parse", "refs/heads/tandem/after-stop")).toBe(commit);
    expect(run(remote, "rev-parse", `${commit}^`)).toBe(base);
    expect(run(remote, "show", `${commit}:added.md`)).toBe("# added while running");
    expect(github.pulls.at(-1)).toMatchObject({
      body: { title: "After stop", head: "tandem/after-stop", base: "main" },
      authorization: `Bearer ${TOKEN}`,
    });
    expect(pushed.body.pullRequestUrl).toBe(
      `${github.url}/acme/${url.split("/").pop()!.replace(".git", "")}/pull/${github.pulls.length}`,
    );

    // Refusals answer as the live route does, redacted: GitHub's error quoting the token.
    github.failNextPull(500, `token ${TOKEN} may not open pull requests`);
    const quoting = await bench(
      id,
      "push",
      bodyOf({ ...line, push: { ...push, branch: "tandem/again" } }, archive),
    );
    expect([quoting.status, quoting.body.error?.code]).toEqual([502, "github_error"]);
    expect(quoting.body.error?.message).toContain("may not open pull requests");
    const noToken = await bench(
      id,
      "push",
      bodyOf({ ...line, secrets: {}, push: { ...push, branch: "tandem/x" } }, archive),
    );
    expect([noToken.status, noToken.body.error?.code]).toEqual([400, "github_token_missing"]);
    expect(JSON.stringify([changes, pushed, quoting, noToken])).not.toContain(TOKEN);
    await benchIsEmpty();
  });

  it("a bad first line is a 400 naming the field; a bad archive a 400 bad_archive; nothing is left behind", async () => {
    const { id, archive, line } = await stoppedSession();
    // Answered at once, though the client is still sending a large body.
    const notJSON = await bench(
      id,
      "changes",
      Buffer.concat([Buffer.from("not json\n"), randomBytes(ARCHIVE_MAX - 1024)]),
    );
    expect([notJSON.status, notJSON.body.error?.code]).toEqual([400, "invalid_input"]);
    const noRepos = await bench(id, "changes", bodyOf({ secrets: {} }, archive));
    expect([noRepos.status, noRepos.body.error?.field]).toEqual([400, "repos"]);
    const unknown = await bench(id, "changes", bodyOf({ ...line, extra: true }, archive));
    expect(unknown.status).toBe(400);
    const noPush = await bench(id, "push", bodyOf(line, archive));
    expect([noPush.status, noPush.body.error?.field]).toEqual([400, "push"]);
    const noLine = await bench(id, "changes", Buffer.alloc(WORKBENCH_LINE_MAX_BYTES + 10, "a"));
    expect([noLine.status, noLine.body.error?.code]).toEqual([400, "invalid_input"]);
    const badArchive = await bench(id, "changes", bodyOf(line, Buffer.from("this is not a tar.gz")));
    expect([badArchive.status, badArchive.body.error?.code]).toEqual([400, "bad_archive"]);
    expect(JSON.stringify([notJSON, noRepos, noPush, badArchive])).not.toContain(TOKEN);
    await benchIsEmpty();
  });

  it("a body over the cap is refused (413), declared or streamed; unsigned requests get nothing", async () => {
    const { id, line } = await stoppedSession();
    const huge = bodyOf(line, Buffer.alloc(ARCHIVE_MAX + WORKBENCH_LINE_MAX_BYTES, 7));
    const declared = await bench(id, "changes", huge);
    expect([declared.status, declared.body.error?.code]).toEqual([413, "too_large"]);
    // A real tar.gz (of random bytes, so it does not shrink) longer than the cap, sent without a length.
    const big = await tempDir("tandem-big-");
    await writeFile(path.join(big, "noise.bin"), randomBytes(ARCHIVE_MAX + WORKBENCH_LINE_MAX_BYTES + 8192));
    const gzipped = bodyOf(line, execFileSync("tar", ["-czf", "-", "-C", big, "."]));
    const chunks = [gzipped.subarray(0, 1000), gzipped.subarray(1000)];
    const stream = new ReadableStream<Uint8Array>({
      pull(controller) {
        const next = chunks.shift();
        if (next) controller.enqueue(new Uint8Array(next));
        else controller.close();
      },
    });
    const streamed = await bench(id, "changes", stream);
    expect([streamed.status, streamed.body.error?.code]).toEqual([413, "too_large"]);
    const unsigned = await fetch(`${host.url}${agentWorkbenchPath(id, "changes")}`, {
      method: "POST",
      body: "{}\n",
    });
    expect(unsigned.status).toBe(401);
    await benchIsEmpty();
  });
});
