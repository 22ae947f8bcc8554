/**
 * The environment of a workspace end to end (SPEC §10): the room, the real agent host and a sample
 * repository with its own `.tandem/setup.sh`. A cold setup runs both scripts (a Python venv: real work),
 * a warm start restores what they left and skips them, a changed script or a new commit runs them again; a
 * failing setup fails the session with the log's tail; the timeout and Stop reach a setup that runs.
 */
import { env, runDurableObjectAlarm, runInDurableObject } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { ENVIRONMENTS_KEPT, environmentsPrefix } from "../../worker/protocol/environment";
import type { SessionRecord } from "../../worker/session/record";
import { signIn, uniqueName, workspaceWith, type Client } from "../worker/helpers";
import {
  createSession,
  eventsOf,
  eventually,
  getSession,
  roomStub,
  transcriptOf,
  waitForPhase,
  STOPPED_WITHIN_MS,
} from "../worker/session-helpers";

const control = async (path: string, body?: unknown) =>
  (
    await fetch(`${env.TEST_CONTROL_URL}${path}`, {
      method: "POST",
      body: body === undefined ? undefined : JSON.stringify(body),
    })
  ).json();

type Block = {
  type: string;
  text?: string;
  source?: string;
  status?: string;
  exitCode?: number | null;
  result?: string;
  [k: string]: unknown;
};
const setupBlocks = async (client: Client, ws: string, id: string) =>
  (await transcriptOf(client, ws, id)).flatMap((m) => m.blocks as Block[]).filter((b) => b.type === "setup");

const SECRET = "setup-secret-0123456789";
/** Real work (a venv), a value the warm start must bring back, the workspace's variable and an agent secret. */
const SETUP = [
  'echo "setting up for $GREETING"',
  "python3 -m venv .venv",
  '.venv/bin/python -c "import sys; print(sys.prefix)"',
  "date +%s%N > built.txt",
  'echo "the token is $SETUP_TOKEN"',
].join("\n");

async function workspace() {
  const owner = await signIn(uniqueName("owner"));
  const ws = await workspaceWith(owner);
  expect(
    (await owner.api(`/api/workspaces/${ws}/secrets/SETUP_TOKEN`, { method: "PUT", body: { value: SECRET } }))
      .status,
  ).toBe(204);
  const setEnvironment = async (setupScript: string) =>
    expect(
      (
        await owner.api(`/api/workspaces/${ws}/environment`, {
          method: "PUT",
          body: { setupScript, env: { GREETING: "hello" } },
        })
      ).status,
    ).toBe(200);
  return { owner, ws, setEnvironment };
}

/** The files of a gzipped tar (ustar headers), by name without `./`: what a saved workspace holds. */
async function filesOf(archive: ReadableStream<Uint8Array>): Promise<Map<string, string>> {
  const bytes = new Uint8Array(
    await new Response(archive.pipeThrough(new DecompressionStream("gzip"))).arrayBuffer(),
  );
  const files = new Map<string, string>();
  const field = (at: number, length: number) =>
    new TextDecoder().decode(bytes.subarray(at, at + length)).replace(/\0.*$/s, "");
  for (let at = 0; at + 512 <= bytes.length && bytes[at] !== 0;) {
    const name = `${field(at + 345, 155) ? `${field(at + 345, 155)}/` : ""}${field(at, 100)}`.replace(
      /^\.\//,
      "",
    );
    const size = parseInt(field(at + 124, 12).trim() || "0", 8);
    if (field(at + 156, 1) === "0" || field(at + 156, 1) === "")
      files.set(name, new TextDecoder().decode(bytes.subarray(at + 512, at + 512 + size)));
    at += 512 + Math.ceil(size / 512) * 512;
  }
  return files;
}

