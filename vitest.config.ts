import { readdirSync } from "node:fs";
import { join } from "node:path";
import { defineConfig } from "vitest/config";
import { cloudflareTest, readD1Migrations } from "@cloudflare/vitest-plugin";

/**
 * Tests live under test/<part>/ (README's Tests section). A test file beside the code would match no
 * project's glob and silently never run, so one there stops vitest instead.
 */
function testsBesideCode(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return entry.name === "node_modules" ? [] : testsBesideCode(path);
    return /\.test\.ts$/.test(entry.name) ? [path] : [];
  });
}
const misplaced = ["worker", "containers"].flatMap((dir) => testsBesideCode(dir));
if (misplaced.length > 0)
  throw new Error(`tests belong under test/<part>/, not beside the code: ${misplaced.join(", ")}`);

/**
 * Files run side by side, three at a time (vitest's default here is one: the machine has two cores, and
 * most of a file's time is spent waiting on sockets, alarms and the agent host). Projects of one group
 * share this number (vitest requires it).
 */
const FILES_SIDE_BY_SIDE = 3;

/**
 * A project that runs the Worker and its Durable Objects inside workerd, with the agent it talks to
 * started by `globalSetup` and reached through the bindings that setup provides.
 */
function workerProject(
  name: string,
  options: {
    include: string[];
    globalSetup: string;
    testTimeout: number;
    bindings: (inject: (key: string) => unknown) => Record<string, unknown>;
    /** One workerd runs the project's files one after another (it keeps its D1 and Durable Objects between files). */
    shareRuntime?: boolean;
    maxWorkers?: number;
    groupOrder?: number;
  },
) {
  return {
    plugins: [
      cloudflareTest(async ({ inject }) => ({
        wrangler: { configPath: "./wrangler.toml" },
        miniflare: {
          bindings: {
            TEST_MIGRATIONS: await readD1Migrations("./migrations"),
            AUTH_SECRET: "test-auth-secret",
            SECRETS_KEY: "dGFuZGVtLXRlc3Qtc2VjcmV0cy1rZXktMzItYnl0ZXM=",
            ...options.bindings((key) => inject(key as never)),
          },
        },
      })),
    ],
    test: {
      name,
      include: options.include,
      globalSetup: [options.globalSetup],
      setupFiles: ["test/worker/apply-migrations.ts"],
      testTimeout: options.testTimeout,
      isolate: !options.shareRuntime,
      maxWorkers: options.maxWorkers ?? FILES_SIDE_BY_SIDE,
      sequence: { groupOrder: options.groupOrder ?? 0 },
    },
  };
}

export default defineConfig({
  test: {
    projects: [
      // The Worker against a scriptable fake agent host.
      workerProject("worker", {
        include: ["test/worker/**/*.test.ts"],
        globalSetup: "test/worker/global-setup.ts",
        // Above the helpers' waits (20 s): a test that fails says what it waited for, not only that it timed out.
        testTimeout: 60_000,
        // Every file names its people, workspaces and sessions uniquely, so files share a workerd: starting
        // one and loading the Worker into it for each of 40 files cost more than the tests themselves.
        shareRuntime: true,
        // Small shard thresholds, so a handful of sockets reaches the viewer shards.
        bindings: (inject) => ({
          AGENT_URL: `http://127.0.0.1:${inject("fakeAgentPort")}`,
          AGENT_KEY: inject("fakeAgentKey"),
          SHARD_AFTER_VIEWERS: "2",
          VIEWERS_PER_SHARD: "2",
          // The deployment override of the model catalog: here it retires Opus 4.5 early, so the refusals
          // of a retired model are tested through HTTP today (test/worker/models.test.ts).
          MODEL_CATALOG: JSON.stringify({ "claude-opus-4-5": { endOfLife: "2026-01-01" } }),
        }),
      }),
      // The Worker with the real agent host and a fake Anthropic API: sessions end to end.
      workerProject("integration", {
        include: ["test/integration/**/*.test.ts"],
        globalSetup: "test/integration/global-setup.ts",
        testTimeout: 30_000,
        // Serial, with the attack suite: its files script one fake Anthropic API and share one agent host.
        maxWorkers: 1,
        groupOrder: 1,
        bindings: (inject) => ({
          AGENT_URL: `http://127.0.0.1:${inject("integrationAgentPort")}`,
          AGENT_KEY: inject("integrationAgentKey"),
          TEST_CONTROL_URL: `http://127.0.0.1:${inject("integrationControlPort")}`,
          TEST_REPO_URL: inject("integrationRepoURL"),
          TEST_GITHUB_URL: inject("integrationGitHubURL"),
          TEST_ENV_REPO_URL: inject("integrationEnvRepoURL"),
        }),
      }),
      // The attack suite: every route and socket against every kind of caller and malformed input.
      workerProject("attack", {
        include: ["test/attack/**/*.test.ts"],
        globalSetup: "test/attack/global-setup.ts",
        testTimeout: 120_000,
        // Serial, after the other projects (or alone: `vitest run --project attack`, as `npm test` runs it
        // beside them): its files compare whole D1 snapshots, so no other file may write to their D1 meanwhile.
        shareRuntime: true,
        maxWorkers: 1,
        groupOrder: 1,
        bindings: (inject) => ({
          AGENT_URL: `http://127.0.0.1:${inject("attackAgentPort")}`,
          AGENT_KEY: inject("attackAgentKey"),
          TEST_TALLY_URL: `http://127.0.0.1:${inject("attackTallyPort")}`,
        }),
      }),
      // The production image: each session's agent in a container of its own, started by the Docker runner.
      workerProject("containers", {
        include: ["test/containers/**/*.test.ts"],
        globalSetup: "test/containers/global-setup.ts",
        testTimeout: 300_000,
        bindings: (inject) => ({
          AGENT_URL: "",
          CONTAINER_RUNNER_URL: inject("containersRunnerURL"),
          CONTAINER_RUNNER_KEY: inject("containersRunnerKey"),
          TEST_CONTAINERS_SKIP: inject("containersSkipReason"),
          TEST_CONTROL_URL: `http://127.0.0.1:${inject("containersControlPort")}`,
          TEST_REPO_URL: inject("containersRepoURL"),
          TEST_GITHUB_URL: inject("containersGitHubURL"),
        }),
      }),
      // The Docker runner's own guards and forwarding, on Node, without Docker.
      {
        test: {
          name: "runner",
          environment: "node",
          include: ["test/runner/**/*.test.ts"],
          testTimeout: 30_000,
        },
      },
      // The agent on Node.
      {
        test: {
          name: "agent",
          environment: "node",
          include: ["test/agent/**/*.test.ts"],
          testTimeout: 30_000,
          maxWorkers: FILES_SIDE_BY_SIDE,
        },
      },
    ],
  },
});
