import { defineConfig } from "vitest/config";
import { cloudflareTest, readD1Migrations } from "@cloudflare/vitest-plugin";

// Two projects: the Worker and its Durable Objects run inside workerd; the agent runs on Node.
export default defineConfig({
  test: {
    projects: [
      {
        plugins: [
          cloudflareTest(async ({ inject }) => ({
            wrangler: { configPath: "./wrangler.toml" },
            miniflare: {
              bindings: {
                TEST_MIGRATIONS: await readD1Migrations("./migrations"),
                AGENT_URL: `http://127.0.0.1:${inject("fakeAgentPort" as never)}`,
                AUTH_SECRET: "test-auth-secret",
                SECRETS_KEY: "dGFuZGVtLXRlc3Qtc2VjcmV0cy1rZXktMzItYnl0ZXM=",
              },
            },
          })),
        ],
        test: {
          name: "worker",
          include: ["test/worker/**/*.test.ts", "worker/**/*.test.ts"],
          globalSetup: ["test/worker/global-setup.ts"],
          setupFiles: ["test/worker/apply-migrations.ts"],
          testTimeout: 15_000,
        },
      },
      {
        // The Worker with the real agent host and a fake Anthropic API: sessions end to end.
        plugins: [
          cloudflareTest(async ({ inject }) => ({
            wrangler: { configPath: "./wrangler.toml" },
            miniflare: {
              bindings: {
                TEST_MIGRATIONS: await readD1Migrations("./migrations"),
                AGENT_URL: `http://127.0.0.1:${inject("integrationAgentPort" as never)}`,
                AUTH_SECRET: "test-auth-secret",
                SECRETS_KEY: "dGFuZGVtLXRlc3Qtc2VjcmV0cy1rZXktMzItYnl0ZXM=",
                TEST_CONTROL_URL: `http://127.0.0.1:${inject("integrationControlPort" as never)}`,
                TEST_REPO_URL: inject("integrationRepoURL" as never),
              },
            },
          })),
        ],
        test: {
          name: "integration",
          include: ["test/integration/**/*.test.ts"],
          globalSetup: ["test/integration/global-setup.ts"],
          setupFiles: ["test/worker/apply-migrations.ts"],
          testTimeout: 30_000,
        },
      },
      {
        test: {
          name: "agent",
          environment: "node",
          include: ["test/agent/**/*.test.ts", "containers/**/*.test.ts"],
          testTimeout: 30_000,
        },
      },
    ],
  },
});
