/**
 * Memory of a session's container, to size its instance type (wrangler.toml `instance_type`): the agent
 * host idle in the agent image, then Claude Code (the CLI the image carries) through one turn with a Bash
 * tool call, against the fake Messages API. Peak figures are the container's cgroup (cgroup v1, as Docker
 * runs here). The CLI's container uses the host's network for this measurement only, to reach the fake on
 * 127.0.0.1; sessions' containers never do. Needs Docker (scripts/containers/docker-up.sh).
 *   npm run bench:container-memory
 */
import { readFileSync, writeFileSync } from "node:fs";
import { Docker } from "../containers/runner/docker";
import { agentImage, dockerHost, dockerUnavailable } from "../scripts/containers/engine.mjs";
import { startFakeAnthropic, type FakeResponse } from "../test/fakes/anthropic";
import { newAgentKey } from "@tandem/protocol/agent-auth";
import { CATALOG, defaultModel } from "@tandem/protocol/models";

const host = dockerHost();
const unavailable = dockerUnavailable(host);
if (unavailable) throw new Error(unavailable);
const docker = new Docker({ host });
const image = agentImage(host);
const mib = (bytes: number) => `${(bytes / 1024 / 1024).toFixed(0)} MiB`;
const cgroup = (id: string, file: string) => `/sys/fs/cgroup/memory/docker/${id}/${file}`;
const readBytes = (id: string, file: string) => Number(readFileSync(cgroup(id, file), "utf8").trim());

async function agentHostIdle(): Promise<number> {
  const id = await docker.start({
    name: `tandem-bench-memory-${process.pid}`,
    image,
    labels: {},
    env: { AGENT_KEY: newAgentKey() },
    port: 8788,
  });
  try {
    const port = await docker.hostPort(id, 8788);
    for (let i = 0; i < 600; i++) {
      if (
        await fetch(`http://127.0.0.1:${port}/health`).then(
          (r) => r.ok,
          () => false,
        )
      )
        break;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    await new Promise((resolve) => setTimeout(resolve, 1000));
    return readBytes(id, "memory.usage_in_bytes");
  } finally {
    await docker.remove(id);
  }
}

async function claudeCodeTurn(): Promise<{ before: number; peak: number; output: string }> {
  const anthropic = await startFakeAnthropic();
  // Every request Claude Code makes gets an answer: the turn's first call asks for Bash, the next one ends the turn.
  let turn = 0;
  const answer = (): FakeResponse =>
    ++turn === 1
      ? {
          kind: "message",
          content: [
            {
              type: "tool_use",
              id: "toolu_bench",
              name: "Bash",
              input: { command: "ls /app/node_modules | wc -l && sleep 1", description: "count packages" },
            },
          ],
        }
      : { kind: "message", content: [{ type: "text", text: "Counted them." }] };
  anthropic.enqueue(...Array.from({ length: 20 }, () => answer));
  const id = await docker.run([
    "run",
    "--detach",
    "--pull",
    "never",
    "--network",
    "host",
    "--entrypoint",
    "sleep",
    "--env",
    `ANTHROPIC_BASE_URL=${anthropic.url}`,
    "--env",
    "ANTHROPIC_API_KEY=sk-ant-bench",
    "--env",
    "CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC=1",
    image,
    "infinity",
  ]);
  try {
    const before = readBytes(id, "memory.usage_in_bytes");
    writeFileSync(cgroup(id, "memory.max_usage_in_bytes"), "0");
    const output = await docker.run([
      "exec",
      "--workdir",
      "/workspace",
      id,
      "/app/node_modules/@anthropic-ai/claude-agent-sdk-linux-x64/claude",
      "-p",
      "How many packages does the agent image install?",
      "--output-format",
      "stream-json",
      "--verbose",
      "--permission-mode",
      "bypassPermissions",
      "--model",
      defaultModel(CATALOG, Date.now()).id,
    ]);
    return { before, peak: readBytes(id, "memory.max_usage_in_bytes"), output };
  } finally {
    await docker.remove(id);
    await anthropic.close();
  }
}

const idle = await agentHostIdle();
const turn = await claudeCodeTurn();
const result = turn.output
  .split("\n")
  .map((line) => {
    try {
      return JSON.parse(line) as { type: string; subtype?: string; result?: string };
    } catch {
      return null;
    }
  })
  .find((event) => event?.type === "result");
console.log(
  `image ${image}: ${((await docker.run(["image", "inspect", "--format", "{{.Size}}", image]).then(Number)) / 1e9).toFixed(2)} GB`,
);
console.log(`agent host idle: ${mib(idle)}`);
console.log(
  `Claude Code, one turn with a Bash call: container ${mib(turn.before)} before, peak ${mib(turn.peak)} (turn ${result?.subtype ?? "no result"}: ${result?.result ?? ""})`,
);
