/**
 * A local Tandem for a benchmark, on one of two paths: `wrangler dev` (wrangler's proxy workerd in front
 * of the workerd that runs the Worker and every Durable Object) or Miniflare directly (that one workerd,
 * sockets straight to it, as production has no proxy). Free ports, its own state, signed-in people and a
 * workspace, and the runtime's memory.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdtempSync, readFileSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { buildWeb, root, startStack, waitFor } from "../../scripts/stack.mjs";
import { freePort } from "../../test/harness/ports.ts";
import { WorkerRuntime } from "../../test/harness/worker-runtime.ts";

export { freePort };

/** How the bench reaches workerd: through wrangler's local proxy, or straight to it through Miniflare. */
export type RuntimePath = "wrangler" | "miniflare";
export const RUNTIME_PATHS: readonly RuntimePath[] = ["wrangler", "miniflare"];

export interface Person {
  id: string;
  email: string;
  cookie: string;
}

export interface Tandem {
  path: RuntimePath;
  base: string;
  persistTo: string;
  owner: Person;
  viewer: Person;
  workspaceId: string;
  api(who: Person, path: string, body?: unknown): Promise<Response>;
  /** A fresh room ticket for the viewer: the socket URL to open. */
  socketURL(sessionId: string): Promise<string>;
  /** Resident memory of the runtime (every workerd process of this path), in bytes. */
  runtimeRSS(): number;
  /** CPU time the runtime's workerd processes have used so far (user + system), in ms. */
  runtimeCPU(): number;
  stop(): Promise<void>;
  /** At the bench's exit, whatever happened: signals every process of this stack, waits for nothing. */
  kill(): void;
}

interface Runtime {
  port: number;
  rss(): number;
  cpu(): number;
  stop(): Promise<void>;
  kill(): void;
}

export interface TandemOptions {
  path: RuntimePath;
  vars?: Record<string, string>;
  agentEnv?: Record<string, string>;
  /** An agent host the caller runs (none is started); it checks the room's tokens with `agentKey`. */
  agentURL?: string;
  agentKey?: string;
  /** Where the agent host listens, when the caller puts something before it (`vars.AGENT_URL`). */
  agentPort?: number;
  /** Miniflare only: a Worker bundled from another checkout (its index.js), to measure it beside this one. */
  workerBundle?: string;
}

export async function startTandem(options: TandemOptions): Promise<Tandem> {
  buildWeb();
  const persistTo = mkdtempSync(join(tmpdir(), `tandem-bench-${options.path}-`));
  const runtime =
    options.path === "wrangler"
      ? await underWrangler(persistTo, options)
      : await throughMiniflare(persistTo, options);
  const port = runtime.port;
  const base = `http://127.0.0.1:${port}`;
  const api = (who: Person, path: string, body?: unknown) =>
    fetch(`${base}${path}`, {
      method: body ? "POST" : "GET",
      headers: { cookie: who.cookie, "content-type": "application/json" },
      body: body ? JSON.stringify(body) : undefined,
    });
  const signIn = async (name: string): Promise<Person> => {
    const res = await fetch(`${base}/api/auth/dev`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ name }),
    });
    const { user } = (await res.json()) as { user: { id: string; email: string } };
    return { id: user.id, email: user.email, cookie: (res.headers.get("set-cookie") ?? "").split(";")[0] };
  };
  const owner = await signIn("bench owner");
  const viewer = await signIn("bench viewer");
  const { workspace } = (await (await api(owner, "/api/workspaces", { name: "bench" })).json()) as {
    workspace: { id: string };
  };
  // Members are added by their exact email.
  const added = await api(owner, `/api/workspaces/${workspace.id}/members`, {
    user: viewer.email,
    role: "viewer",
  });
  if (added.status !== 201) throw new Error(`adding the viewer: ${added.status} ${await added.text()}`);
  // An invitation becomes a membership when the person comes.
  await api(viewer, `/api/workspaces/${workspace.id}`);
  return {
    path: options.path,
    base,
    persistTo,
    owner,
    viewer,
    workspaceId: workspace.id,
    api,
    async socketURL(sessionId) {
      const res = await api(viewer, `/api/workspaces/${workspace.id}/sessions/${sessionId}/ticket`);
      if (res.status !== 200) throw new Error(`ticket: ${res.status} ${await res.text()}`);
      const { url } = (await res.json()) as { url: string };
      return `ws://127.0.0.1:${port}${url}`;
    },
    runtimeRSS: () => runtime.rss(),
    runtimeCPU: () => runtime.cpu(),
    async stop() {
      await runtime.stop();
      rmSync(persistTo, { recursive: true, force: true });
    },
    kill: () => runtime.kill(),
  };
}

/** `wrangler dev` and the agent host (scripts/stack.mjs, as `npm start` runs them). */
async function underWrangler(persistTo: string, options: TandemOptions): Promise<Runtime> {
  if (options.workerBundle) throw new Error("a Worker built elsewhere runs on the miniflare path only");
  const [port, agentPort] = [await freePort(), options.agentPort ?? (await freePort())];
  const stack = await startStack({
    port,
    agentPort,
    persistTo,
    quiet: true,
    vars: options.vars,
    agentEnv: options.agentEnv,
    agentURL: options.agentURL,
  });
  return {
    port,
    rss: () => workerdRSS(stack.worker.pid ?? 0),
    cpu: () => workerdCPU(stack.worker.pid ?? 0),
    stop: async () => stack.stop(),
    kill: () => stack.stop(),
  };
}

