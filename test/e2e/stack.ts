/**
 * The real stack for browser tests, on free ports so it never collides with a developer's `npm start`:
 * the local agent host (offline model: no ANTHROPIC_API_KEY), `wrangler dev` with a fresh D1 and the
 * web app. E2E_BASE_URL skips all this and tests a stack that is already running.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";

export const ROOT = path.resolve(import.meta.dirname, "../..");
const WEB = path.join(ROOT, "web");

export interface Stack {
  baseURL: string;
  /** Where the Worker's DO dials the agent; a tap may sit in front of the real host. */
  agentPort: number;
  close(): Promise<void>;
}

export async function freePort(): Promise<number> {
  return await new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      const port = typeof address === "object" && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

interface Proc {
  name: string;
  child: ChildProcess;
  log: string[];
}

function start(name: string, cmd: string, args: string[], opts: { cwd: string; env?: Record<string, string> }): Proc {
  // Its own process group, so stopping it also stops what npx started beneath it.
  const child = spawn(cmd, args, {
    cwd: opts.cwd,
    env: { ...process.env, ...opts.env },
    stdio: ["ignore", "pipe", "pipe"],
    detached: true,
  });
  const log: string[] = [];
  const keep = (chunk: Buffer) => {
    log.push(chunk.toString());
    if (log.length > 400) log.splice(0, 100);
    if (process.env.E2E_VERBOSE) process.stderr.write(`[${name}] ${chunk}`);
  };
  child.stdout?.on("data", keep);
  child.stderr?.on("data", keep);
  return { name, child, log };
}

async function stop(p: Proc): Promise<void> {
  if (p.child.exitCode !== null || p.child.pid === undefined) return;
  const exited = new Promise<void>((resolve) => p.child.once("exit", () => resolve()));
  try {
    process.kill(-p.child.pid, "SIGTERM");
  } catch {
    return;
  }
  const timer = setTimeout(() => {
    try {
      if (p.child.pid !== undefined) process.kill(-p.child.pid, "SIGKILL");
    } catch {
      // already gone
    }
  }, 5000);
  await exited;
  clearTimeout(timer);
}

export async function waitFor(url: string, procs: Proc[], timeoutMs = 90_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    for (const p of procs) {
      if (p.child.exitCode !== null) throw new Error(`${p.name} exited (${p.child.exitCode}):\n${p.log.join("").slice(-3000)}`);
    }
    try {
      const res = await fetch(url);
      if (res.status < 500) return;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 300));
  }
  throw new Error(`${url} did not answer within ${timeoutMs} ms:\n${procs.map((p) => `[${p.name}] ${p.log.join("").slice(-2000)}`).join("\n")}`);
}

export async function startStack(opts: { agentTap?: (realAgentPort: number) => Promise<number> } = {}): Promise<Stack> {
  const given = process.env.E2E_BASE_URL;
  if (given) return { baseURL: given.replace(/\/$/, ""), agentPort: 0, close: async () => {} };

  if (!existsSync(path.join(WEB, "build", "index.html"))) throw new Error("web/build is missing: run `npm --prefix web run build` first");
  const state = mkdtempSync(path.join(tmpdir(), "tandem-e2e-"));
  const procs: Proc[] = [];
  const npx = path.join(ROOT, "node_modules", ".bin");
  try {
    const agentPort = await freePort();
    // The agent host's key: the Worker makes its link tokens with it, the host checks them.
    const agentKey = randomBytes(32).toString("base64url");
    const agent = start("agent", path.join(npx, "tsx"), ["containers/agent/server.ts"], {
      cwd: ROOT,
      env: { PORT: String(agentPort), AGENT_KEY: agentKey, AGENT_WORKSPACE_ROOT: path.join(state, "agent"), AGENT_STATE_ROOT: path.join(state, "agent-state"), ANTHROPIC_API_KEY: "" },
    });
    procs.push(agent);
    await waitFor(`http://127.0.0.1:${agentPort}/`, procs);
    const dialPort = opts.agentTap ? await opts.agentTap(agentPort) : agentPort;

    const migrate = start("migrate", path.join(npx, "wrangler"), ["d1", "migrations", "apply", "tandem", "--local", "--persist-to", state], { cwd: ROOT, env: { CI: "1" } });
    const code = await new Promise<number | null>((resolve) => migrate.child.once("exit", resolve));
    if (code !== 0) throw new Error(`migrations failed:\n${migrate.log.join("")}`);

    const apiPort = await freePort();
    const inspector = await freePort();
    const worker = start(
      "wrangler",
      path.join(npx, "wrangler"),
      [
        "dev", "--port", String(apiPort), "--ip", "127.0.0.1", "--inspector-port", String(inspector), "--persist-to", state,
        "--var", `AGENT_URL:http://127.0.0.1:${dialPort}`, "--var", `AGENT_KEY:${agentKey}`, "--var", "AUTH_SECRET:e2e-auth-secret",
        "--var", `PUBLIC_URL:http://127.0.0.1:${apiPort}`, "--var", `SECRETS_KEY:${randomBytes(32).toString("base64")}`,
        "--show-interactive-dev-session=false",
      ],
      { cwd: ROOT, env: { CI: "1" } },
    );
    procs.push(worker);
    await waitFor(`http://127.0.0.1:${apiPort}/api/openapi.json`, procs);

    // The Worker serves web/build itself (wrangler.toml `[assets]`).
    return {
      baseURL: `http://127.0.0.1:${apiPort}`,
      agentPort,
      async close() {
        for (const p of procs.reverse()) await stop(p);
        rmSync(state, { recursive: true, force: true });
      },
    };
  } catch (err) {
    for (const p of procs.reverse()) await stop(p);
    throw err;
  }
}
