/**
 * A local Tandem for a benchmark: `wrangler dev` (the Worker and every Durable Object in one workerd
 * process) on free ports with its own state, signed-in people and a workspace, and the runtime's memory.
 */
import { mkdtempSync, readFileSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { buildWeb, startStack } from "../../scripts/stack.mjs";
import { freePort } from "../../test/harness/ports.ts";

export { freePort };

export interface Person {
  id: string;
  email: string;
  cookie: string;
}

export interface Tandem {
  base: string;
  persistTo: string;
  owner: Person;
  viewer: Person;
  workspaceId: string;
  api(who: Person, path: string, body?: unknown): Promise<Response>;
  /** A fresh room ticket for the viewer: the socket URL to open. */
  socketURL(sessionId: string): Promise<string>;
  /** Resident memory of the runtime (the workerd processes under wrangler), in bytes. */
  runtimeRSS(): number;
  stop(): void;
}

export async function startTandem(options: { vars?: Record<string, string>; agentEnv?: Record<string, string>; agentURL?: string }): Promise<Tandem> {
  buildWeb();
  const [port, agentPort] = [await freePort(), await freePort()];
  const persistTo = mkdtempSync(join(tmpdir(), "tandem-bench-"));
  const stack = await startStack({ port, agentPort, persistTo, quiet: true, vars: options.vars, agentEnv: options.agentEnv, agentURL: options.agentURL });
  const base = `http://127.0.0.1:${port}`;
  const api = (who: Person, path: string, body?: unknown) =>
    fetch(`${base}${path}`, { method: body ? "POST" : "GET", headers: { cookie: who.cookie, "content-type": "application/json" }, body: body ? JSON.stringify(body) : undefined });
  const signIn = async (name: string): Promise<Person> => {
    const res = await fetch(`${base}/api/auth/dev`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ name }) });
    const { user } = (await res.json()) as { user: { id: string; email: string } };
    return { id: user.id, email: user.email, cookie: (res.headers.get("set-cookie") ?? "").split(";")[0] };
  };
  const owner = await signIn("bench owner");
  const viewer = await signIn("bench viewer");
  const { workspace } = (await (await api(owner, "/api/workspaces", { name: "bench" })).json()) as { workspace: { id: string } };
  // Members are added by their exact email.
  const added = await api(owner, `/api/workspaces/${workspace.id}/members`, { user: viewer.email, role: "viewer" });
  if (added.status !== 201) throw new Error(`adding the viewer: ${added.status} ${await added.text()}`);
  // An invitation becomes a membership when the person comes.
  await api(viewer, `/api/workspaces/${workspace.id}`);
  return {
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
    runtimeRSS: () => workerdRSS(stack.worker.pid ?? 0),
    stop() {
      stack.stop();
      rmSync(persistTo, { recursive: true, force: true });
    },
  };
}

/** Polls the session until `check` holds. */
export async function waitForSession(tandem: Tandem, sessionId: string, check: (session: { phase: string; agentStatus: string }) => boolean, timeoutMs = 60_000): Promise<void> {
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
  return descendants(pid).filter((child) => commandOf(child).includes("workerd")).reduce((sum, child) => sum + rssOf(child), 0);
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
