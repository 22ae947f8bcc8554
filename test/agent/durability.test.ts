/**
 * What keeps a session's work on the agent side: incarnations, the workspace archive (made, served,
 * restored instead of a clone) in the local host's layout and the container's (one fixed workspace),
 * stop within 2 s mid-stream, and non-interactive completion.
 */
import { execFileSync } from "node:child_process";
import { readFile, writeFile } from "node:fs/promises";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { AgentHost } from "../../containers/agent/server";
import { INCARNATION_HEADER } from "@tandem/protocol/agent";
import {
  CONFIG,
  DoClient,
  HOST_KEY,
  linkHeaders,
  makeBareRepo,
  removeTempDirs,
  testHost,
  startFrame,
  tempDir,
  until,
  STOPPED_WITHIN_MS,
} from "./helpers";

let host: AgentHost;
let container: AgentHost;
let containerWorkspace: string;
let counter = 0;
const newId = () => `durable-${++counter}`;

beforeAll(async () => {
  // The archive tests wait for a stopped session to go: a short grace.
  host = await testHost({ graceMs: 150, offlineTokenDelayMs: 1 });
  containerWorkspace = await tempDir("tandem-container-ws-");
  container = await testHost({ workspace: containerWorkspace, graceMs: 150, offlineTokenDelayMs: 1 });
});
afterAll(async () => {
  await host.close();
  await container.close();
  await removeTempDirs();
});

async function open(on: AgentHost, id: string, overrides: Parameters<typeof startFrame>[1] = {}) {
  const client = await DoClient.connect(on.url, id);
  client.send(startFrame(id, overrides));
  return client;
}

const incarnationOf = (client: DoClient) => client.hellos.at(-1)!.incarnation;

/** What the DO does with an archive: GET it from the incarnation that made it. */
async function pullArchive(on: AgentHost, id: string, incarnation: string): Promise<ArrayBuffer> {
  const res = await fetch(`${on.url}/sessions/${id}/workspace`, {
    headers: { ...(await linkHeaders(id)), [INCARNATION_HEADER]: incarnation },
  });
  expect(res.status).toBe(200);
  expect(res.headers.get("content-type")).toBe("application/gzip");
  return res.arrayBuffer();
}

async function pushArchive(
  on: AgentHost,
  id: string,
  incarnation: string,
  archive: ArrayBuffer,
): Promise<Response> {
  return fetch(`${on.url}/sessions/${id}/workspace`, {
    method: "PUT",
    headers: { ...(await linkHeaders(id)), [INCARNATION_HEADER]: incarnation },
    body: archive,
  });
}

async function say(client: DoClient, seq: number, text: string): Promise<void> {
  client.send({ type: "user_message", seq, text, author: "alice" });
  await client.waitFor((f) => f.type === "turn_end", `turn ${seq}`, seq);
  await client.waitForStatus("idle", seq + 1);
}

const git = (cwd: string, ...args: string[]) => execFileSync("git", args, { cwd, encoding: "utf8" }).trim();

describe("agent incarnations", () => {
  // Its own host, whose grace outlasts a reconnect on a busy CI run (150 ms did not, once).
  let patient: AgentHost;
  beforeAll(async () => {
    patient = await testHost({ graceMs: 30_000, offlineTokenDelayMs: 1 });
  });
  afterAll(async () => {
    await patient.close();
  });

  it("says hello on every attach; a start naming an incarnation it no longer runs begins a new one from seq 1", async () => {
    const host = patient;
    const id = newId();
    const first = await open(host, id);
    await first.waitForStatus("idle");
    expect(first.hellos).toEqual([{ type: "hello", incarnation: expect.any(String), needsWorkspace: false }]);
    const known = incarnationOf(first);
    await first.close();

    const again = await open(host, id, { incarnation: known, ackedUpTo: 1 });
    await until(() => again.hellos[0], "hello");
    expect(incarnationOf(again)).toBe(known);
    await again.close();

    // The DO asks for an incarnation from before a host restart: a new one answers, numbering from 1.
    const other = await open(host, id, { incarnation: "gone-with-the-old-process", ackedUpTo: 40 });
    await other.waitForStatus("idle");
    expect(incarnationOf(other)).not.toBe(known);
    expect(other.frames[0].seq).toBe(1);
    expect(other.of("ready")).toHaveLength(1);
    await other.close();
  });
});

