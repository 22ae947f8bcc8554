/**
 * The session's container seam (worker/container/session-container.ts): which container a room gets in each
 * configuration, and what each call becomes. The AgentContainer class itself cannot be constructed here
 * (local workerd refuses a container-enabled Durable Object without Docker and Cloudflare's sidecar); the
 * container suite (test/containers/) runs the room's side of the same calls against the image under Docker.
 */
import { env } from "cloudflare:test";
import { describe, expect, it } from "vitest";
import type { Env } from "../../worker/env";
import { sessionContainer } from "../../worker/container/session-container";

describe("the session's container, by configuration", () => {
  const calls: string[] = [];
  const recording = {
    idFromName: (name: string) => name,
    get: (name: string) => ({
      useAgentKey: async () => void calls.push(`${name}: useAgentKey`),
      setSessionTimeout: async (seconds: number) => void calls.push(`${name}: setSessionTimeout ${seconds}`),
      fetch: async (request: Request) => (
        calls.push(`${name}: fetch ${new URL(request.url).pathname}`),
        new Response("ok")
      ),
      stopRun: async () => void calls.push(`${name}: stopRun`),
      forgetSession: async () => void calls.push(`${name}: forgetSession`),
    }),
  };
  const configured = (vars: Partial<Env>) =>
    ({ ...env, AgentContainer: recording, ...vars }) as unknown as Env;

  it("production: the AgentContainer named by the session, which stops at a run's end and forgets at delete", async () => {
    const container = sessionContainer(configured({ AGENT_URL: "", CONTAINER_RUNNER_URL: "" }), "s1")!;
    await container.useAgentKey("k");
    await container.setSessionTimeout(60);
    expect(await (await container.fetch(new Request("http://agent/health"))).text()).toBe("ok");
    await container.stop();
    await container.destroy();
    expect(calls).toEqual([
      "s1: useAgentKey",
      "s1: setSessionTimeout 60",
      "s1: fetch /health",
      "s1: stopRun",
      "s1: forgetSession",
    ]);
  });

  it("a local agent host has no container; the Docker runner's is reached over its API", async () => {
    expect(sessionContainer(configured({ AGENT_URL: "http://127.0.0.1:1" }), "s2")).toBeNull();
    const runner = sessionContainer(
      configured({
        AGENT_URL: "",
        CONTAINER_RUNNER_URL: "http://127.0.0.1:9",
        CONTAINER_RUNNER_KEY: "k".repeat(32),
      }),
      "s3",
    )!;
    // Nothing listens there: the runner's client fails as a container that cannot start does.
    await expect(runner.fetch(new Request("http://agent/health"))).rejects.toThrow();
    expect(calls.filter((call) => call.startsWith("s2") || call.startsWith("s3"))).toEqual([]);
  });
});
