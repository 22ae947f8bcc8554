/**
 * The container suite's world: the agent image built from containers/agent/Dockerfile (once, cached by
 * its inputs), the Docker runner that starts each session's container from it (as Cloudflare Containers
 * would), a private repository on a fake GitHub that the containers reach on the Docker bridge, and a
 * control server the tests (inside workerd) use to look at the containers and to break the runner's image
 * or engine. Without Docker the suite is skipped with the reason, unless TANDEM_REQUIRE_DOCKER=1 (CI).
 */
import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { TestProject } from "vitest/node";
import { Docker } from "../../containers/runner/docker";
import { RUNNER_LABEL, SESSION_LABEL } from "../../containers/runner/containers";
import { startRunner } from "../../containers/runner/server";
import { agentImage, dockerHost, dockerUnavailable } from "../../scripts/containers/engine.mjs";
import { FAKE_GITHUB_TOKEN, startFakeGitHub } from "../fakes/github";
import { newAgentKey } from "@tandem/protocol/agent-auth";
import type { ContainerFacts } from "./facts";

declare module "vitest" {
  export interface ProvidedContext {
    containersSkipReason: string;
    containersRunnerURL: string;
    containersRunnerKey: string;
    containersControlPort: number;
    containersRepoURL: string;
    containersGitHubURL: string;
  }
}

function makeRepository(dir: string): string {
  const work = join(dir, "work");
  const git = (...args: string[]) => execFileSync("git", args, { cwd: work, stdio: "ignore" });
  execFileSync("git", ["init", "-q", "-b", "main", work]);
  writeFileSync(join(work, "README.md"), "# app\n\nA repository cloned into a container.\n");
  git("add", ".");
  git("-c", "user.name=Test", "-c", "user.email=test@example.com", "commit", "-q", "-m", "first");
  const bare = join(dir, "github", "acme", "app.git");
  execFileSync("git", ["clone", "-q", "--bare", work, bare]);
  return bare;
}

/** The host's address on Docker's default bridge: its Gateway, or (the engine leaves it unset) the subnet's first address. */
async function bridgeGateway(docker: Docker): Promise<string> {
  const [{ Gateway, Subnet }] = JSON.parse(
    await docker.run(["network", "inspect", "bridge", "--format", "{{json .IPAM.Config}}"]),
  ) as { Gateway?: string; Subnet: string }[];
  if (Gateway) return Gateway;
  const [network] = Subnet.split("/");
  return network.replace(/\.\d+$/, ".1");
}