describe.each([
  ["the local host (a directory per session)", () => host],
  ["the container layout (one fixed AGENT_WORKSPACE)", () => container],
])("the workspace archive in %s", (_layout, which) => {
  it("saves a cloned repository after cloning and after an edit; a resumed agent restores it instead of cloning", async () => {
    const on = which();
    const repo = await makeBareRepo("app");
    const id = newId();
    const first = await open(on, id, { repos: [{ url: repo.url, branch: "main" }] });
    await first.waitForStatus("idle");
    // What was cloned is archived before ready.
    const types = first.frames.map((f) => f.type);
    expect(types.indexOf("workspace_archive")).toBeLessThan(types.indexOf("ready"));
    const workspace = on.sessions.get(id)!.workspace;

    await say(
      first,
      1,
      "/run echo 'an uncommitted edit' >> app/README.md && mkdir -p artifacts && echo report > artifacts/report.md",
    );
    const archived = first.of("workspace_archive").at(-1)!;
    expect(archived).toMatchObject({ overLimit: false, size: expect.any(Number) });
    const archive = await pullArchive(on, id, incarnationOf(first));
    expect(archive.byteLength).toBe(archived.size);
    const wrong = await fetch(`${on.url}/sessions/${id}/workspace`, {
      headers: { ...(await linkHeaders(id)), [INCARNATION_HEADER]: "someone-else" },
    });
    expect(wrong.status).toBe(409);

    first.send({ type: "stop" });
    await first.waitFor((f) => f.type === "stopped", "stopped");
    await first.close();
    await until(() => (on.sessions.has(id) ? undefined : true), "first incarnation gone");
    // The container keeps its files across runs; restoring must replace them, not clone over them.
    if (on === container) await writeFile(path.join(workspace, "stale.txt"), "from an earlier run");

    const resumed = await open(on, id, { repos: [{ url: repo.url, branch: "main" }], restore: true });
    const hello = await until(() => resumed.hellos[0], "hello");
    expect(hello.needsWorkspace).toBe(true);
    expect(resumed.of("ready")).toHaveLength(0);
    expect((await pushArchive(on, id, "not-this-one", archive)).status).toBe(409);
    const put = await pushArchive(on, id, hello.incarnation, archive);
    expect(put.status).toBe(204);
    await resumed.waitForStatus("idle");
    expect(resumed.of("progress").map((f) => f.step)).toEqual(["restore", "agent"]);
    expect(resumed.of("workspace_archive")).toHaveLength(0);
    expect((await pushArchive(on, id, hello.incarnation, archive)).status).toBe(409);

    const restored = on.sessions.get(id)!.workspace;
    expect(await readFile(path.join(restored, "app/README.md"), "utf8")).toContain("an uncommitted edit");
    expect(await readFile(path.join(restored, "artifacts/report.md"), "utf8")).toBe("report\n");
    expect(git(path.join(restored, "app"), "log", "--format=%s")).toBe("first");
    expect(git(path.join(restored, "app"), "status", "--porcelain")).toBe("M README.md");
    expect(await readFile(path.join(restored, "stale.txt"), "utf8").catch(() => null)).toBeNull();
    await resumed.close();
  });

  it("a fresh run clones into a workspace that still holds files (no `destination path already exists`)", async () => {
    const on = which();
    const repo = await makeBareRepo("again");
    const id = newId();
    const first = await open(on, id, { repos: [{ url: repo.url }] });
    await first.waitForStatus("idle");
    first.send({ type: "stop" });
    await first.waitFor((f) => f.type === "stopped", "stopped");
    await first.close();
    await until(() => (on.sessions.has(id) ? undefined : true), "first incarnation gone");

    const second = await open(on, id, { repos: [{ url: repo.url }] });
    await second.waitForStatus("idle");
    expect(second.of("error")).toEqual([]);
    await second.close();
  });
});

describe("stop and completion", () => {
  it("stop in the middle of a long streamed reply: stopped within 2 s, the partial reply kept", async () => {
    const slow = await testHost({ graceMs: 150, offlineTokenDelayMs: 5 });
    try {
      const id = newId();
      const client = await open(slow, id);
      await client.waitForStatus("idle");
      client.send({
        type: "user_message",
        seq: 1,
        text: Array.from({ length: 2000 }, (_, i) => `word${i}`).join(" "),
        author: "alice",
      });
      await client.waitFor((f) => f.type === "text_delta", "deltas", 20);
      const stoppedAt = Date.now();
      client.send({ type: "stop" });
      await client.waitFor((f) => f.type === "stopped", "stopped");
      expect(Date.now() - stoppedAt).toBeLessThan(STOPPED_WITHIN_MS);
      const streamed = client
        .of("text_delta")
        .map((f) => f.text)
        .join("");
      expect(streamed.length).toBeGreaterThan(20);
      expect(streamed).not.toContain("word1999");
      // Claude Code's conversation changed with the turn: it is saved (with the workspace) for a resume.
      expect(
        client.frames
          .filter((f) => f.type !== "usage")
          .slice(-5)
          .map((f) => f.type),
      ).toEqual(["turn_end", "progress", "workspace_archive", "status", "stopped"]);
      await client.close();
    } finally {
      await slow.close();
    }
  });

  it("a non-interactive session completes when a turn ends with nothing queued", async () => {
    const id = newId();
    const client = await open(host, id, { config: { ...CONFIG, interactive: false } });
    await client.waitForStatus("idle");
    expect(client.of("completed")).toHaveLength(0); // no turn yet, nothing to complete
    client.send({ type: "user_message", seq: 1, text: "/write notes.md done", author: "trigger" });
    await client.waitFor((f) => f.type === "completed", "completed");
    expect(client.frames.slice(-5).map((f) => f.type)).toEqual([
      "turn_end",
      "progress",
      "workspace_archive",
      "status",
      "completed",
    ]);
    expect(client.frames.at(-4)).toMatchObject({ type: "progress", step: "save" });
    await client.close();
  });

  it("reports an archive over the cap and keeps none", async () => {
    const small = await testHost({ archiveMaxBytes: 2048, graceMs: 150 });
    try {
      const id = newId();
      const client = await open(small, id);
      await client.waitForStatus("idle");
      await say(client, 1, "/run head -c 200000 /dev/urandom > noise.bin");
      const archived = client.of("workspace_archive")[0];
      expect(archived.overLimit).toBe(true);
      expect(archived.size).toBeGreaterThan(2048);
      const res = await fetch(`${small.url}/sessions/${id}/workspace`, {
        headers: { ...(await linkHeaders(id)), [INCARNATION_HEADER]: incarnationOf(client) },
      });
      expect(res.status).toBe(404);
      await client.close();
    } finally {
      await small.close();
    }
  });
});

