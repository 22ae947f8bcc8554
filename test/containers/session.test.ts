/**
 * The production image under test: the Worker and its SessionRoom (in workerd) reach each session's agent
 * in a container of its own, started by the Docker runner from the image built from
 * containers/agent/Dockerfile, with what Cloudflare gives it (AGENT_KEY, port 8788, /workspace, the image's
 * non-root user). The agent here is Claude Code with the gateway's offline model, running its Bash inside
 * the container.
 */
import { env } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import { FAKE_GITHUB_TOKEN } from "../fakes/github";
import { signIn, uniqueName, workspaceWith, type Client } from "../worker/helpers";
import {
  createSession,
  eventually,
  transcriptOf,
  waitForAgentStatus,
  waitForPhase,
} from "../worker/session-helpers";
import type { ContainerFacts } from "./facts";

const skipped = env.TEST_CONTAINERS_SKIP ?? "";

const control = async <T>(path: string, body?: unknown): Promise<T> => {
  const res = await fetch(`${env.TEST_CONTROL_URL}${path}`, {
    method: body === undefined ? "GET" : "POST",
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  expect(res.status, await res.clone().text()).toBe(200);
  return (await res.json()) as T;
};
const containersOf = (id: string) =>
  control<{ containers: ContainerFacts[]; lastStartMs: number | null }>(
    `/sessions/${encodeURIComponent(id)}/containers`,
  );
const exec = (container: string, ...command: string[]) =>
  control<{ output: string }>(`/containers/${container}/exec`, command).then((r) => r.output);

type Events = { type: string; phase?: string; reason?: string; at: number }[];
const eventsOf = async (client: Client, ws: string, id: string) =>
  ((await (await client.api(`/api/workspaces/${ws}/sessions/${id}/events`)).json()) as { events: Events })
    .events;

/** Sends a message and waits for the Bash call it asks the offline model for; its output. */
async function runInSession(client: Client, ws: string, id: string, command: string): Promise<string> {
  const before = (await transcriptOf(client, ws, id))
    .flatMap((m) => m.blocks)
    .filter((b) => b.type === "tool_use").length;
  const res = await client.api(`/api/workspaces/${ws}/sessions/${id}/messages`, {
    body: { text: `/run ${command}` },
  });
  expect(res.status).toBe(202);
  const messages = await eventually(
    () => transcriptOf(client, ws, id),
    (m) =>
      m
        .flatMap((x) => x.blocks)
        .filter((b) => b.type === "tool_use" && (b.status === "done" || b.status === "error")).length >
      before,
    60_000,
  );
  const tool = messages.flatMap((m) => m.blocks).filter((b) => b.type === "tool_use")[before];
  expect(tool, String(tool.result)).toMatchObject({ name: "Bash", status: "done", isError: false });
  await waitForAgentStatus(client, ws, id, "idle");
  return String(tool.result);
}

async function workspaceWithGitHub(): Promise<{ owner: Client; ws: string }> {
  const owner = await signIn(uniqueName("owner"));
  const ws = await workspaceWith(owner);
  // The clone goes through the agent's credential helper, inside the container, to the fake GitHub.
  for (const [name, value] of [
    ["GITHUB_TOKEN", FAKE_GITHUB_TOKEN],
    ["GITHUB_API_URL", `${env.TEST_GITHUB_URL}/api/v3`],
  ]) {
    expect(
      (await owner.api(`/api/workspaces/${ws}/secrets/${name}`, { method: "PUT", body: { value } })).status,
    ).toBeLessThan(300);
  }
  return { owner, ws };
}

describe.skipIf(skipped)(
  skipped ? `sessions in containers (skipped: ${skipped})` : "sessions in containers of the production image",
  () => {
    it("create → Running → bash in the container → Stop → Resume into a new container from R2 → Delete leaves no container", async () => {
      const { owner, ws } = await workspaceWithGitHub();
      const createdAt = Date.now();
      const { id } = await createSession(owner, ws, {
        repos: [{ url: env.TEST_REPO_URL, branch: "main" }],
        timeoutSeconds: 600,
      });
      const path = `/api/workspaces/${ws}/sessions/${id}`;
      await waitForPhase(owner, ws, id, "Running", 120_000);
      const toRunning = Date.now() - createdAt;

      // One container, from the image as Cloudflare runs it: its user, its env and nothing of this machine's.
      const [first] = (await containersOf(id)).containers;
      const coldStart = (await containersOf(id)).lastStartMs;
      // The host runs as root; Claude Code and the agent's commands as `node` (AGENT_CLI_USER).
      expect(first).toMatchObject({
        running: true,
        user: "root",
        workingDir: "/app",
        publishedOn: ["127.0.0.1"],
        memoryBytes: 4 * 1024 ** 3,
      });
      expect(first.agentKey?.length).toBeGreaterThanOrEqual(43);
      expect(first.agentKey).not.toBe(env.AGENT_KEY);
      expect(first.envNames).not.toContain("DOCKER_HOST");
      expect(first.envNames).not.toContain("HOME");
      expect(await exec(first.id, "sh", "-c", "echo $HOME")).toBe("/root");

      // The agent's bash runs in the container, in /workspace, as the image's user, on the clone.
      const output = await runInSession(
        owner,
        ws,
        id,
        "id -un; pwd; git -C app log --format=%s; cat /proc/1/cmdline | tr '\\0' ' '",
      );
      expect(output).toContain("node\n/workspace\nfirst");
      expect(output).toContain("tini");
      // The host's environment (its link key) is not the agent's to read: another user's /proc/<pid>/environ.
      const count = (name: string) =>
        `$(cat /proc/[0-9]*/environ 2>/dev/null | tr '\\0' '\\n' | grep -c '^${name}=')`;
      const environs = await runInSession(owner, ws, id, `echo ${count("AGENT_KEY")} ${count("WORKSPACE")}`);
      const [hostKeys, ownVariables] = environs.trim().split(" ").map(Number);
      expect(ownVariables, environs).toBeGreaterThan(0);
      expect(hostKeys, environs).toBe(0);
      // The toolchains a project's tests need, in the agent's own commands (a clean environment, no network).
      let tools = await runInSession(
        owner,
        ws,
        id,
        [
          "git --version",
          "rg --version | head -1",
          "curl --version | head -1",
          "jq --version",
          "make --version | head -1",
          "printf 'int main(void){return 0;}' | gcc -x c - -o /tmp/c && /tmp/c && echo c-ok",
          "node --version",
          "echo npm $(npm --version)",
          "echo pnpm $(pnpm --version)",
          "echo yarn $(yarn --version)",
        ].join(" && "),
      );
      // Each of these has the bash tool's 30 s to itself: a venv alone can take 10 s on a loaded machine.
      tools += await runInSession(owner, ws, id, "python3 -m venv /tmp/venv && /tmp/venv/bin/pip --version");
      tools += await runInSession(
        owner,
        ws,
        id,
        `printf 'package main\\nfunc main() { println("go-ok") }\\n' > /tmp/m.go && go run /tmp/m.go 2>&1 && go version`,
      );
      for (const expected of [
        /git version/,
        /ripgrep \d/,
        /curl \d/,
        /jq-\d/,
        /GNU Make/,
        /c-ok/,
        /pip \d+.*venv/,
        /v22\./,
        /npm \d/,
        /pnpm \d+\./,
        /yarn \d+\./,
        /go-ok/,
        /go version go1/,
      ]) {
        expect(tools).toMatch(expected);
      }
      // In a subshell: Claude Code's Bash keeps its working directory from one call to the next.
      const edit = await runInSession(
        owner,
        ws,
        id,
        "(cd app && echo 'Edited in a container.' >> README.md && git -c user.name=Agent -c user.email=agent@example.com commit -qam 'edit in the container' && git log --format=%s)",
      );
      expect(edit).toContain("edit in the container\nfirst");
      await runInSession(owner, ws, id, "echo 'not committed' > app/DRAFT.md");

      // Stop: the workspace goes to R2 and the container is stopped and removed.
      const stopAt = Date.now();
      expect((await owner.api(`${path}/stop`, { method: "POST" })).status).toBe(202);
      await waitForPhase(owner, ws, id, "Stopped", 30_000);
      await eventually(
        () => containersOf(id),
        (c) => c.containers.length === 0,
        30_000,
      );
      const stopToGone = Date.now() - stopAt;

      // A push of the stopped session's changes: the workbench starts a container for that one answer, and
      // it stops again once answered (a saved workspace pins no container until its sleep timeout).
      const pushed = await owner.api(`${path}/push`, { body: { branch: "tandem/from-the-workbench" } });
      expect(pushed.status, await pushed.clone().text()).toBe(200);
      await eventually(
        () => containersOf(id),
        (c) => c.containers.length === 0,
        30_000,
      );

      // Resume: a new container, the workspace restored from the archive, not cloned again.
      const resumeAt = Date.now();
      expect((await owner.api(`${path}/resume`, { method: "POST" })).status).toBe(202);
      await waitForPhase(owner, ws, id, "Running", 120_000);
      const resumeToRunning = Date.now() - resumeAt;
      const [second] = (await containersOf(id)).containers;
      expect(second.id).not.toBe(first.id);
      const after = await runInSession(
        owner,
        ws,
        id,
        "cat app/README.md app/DRAFT.md; git -C app log --format=%s; git -C app status --short",
      );
      expect(after).toContain("Edited in a container.\nnot committed\nedit in the container\nfirst");
      expect(after).toContain("?? DRAFT.md");
      const events = await eventsOf(owner, ws, id);
      const resumed = events.findIndex(
        (e) => e.type === "phase" && e.phase === "Pending" && e.at >= resumeAt,
      );
      const clones = events.filter((e) => e.type === "progress" && /cloning/.test(e.reason ?? ""));
      expect(clones.length).toBe(1);
      expect(events.indexOf(clones[0])).toBeLessThan(resumed);

      // Delete: no container of the session is left, running or not.
      expect((await owner.api(path, { method: "DELETE" })).status).toBe(204);
      expect((await containersOf(id)).containers).toEqual([]);
      console.log(
        `[containers] create → Running ${toRunning} ms (container start → agent ready ${coldStart} ms); stop → container gone ${stopToGone} ms; resume → Running in a new container ${resumeToRunning} ms`,
      );
    });

    it("a warm start in a new container: the second session restores what the first one's setup left, and skips it", async () => {
      const { owner, ws } = await workspaceWithGitHub();
      // Real work in the image's toolchain: a Python venv, and a value the warm start must bring back.
      // The setup runs as the agent's user with a HOME it can write (npm's cache) and the image's pnpm.
      const setupScript =
        'python3 -m venv .venv\n.venv/bin/python --version\ndate +%s%N > built.txt\nid -un\nnpm cache ls >/dev/null 2>&1; touch "$HOME/.written" && echo home-ok\necho pnpm $(pnpm --version)';
      expect(
        (
          await owner.api(`/api/workspaces/${ws}/environment`, {
            method: "PUT",
            body: { setupScript, env: { STAGE: "containers" } },
          })
        ).status,
      ).toBe(200);
      const timed = async () => {
        const at = Date.now();
        const { id } = await createSession(owner, ws, {
          repos: [{ url: env.TEST_REPO_URL, branch: "main" }],
          timeoutSeconds: 600,
        });
        await waitForPhase(owner, ws, id, "Running", 180_000);
        const ms = Date.now() - at;
        const [container] = (await containersOf(id)).containers;
        return { id, ms, container, built: await exec(container.id, "cat", "/workspace/built.txt") };
      };
      const cold = await timed();
      const setup = (await transcriptOf(owner, ws, cold.id))
        .flatMap((m) => m.blocks)
        .find((b) => b.type === "setup");
      expect(setup).toMatchObject({ source: "workspace setup script", status: "done" });
      // The setup ran in the container as the image's user.
      expect(setup?.text).toContain("node");
      expect(setup?.text).toContain("home-ok");
      expect(setup?.text).toMatch(/pnpm \d+\./);
      const warm = await timed();
      expect(warm.container.id).not.toBe(cold.container.id);
      expect(warm.built).toBe(cold.built);
      expect(
        await exec(warm.container.id, "test", "-x", "/workspace/.venv/bin/python").then(() => true),
      ).toBe(true);
      expect((await eventsOf(owner, ws, warm.id)).some((e) => e.type === "environment_restored")).toBe(true);
      const steps = async (id: string) => {
        const events = await eventsOf(owner, ws, id);
        return events
          .map((e) => `${e.at - events[0].at} ms ${e.type}${e.reason ? ` (${e.reason.slice(0, 40)})` : ""}`)
          .join("; ");
      };
      console.log(
        `[containers] environment: cold setup (venv) create → Running ${cold.ms} ms; warm start ${warm.ms} ms`,
      );
      console.log(`[containers] cold: ${await steps(cold.id)}\n[containers] warm: ${await steps(warm.id)}`);
      for (const id of [cold.id, warm.id])
        expect((await owner.api(`/api/workspaces/${ws}/sessions/${id}`, { method: "DELETE" })).status).toBe(
          204,
        );
    });

    it("a session whose container cannot start fails with the reason: the image missing, Docker gone", async () => {
      const { owner, ws } = await workspaceWithGitHub();
      await control("/runner/image", { image: "tandem-agent:missing" });
      try {
        const { id } = await createSession(owner, ws, {});
        await waitForPhase(owner, ws, id, "Failed", 60_000);
        const failed = (await eventsOf(owner, ws, id)).find(
          (e) => e.type === "phase" && e.phase === "Failed",
        );
        expect(failed?.reason).toMatch(
          /container could not start.*(No such image|pull access denied|not found)/is,
        );
        expect((await containersOf(id)).containers).toEqual([]);
      } finally {
        await control("/runner/image", { image: null });
      }
      await control("/runner/engine", { gone: true });
      try {
        const { id } = await createSession(owner, ws, {});
        await waitForPhase(owner, ws, id, "Failed", 60_000);
        const failed = (await eventsOf(owner, ws, id)).find(
          (e) => e.type === "phase" && e.phase === "Failed",
        );
        expect(failed?.reason).toMatch(/container could not start.*Cannot connect to the Docker daemon/is);
      } finally {
        await control("/runner/engine", { gone: false });
      }
    });
  },
);