export default async function setup(project: TestProject) {
  const host = dockerHost();
  const unavailable = dockerUnavailable(host);
  const provideNothing = (reason: string) => {
    project.provide("containersSkipReason", reason);
    for (const key of [
      "containersRunnerURL",
      "containersRunnerKey",
      "containersRepoURL",
      "containersGitHubURL",
    ] as const)
      project.provide(key, "");
    project.provide("containersControlPort", 0);
  };
  if (unavailable) {
    if (process.env.TANDEM_REQUIRE_DOCKER === "1")
      throw new Error(`the container suite needs Docker (TANDEM_REQUIRE_DOCKER=1): ${unavailable}`);
    console.warn(
      `[containers] skipped: ${unavailable} (scripts/containers/docker-up.sh starts one, as root)`,
    );
    provideNothing(unavailable);
    return;
  }

  const building = Date.now();
  const image = agentImage(host);
  console.log(`[containers] agent image ${image} ready in ${Date.now() - building} ms`);
  const docker = new Docker({ host });
  const gateway = await bridgeGateway(docker);

  const dir = mkdtempSync(join(tmpdir(), "tandem-containers-"));
  makeRepository(dir);
  // Listening on the bridge's gateway: the one address of this machine the containers reach.
  const github = await startFakeGitHub({
    root: join(dir, "github"),
    token: FAKE_GITHUB_TOKEN,
    host: gateway,
  });
  const runnerName = `test-${process.pid}`;
  const runnerKey = newAgentKey();
  const live = await startRunner({
    key: runnerKey,
    image,
    dockerHost: host,
    runnerName,
    log: (line) => console.log(`[runner] ${line}`),
  });

  const facts = async (id: string): Promise<ContainerFacts> => {
    const [inspected] = JSON.parse(await docker.run(["inspect", id])) as {
      Id: string;
      State: { Running: boolean };
      HostConfig: { Memory: number };
      Config: { User: string; Env: string[]; WorkingDir: string };
      NetworkSettings: { Ports: Record<string, { HostIp: string }[] | null> };
    }[];
    const env = inspected.Config.Env.map((entry) => entry.split("=")[0]);
    const key = inspected.Config.Env.find((entry) => entry.startsWith("AGENT_KEY="));
    return {
      id: inspected.Id,
      running: inspected.State.Running,
      user: inspected.Config.User,
      envNames: env,
      agentKey: key ? key.slice("AGENT_KEY=".length) : null,
      publishedOn: Object.values(inspected.NetworkSettings.Ports).flatMap((bindings) =>
        (bindings ?? []).map((binding) => binding.HostIp),
      ),
      workingDir: inspected.Config.WorkingDir,
      memoryBytes: inspected.HostConfig.Memory,
    };
  };

  const control = createServer((req, res) => {
    const parts: Buffer[] = [];
    req.on("data", (chunk: Buffer) => parts.push(chunk));
    req.on("end", async () => {
      const reply = (status: number, body: unknown) =>
        res.writeHead(status, { "content-type": "application/json" }).end(JSON.stringify(body));
      try {
        const url = new URL(req.url ?? "/", "http://control");
        const containersOf = /^\/sessions\/([^/]+)\/containers$/.exec(url.pathname);
        if (containersOf) {
          const ids = await docker.withLabels({
            [SESSION_LABEL]: decodeURIComponent(containersOf[1]),
            [RUNNER_LABEL]: runnerName,
          });
          // One removed between the listing and its inspection is gone: not listed.
          const found = await Promise.all(ids.map((id) => facts(id).catch(() => null)));
          return reply(200, {
            containers: found.filter((c) => c !== null),
            lastStartMs: live.containers.describe(decodeURIComponent(containersOf[1])).lastStartMs,
          });
        }
        const exec = /^\/containers\/([0-9a-f]+)\/exec$/.exec(url.pathname);
        if (exec) {
          const command = JSON.parse(Buffer.concat(parts).toString("utf8")) as string[];
          return reply(200, { output: await docker.run(["exec", exec[1], ...command]) });
        }
        if (url.pathname === "/runner/image") {
          const { image: next } = JSON.parse(Buffer.concat(parts).toString("utf8")) as {
            image: string | null;
          };
          live.containers.image = next ?? image;
          return reply(200, { image: live.containers.image });
        }
        if (url.pathname === "/runner/engine") {
          const { gone } = JSON.parse(Buffer.concat(parts).toString("utf8")) as { gone: boolean };
          live.containers.docker = gone
            ? new Docker({ host: `unix://${join(dir, "no-docker.sock")}` })
            : docker;
          return reply(200, {});
        }
        reply(404, {});
      } catch (error) {
        reply(500, { error: String(error) });
      }
    });
  });
  await new Promise<void>((resolve) => control.listen(0, "127.0.0.1", resolve));
  const address = control.address();

  project.provide("containersSkipReason", "");
  project.provide("containersRunnerURL", live.url);
  project.provide("containersRunnerKey", runnerKey);
  project.provide("containersControlPort", typeof address === "object" && address ? address.port : 0);
  project.provide("containersRepoURL", `${github.url}/acme/app.git`);
  project.provide("containersGitHubURL", github.url);
  return async () => {
    control.close();
    await live.close();
    await github.close();
    rmSync(dir, { recursive: true, force: true });
  };
}