describe("the workspace archive of a sparse file", () => {
  it("keeps a file's holes: a 1 GiB sparse file is archived and restored without writing 1 GiB", async () => {
    const { WorkspaceArchive } = await import("../../containers/agent/archive");
    const { stat } = await import("node:fs/promises");
    const { Readable } = await import("node:stream");
    const { createReadStream } = await import("node:fs");
    // A disk image, a core dump or a pre-sized database: mostly holes. Read as data, every turn's archive
    // reads all of it, and a restore writes all of it, filling a container's disk (a resume that always fails).
    const workspace = await tempDir("tandem-sparse-ws-");
    execFileSync("truncate", ["-s", "1G", path.join(workspace, "disk.img")]);
    await writeFile(path.join(workspace, "notes.txt"), "kept\n");
    const archive = new WorkspaceArchive({
      workspace,
      file: path.join(await tempDir("tandem-sparse-arch-"), "ws.tar.gz"),
      maxBytes: 1024 ** 3,
    });
    const { size, overLimit } = await archive.save();
    expect(overLimit).toBe(false);
    expect(size).toBeLessThan(1024 * 1024);

    const restoredInto = await tempDir("tandem-sparse-restored-");
    const target = new WorkspaceArchive({
      workspace: restoredInto,
      file: path.join(restoredInto, "..", "unused.tar.gz"),
      maxBytes: 1024 ** 3,
    });
    await target.restore(Readable.from(createReadStream(archive.file)));
    const restored = await stat(path.join(restoredInto, "disk.img"));
    expect(restored.size).toBe(1024 ** 3);
    expect(restored.blocks * 512).toBeLessThan(16 * 1024 * 1024);
    expect(await readFile(path.join(restoredInto, "notes.txt"), "utf8")).toBe("kept\n");
  }, 60_000);
});

describe("a slow workspace archive", () => {
  it("says it is saving when the archive starts and every few seconds while tar runs, then answers stopped", async () => {
    const { chmod, mkdir } = await import("node:fs/promises");
    // tar as slow as on a large workspace (node_modules, a build): 7 s for each archive it makes.
    const realTar = execFileSync("sh", ["-c", "command -v tar"], { encoding: "utf8" }).trim();
    const shims = await tempDir("tandem-slow-tar-");
    await mkdir(shims, { recursive: true });
    await writeFile(
      path.join(shims, "tar"),
      `#!/bin/sh\ncase "$*" in *-czf*) sleep 7;; esac\nexec ${realTar} "$@"\n`,
    );
    await chmod(path.join(shims, "tar"), 0o755);
    const id = newId();
    const client = await open(host, id);
    await client.waitForStatus("idle");
    const path0 = process.env.PATH;
    process.env.PATH = `${shims}:${path0}`;
    try {
      client.send({
        type: "user_message",
        seq: 1,
        text: "/run echo the turn's work > work.txt",
        author: "alice",
      });
      await client.waitFor((f) => f.type === "progress" && f.step === "save", "saving");
      client.send({ type: "stop" });
      await until(() => client.of("stopped")[0], "stopped", 20_000);
    } finally {
      process.env.PATH = path0;
    }
    const saving = client.frames.filter((f) => f.type === "progress" && f.step === "save");
    // At 0 s, 3 s and 6 s of a 7-second tar: never silent for as long as a stop's deadline (10 s).
    expect(saving.length).toBeGreaterThanOrEqual(3);
    const types = client.frames.map((f) => f.type);
    // The stop came while the turn's own save ran, with nothing run since: it waits for that save instead
    // of running a second tar beside it (two archives of 7 s each; the second's "saving" came after the first).
    expect(types.filter((type) => type === "workspace_archive")).toHaveLength(1);
    const last = types.lastIndexOf("workspace_archive");
    expect(last).toBeLessThan(types.indexOf("stopped"));
    expect(types.lastIndexOf("progress")).toBeLessThan(last);
    await client.close();
  }, 30_000);
});
