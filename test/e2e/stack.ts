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
import { NODE, ROOT } from "../harness/bundles.ts";
import { freePort } from "../harness/ports.ts";
import { Proc, waitUntilUp } from "../harness/process.ts";
import { WorkerRuntime } from "../harness/worker-runtime.ts";

export interface Stack {
  baseURL: string;
  /** Where the Worker's DO dials the agent; a tap may sit in front of the real host. */
  agentPort: number;
  close(): Promise<void>;
}

/**
 * `agent: "scriptable"` starts the tests' scriptable agent host (test/fakes/agent-host.ts) instead of the
 * real one: it writes long transcripts on command ("/transcript 10000") in seconds.
 */
export async function startStack(
  opts: { agentTap?: (realAgentPort: number) => Promise<number>; agent?: "real" | "scriptable" } = {},
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
    agent =
      opts.agent === "scriptable"
        ? await startScriptableAgentHost(agentPort, agentKey, verbose)
        : await startAgentHost({
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

/** The scriptable agent host as its own process (through tsx: its imports are the Worker tests' TypeScript). */
async function startScriptableAgentHost(port: number, key: string, verbose: boolean): Promise<Proc> {
  const host = path.join(ROOT, "test", "fakes", "agent-host.ts");
  const start = `import(${JSON.stringify(host)}).then((m) => m.startFakeAgentHost(process.env.AGENT_KEY, ${port}))`;
  const proc = new Proc("scriptable-agent", NODE, ["--import", "tsx", "--eval", start], {
    cwd: ROOT,
    env: { AGENT_KEY: key },
    verbose,
  });
  await waitUntilUp(`http://127.0.0.1:${port}/control/none`, [proc], 30_000);
  return proc;
}
