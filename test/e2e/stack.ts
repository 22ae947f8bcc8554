/**
 * The real stack for browser tests, on free ports so it never collides with a developer's `npm start`:
 * the local agent host (offline model: no ANTHROPIC_API_KEY) and the Worker in workerd with a fresh D1,
 * serving the built web app (test/harness). E2E_BASE_URL skips all this and tests a stack already running.
 */
import { randomBytes } from "node:crypto";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { startAgentHost } from "../harness/agent-host.ts";
import { ROOT } from "../harness/bundles.ts";
import { freePort } from "../harness/ports.ts";
import type { Proc } from "../harness/process.ts";
import { WorkerRuntime } from "../harness/worker-runtime.ts";

export interface Stack {
  baseURL: string;
  /** Where the Worker's DO dials the agent; a tap may sit in front of the real host. */
  agentPort: number;
  close(): Promise<void>;
}

export async function startStack(
  opts: { agentTap?: (realAgentPort: number) => Promise<number> } = {},
): Promise<Stack> {
  const given = process.env.E2E_BASE_URL;
  if (given) return { baseURL: given.replace(/\/$/, ""), agentPort: 0, close: async () => {} };

  if (!existsSync(path.join(ROOT, "web", "build", "index.html")))
    throw new Error("web/build is missing: run `npm run build:web` first");
  const state = mkdtempSync(path.join(tmpdir(), "tandem-e2e-"));
  const verbose = Boolean(process.env.E2E_VERBOSE);
  let agent: Proc | null = null;
  let worker: WorkerRuntime | null = null;
  const close = async () => {
    await worker?.stop();
    await agent?.stop();
    rmSync(state, { recursive: true, force: true });
  };
  try {
    const agentPort = await freePort();
    // The agent host's key: the Worker makes its link tokens with it, the host checks them.
    const agentKey = randomBytes(32).toString("base64url");
    agent = await startAgentHost({
      port: agentPort,
      env: {
        AGENT_KEY: agentKey,
        AGENT_WORKSPACE_ROOT: path.join(state, "agent"),
        AGENT_STATE_ROOT: path.join(state, "agent-state"),
        ANTHROPIC_API_KEY: "",
      },
      verbose,
    });
    const dialPort = opts.agentTap ? await opts.agentTap(agentPort) : agentPort;
    const apiPort = await freePort();
    worker = await WorkerRuntime.start({
      state,
      port: apiPort,
      verbose,
      vars: {
        AGENT_URL: `http://127.0.0.1:${dialPort}`,
        AGENT_KEY: agentKey,
        AUTH_SECRET: "e2e-auth-secret",
        PUBLIC_URL: `http://127.0.0.1:${apiPort}`,
        SECRETS_KEY: randomBytes(32).toString("base64"),
      },
    });
    return { baseURL: worker.url, agentPort, close };
  } catch (err) {
    await close();
    throw err;
  }
}
