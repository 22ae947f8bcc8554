// Starts the whole product locally: web build, local D1 migrations, the local agent host and
// `wrangler dev`. Used by `npm start` and by the end-to-end tests (with their own ports and state).
import { spawn, spawnSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { existsSync, readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

export const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const bin = (name) => join(root, "node_modules", ".bin", name);
const env = { ...process.env, WRANGLER_SEND_METRICS: "false" };

function run(command, args, options = {}) {
  const result = spawnSync(command, args, { cwd: root, stdio: "inherit", env, ...options });
  if (result.status !== 0) throw new Error(`${command} ${args.join(" ")} failed with ${result.status}`);
}

/** Newest modification time of the files below `dir`. */
function newest(dir) {
  let latest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    latest = Math.max(latest, entry.isDirectory() ? newest(path) : statSync(path).mtimeMs);
  }
  return latest;
}

/** Installs and builds web/ unless its build is newer than its sources and the shared protocol. */
export function buildWeb() {
  const web = join(root, "web");
  if (!existsSync(join(web, "package.json"))) return;
  if (!existsSync(join(web, "node_modules"))) run("npm", ["ci", "--no-audit", "--no-fund"], { cwd: web });
  const built = join(web, "build", "index.html");
  const sources = Math.max(newest(join(web, "src")), newest(join(root, "worker", "protocol")), statSync(join(web, "vite.config.ts")).mtimeMs);
  if (existsSync(built) && statSync(built).mtimeMs > sources && process.env.TANDEM_REBUILD_WEB !== "1") return;
  run("npm", ["run", "build"], { cwd: web });
}

/**
 * Local secrets for `wrangler dev`, made once: the cookie key, the secrets key, the agent host's key (the
 * room's link tokens are made with it; the host gets it too), the agent host URL. Returns them.
 */
export function ensureDevVars(agentPort) {
  const file = join(root, ".dev.vars");
  const vars = existsSync(file) ? Object.fromEntries(readFileSync(file, "utf8").split("\n").filter(Boolean).map((line) => line.split(/=(.*)/s).slice(0, 2))) : {};
  vars.AUTH_SECRET ??= randomBytes(32).toString("base64url");
  vars.SECRETS_KEY ??= randomBytes(32).toString("base64");
  vars.AGENT_KEY ??= randomBytes(32).toString("base64url");
  vars.AGENT_URL = `http://127.0.0.1:${agentPort}`;
  writeFileSync(file, Object.entries(vars).map(([k, v]) => `${k}=${v}`).join("\n") + "\n", { mode: 0o600 });
  return vars;
}

/** Resolves once `url` answers below 500; fails when `child` exits or the time runs out. */
export async function waitFor(url, timeoutMs, child) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`${url}: the process exited with ${child.exitCode}`);
    try {
      const res = await fetch(url);
      if (res.status < 500) return;
    } catch {
      // not up yet
    }
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  throw new Error(`${url} did not answer within ${timeoutMs} ms`);
}

/**
 * Starts the agent host and the Worker. `persistTo` keeps local D1 and DO state apart (tests use a
 * fresh temp folder); `quiet` sends their output to the parent's only on failure. `vars` are extra
 * Worker vars; with `agentURL` the Worker talks to an agent host the caller runs (none is started).
 */
export async function startStack({ port = 8787, agentPort = 8788, persistTo, quiet = false, agentEnv = {}, vars = {}, agentURL } = {}) {
  const { AGENT_KEY } = ensureDevVars(agentPort);
  const persist = persistTo ? ["--persist-to", persistTo] : [];
  run(bin("wrangler"), ["d1", "migrations", "apply", "tandem", "--local", ...persist], quiet ? { stdio: "ignore" } : {});
  const stdio = quiet ? "ignore" : "inherit";
  const agent = agentURL
    ? null
    : spawn(bin("tsx"), [join(root, "containers/agent/server.ts")], {
        cwd: root,
        stdio,
        env: { ...env, PORT: String(agentPort), HOST: "127.0.0.1", AGENT_KEY, ...agentEnv },
      });
  const allVars = { AGENT_URL: agentURL ?? `http://127.0.0.1:${agentPort}`, ...vars };
  const worker = spawn(
    bin("wrangler"),
    ["dev", "--port", String(port), "--ip", "127.0.0.1", ...Object.entries(allVars).flatMap(([k, v]) => ["--var", `${k}:${v}`]), ...persist],
    { cwd: root, stdio, env },
  );
  const stop = () => {
    for (const child of [worker, agent]) if (child && child.exitCode === null) child.kill("SIGTERM");
  };
  try {
    if (agent) await waitFor(`http://127.0.0.1:${agentPort}/health`, 30_000, agent);
    await waitFor(`http://127.0.0.1:${port}/api/openapi.json`, 90_000, worker);
  } catch (err) {
    stop();
    throw err;
  }
  return { url: `http://localhost:${port}`, agent, worker, stop };
}