/** The same Worker from wrangler.toml, bundled as `wrangler deploy` bundles it, in workerd through Miniflare. */
async function throughMiniflare(persistTo: string, options: TandemOptions): Promise<Runtime> {
  const [port, agentPort] = [await freePort(), options.agentPort ?? (await freePort())];
  const AGENT_KEY = options.agentKey ?? randomBytes(32).toString("base64url");
  let agent: ChildProcess | null = null;
  if (!options.agentURL) {
    agent = spawn(join(root, "node_modules", ".bin", "tsx"), [join(root, "containers/agent/server.ts")], {
      cwd: root,
      stdio: "ignore",
      env: {
        ...process.env,
        WRANGLER_SEND_METRICS: "false",
        PORT: String(agentPort),
        HOST: "127.0.0.1",
        AGENT_KEY,
        ...options.agentEnv,
      },
    });
    await waitFor(`http://127.0.0.1:${agentPort}/health`, 30_000, agent);
  }
  const secrets = {
    AUTH_SECRET: randomBytes(32).toString("base64url"),
    SECRETS_KEY: randomBytes(32).toString("base64"),
    AGENT_KEY,
  };
  const vars = {
    AGENT_URL: options.agentURL ?? `http://127.0.0.1:${agentPort}`,
    PUBLIC_URL: `http://127.0.0.1:${port}`,
    ...secrets,
    ...options.vars,
  };
  const worker = await WorkerRuntime.start({
    state: persistTo,
    port,
    vars,
    verbose: Boolean(process.env.BENCH_VERBOSE),
    inspectorPort: Number(process.env.BENCH_INSPECTOR_PORT) || undefined,
    bundle: options.workerBundle,
  });
  return {
    port,
    rss: () => miniflareRSS(port),
    cpu: () => miniflareCPU(port),
    async stop() {
      await worker.stop();
      if (agent && agent.exitCode === null) agent.kill("SIGTERM");
    },
    kill() {
      killMiniflare(port);
      if (agent && agent.exitCode === null) agent.kill("SIGTERM");
    },
  };
}

/** Polls the session until `check` holds. */
export async function waitForSession(
  tandem: Tandem,
  sessionId: string,
  check: (session: { phase: string; agentStatus: string }) => boolean,
  timeoutMs = 60_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const res = await tandem.api(tandem.owner, `/api/workspaces/${tandem.workspaceId}/sessions/${sessionId}`);
    const { session } = (await res.json()) as { session: { phase: string; agentStatus: string } };
    if (check(session)) return;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`session ${sessionId}: condition not met within ${timeoutMs} ms`);
}

/** Resident memory of the workerd processes `wrangler dev` (process `pid`) runs. */
export function workerdRSS(pid: number): number {
  return descendants(pid)
    .filter((child) => commandOf(child).includes("workerd"))
    .reduce((sum, child) => sum + rssOf(child), 0);
}

/** CPU time of the workerd processes `wrangler dev` (process `pid`) runs, in ms. */
export function workerdCPU(pid: number): number {
  return descendants(pid)
    .filter((child) => commandOf(child).includes("workerd"))
    .reduce((sum, child) => sum + cpuOf(child), 0);
}

function descendants(pid: number): number[] {
  const children = new Map<number, number[]>();
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, "utf8");
      const ppid = Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]);
      children.set(ppid, [...(children.get(ppid) ?? []), Number(entry)]);
    } catch {
      // the process ended meanwhile
    }
  }
  const all: number[] = [];
  const walk = (p: number) => {
    for (const child of children.get(p) ?? []) {
      all.push(child);
      walk(child);
    }
  };
  walk(pid);
  return all;
}

/** Resident memory of the workerd Miniflare started on `port` (its entry socket is on the command line). */
export function miniflareRSS(port: number): number {
  return miniflarePids(port).reduce((sum, pid) => sum + rssOf(pid), 0);
}

/** CPU time of the workerd Miniflare started on `port`, in ms. */
export function miniflareCPU(port: number): number {
  return miniflarePids(port).reduce((sum, pid) => sum + cpuOf(pid), 0);
}

/**
 * User + system CPU time a process has used, in ms (clock ticks of 10 ms): what a connect costs the
 * server whatever else the machine runs meanwhile, where wall time measures the load too.
 */
export function cpuOf(pid: number): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    return (Number(fields[11]) + Number(fields[12])) * 10;
  } catch {
    return 0;
  }
}

/** Stops at once the workerd Miniflare started on `port` (at the bench's exit, when dispose cannot be awaited). */
export function killMiniflare(port: number): void {
  for (const pid of miniflarePids(port)) process.kill(pid, "SIGKILL");
}

function miniflarePids(port: number): number[] {
  const entry = `entry=127.0.0.1:${port}`;
  return descendants(process.pid).filter((pid) => commandOf(pid).includes(entry));
}

const commandOf = (pid: number) => {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, "utf8");
  } catch {
    return "";
  }
};

export function rssOf(pid: number): number {
  try {
    const kb = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, "utf8"))?.[1];
    return kb ? Number(kb) * 1024 : 0;
  } catch {
    return 0;
  }
}