/** A session on the sample repository; once Running, what its saved workspace holds (the setup's files). */
async function session(owner: Client, ws: string) {
  const started = Date.now();
  const { id } = await createSession(owner, ws, { repos: [{ url: env.TEST_ENV_REPO_URL, branch: "main" }] });
  await waitForPhase(owner, ws, id, "Running", 60_000);
  const ms = Date.now() - started;
  // The workspace is saved once cloned (and set up): a resume never clones again.
  await eventually(
    () => getSession(owner, ws, id),
    (s) => s.savedWorkspace !== null,
    20_000,
  );
  const saved = await env.ARTIFACTS.get(`sessions/${id}/workspace.tar.gz`);
  const files = await filesOf(saved!.body);
  return { id, ms, files, setups: await setupBlocks(owner, ws, id), events: await eventsOf(owner, ws, id) };
}

describe("the environment of a workspace", () => {
  it(
    "runs the setup cold, restores it warm, and runs it again for a changed script or a new commit",
    { timeout: 240_000 },
    async () => {
      const { owner, ws, setEnvironment } = await workspace();
      await setEnvironment(SETUP);

      const environments = async () =>
        (await env.ARTIFACTS.list({ prefix: environmentsPrefix(ws) })).objects.map((o) => o.key);
      const cold = await session(owner, ws);
      const [first] = await eventually(environments, (keys) => keys.length === 1, 10_000);
      expect(cold.setups.map((b) => [b.source, b.status, b.exitCode])).toEqual([
        ["workspace setup script", "done", 0],
        ["envapp/.tandem/setup.sh", "done", 0],
      ]);
      const output = cold.setups[0].text!;
      expect(output).toContain("setting up for hello");
      expect(output).toContain(".venv");
      // The secret was in the setup's environment, and is redacted from its output like any output.
      expect(output).toContain("the token is [redacted]");
      expect(JSON.stringify(await transcriptOf(owner, ws, cold.id))).not.toContain(SECRET);
      expect(cold.setups[1].text).toMatch(/repo setup at [0-9a-f]{7}/);
      const built = cold.files.get("built.txt");
      expect(built).toMatch(/^\d{10,}/);
      expect(cold.files.has(".venv/pyvenv.cfg")).toBe(true);

      const warm = await session(owner, ws);
      expect(warm.setups.map((b) => [b.source, b.status])).toEqual([["environment", "restored"]]);
      expect(warm.setups[0].text).toContain("environment restored");
      expect(warm.events.some((e) => e.type === "environment_restored")).toBe(true);
      // The files the cold setup left, not a second run's.
      expect(warm.files.get("built.txt")).toBe(built);
      expect(warm.files.has(".venv/pyvenv.cfg")).toBe(true);
      console.log(
        `environment: cold setup (venv + repo script) create → Running ${cold.ms} ms; warm start ${warm.ms} ms`,
      );

      // A changed script runs again.
      await setEnvironment(`${SETUP}\necho changed`);
      const changed = await session(owner, ws);
      expect(changed.setups.map((b) => b.status)).toEqual(["done", "done"]);
      expect(changed.files.get("built.txt")).not.toBe(built);

      // A new commit runs it again, and the repository's own script sees that commit.
      const { commit } = (await control("/repo/env/commit")) as { commit: string };
      const moved = await session(owner, ws);
      expect(moved.setups.map((b) => b.status)).toEqual(["done", "done"]);
      expect(moved.files.get("repo-setup-ran")).toBe(commit);
      // Three set up (the warm start made none): all kept.
      expect(await eventually(environments, (keys) => keys.length === 3, 10_000)).toContain(first);

      // One commit more: a fourth environment, and the workspace keeps the newest three.
      await control("/repo/env/commit");
      const fourth = await session(owner, ws);
      expect(fourth.setups.map((b) => b.status)).toEqual(["done", "done"]);
      const kept = await eventually(environments, (keys) => !keys.includes(first), 10_000);
      expect(kept).toHaveLength(ENVIRONMENTS_KEPT);
    },
  );

  it("fails the session with the log's tail when the setup exits non-zero", { timeout: 60_000 }, async () => {
    const { owner, ws, setEnvironment } = await workspace();
    await setEnvironment(
      'echo "first line"\nfor i in $(seq 1 300); do echo "noise $i"; done\necho "npm ERR! missing script: build" >&2\nexit 3',
    );
    const { id } = await createSession(owner, ws, {
      repos: [{ url: env.TEST_ENV_REPO_URL, branch: "main" }],
    });
    await waitForPhase(owner, ws, id, "Failed", 30_000).catch(async (e) => {
      console.log(
        JSON.stringify(await eventsOf(owner, ws, id)),
        JSON.stringify(await transcriptOf(owner, ws, id)),
      );
      throw e;
    });
    const failed = (await eventsOf(owner, ws, id)).find((e) => e.phase === "Failed")!;
    expect(failed.reason).toContain("the workspace setup script exited with 3");
    expect(failed.reason).toContain("npm ERR! missing script: build");
    // The tail, not the whole log.
    expect(failed.reason).not.toContain("first line");
    const [block] = await setupBlocks(owner, ws, id);
    expect(block).toMatchObject({ status: "error", exitCode: 3 });
    expect(block.text).toContain("first line");
    // The repository's own script did not run after the failure.
    expect((await setupBlocks(owner, ws, id)).length).toBe(1);
  });

  it("stops a setup within 2 s, its whole process tree killed", { timeout: 60_000 }, async () => {
    const { owner, ws, setEnvironment } = await workspace();
    const marker = `${Math.floor(Math.random() * 1000) + 4000}.17`;
    await setEnvironment(`echo started\n(setsid sleep ${marker} &)\nsleep ${marker}`);
    const { id } = await createSession(owner, ws, {
      repos: [{ url: env.TEST_ENV_REPO_URL, branch: "main" }],
    });
    await eventually(
      () => setupBlocks(owner, ws, id),
      (b) => b.some((x) => x.text?.includes("started")),
      30_000,
    );
    await eventually(
      () => control("/processes", { marker: `sleep${"\0"}${marker}` }) as Promise<{ count: number }>,
      (r) => r.count === 2,
    );
    const asked = Date.now();
    expect((await owner.api(`/api/workspaces/${ws}/sessions/${id}/stop`, { method: "POST" })).status).toBe(
      202,
    );
    await waitForPhase(owner, ws, id, "Stopped", STOPPED_WITHIN_MS + 1000);
    const took = Date.now() - asked;
    expect(took).toBeLessThan(STOPPED_WITHIN_MS);
    expect(
      ((await control("/processes", { marker: `sleep${"\0"}${marker}` })) as { count: number }).count,
    ).toBe(0);
    expect((await setupBlocks(owner, ws, id))[0]).toMatchObject({ status: "stopped" });
    console.log(`environment: stop during setup → Stopped in ${took} ms`);
  });

  it(
    "fails a setup that runs past the session's timeout with reason timeout",
    { timeout: 60_000 },
    async () => {
      const { owner, ws, setEnvironment } = await workspace();
      const marker = `${Math.floor(Math.random() * 1000) + 5000}.23`;
      await setEnvironment(`echo started\nsleep ${marker}`);
      const { id } = await createSession(owner, ws, {
        repos: [{ url: env.TEST_ENV_REPO_URL, branch: "main" }],
        timeoutSeconds: 60,
      });
      await eventually(
        () => setupBlocks(owner, ws, id),
        (b) => b.some((x) => x.text?.includes("started")),
        30_000,
      );
      // The run's budget is spent, as a long setup would spend it; the alarm then runs for real.
      await runInDurableObject(roomStub(id), (_room, state) => {
        const record = JSON.parse(
          String(state.storage.sql.exec(`SELECT value FROM meta WHERE key = 'session'`).one().value),
        ) as SessionRecord;
        record.activeSince = Date.now() - 61_000;
        state.storage.sql.exec(`UPDATE meta SET value = ? WHERE key = 'session'`, JSON.stringify(record));
      });
      await runInDurableObject(roomStub(id), (_room, state) => state.abort("restart")).catch(() => undefined);
      expect(await runDurableObjectAlarm(roomStub(id))).toBe(true);
      await waitForPhase(owner, ws, id, "Failed", 15_000);
      expect((await eventsOf(owner, ws, id)).find((e) => e.phase === "Failed")).toMatchObject({
        reason: "timeout",
      });
      await eventually(
        () => control("/processes", { marker: `sleep${"\0"}${marker}` }) as Promise<{ count: number }>,
        (r) => r.count === 0,
      );
    },
  );
});
