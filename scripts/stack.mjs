// Starts the whole product locally: web build, local D1 migrations, the local agent host and
// `wrangler dev`. Used by `npm start` and by the end-to-end tests (with their own ports and state).
import { spawn, spawnSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { existsSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { agentImage, dockerHost, dockerUnavailable } from "./containers/engine.mjs";

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
  // The stamp is written after a build that finished: a build that failed or was cut short (two builds at
  // once, one removing what the other wrote) leaves none, and the next run builds again instead of serving
  // an index.html whose assets are gone.
  const stamp = join(web, "node_modules", ".tandem-web-built");
  const sources = Math.max(
    newest(join(web, "src")),
    newest(join(root, "worker", "protocol")),
    statSync(join(web, "vite.config.ts")).mtimeMs,
  );
  if (existsSync(stamp) && statSync(stamp).mtimeMs > sources && process.env.TANDEM_REBUILD_WEB !== "1")
    return;
  rmSync(stamp, { force: true });
  run("npm", ["run", "build"], { cwd: web });
  writeFileSync(stamp, `${new Date().toISOString()}\n`);
}

/**
 * Local secrets for `wrangler dev`, made once: the cookie key, the secrets key, the agent host's key (the
 * room's link tokens are made with it; the host gets it too), the agent host URL. Returns them.
 */
export function ensureDevVars(agentPort, { containers = false } = {}) {
  const file = join(root, ".dev.vars");
  const vars = existsSync(file)
    ? Object.fromEntries(
        readFileSync(file, "utf8")
          .split("\n")
          .filter(Boolean)
          .map((line) => line.split(/=(.*)/s).slice(0, 2)),
      )
    : {};
  vars.AUTH_SECRET ??= randomBytes(32).toString("base64url");
  vars.SECRETS_KEY ??= randomBytes(32).toString("base64");
  vars.AGENT_KEY ??= randomBytes(32).toString("base64url");
  // With containers each session's room mints its container's key (as in production), and the Docker
  // runner, which starts containers for whoever holds its key, has one of its own.
  vars.CONTAINER_RUNNER_KEY ??= randomBytes(32).toString("base64url");
  vars.AGENT_URL = containers ? "" : `http://127.0.0.1:${agentPort}`;
  writeFileSync(
    file,
    Object.entries(vars)
      .map(([k, v]) => `${k}=${v}`)
      .join("\n") + "\n",
    { mode: 0o600 },
  );
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
 * The Docker runner in place of the agent host: each session's agent in a container of its own, from the
 * agent image (built here unless an image of the same inputs exists). Docker must answer (as root,
 * scripts/containers/docker-up.sh installs and starts one).
 */
function startRunner(runnerPort, key, stdio) {
  const host = dockerHost();
  const unavailable = dockerUnavailable(host);
  if (unavailable)
    throw new Error(
      `--containers needs Docker: ${unavailable}. As root, \`eval "$(bash scripts/containers/docker-up.sh)"\` installs and starts one.`,
    );
  const image = agentImage(host);
  return spawn(bin("tsx"), [join(root, "containers/runner/server.ts")], {
    cwd: root,
    stdio,
    env: {
      PATH: process.env.PATH,
      HOME: process.env.HOME,
      PORT: String(runnerPort),
      RUNNER_KEY: key,
      RUNNER_IMAGE: image,
      ...(host && { DOCKER_HOST: host }),
    },
  });
}

/**
 * Starts the agent host (or, with `containers`, the Docker runner) and the Worker. `persistTo` keeps local D1 and DO state apart (tests use a
 * fresh temp folder); `quiet` sends their output to the parent's only on failure. `vars` are extra
 * Worker vars; with `agentURL` the Worker talks to an agent host the caller runs (none is started).
 */
export async function startStack({
  port = 8787,
  agentPort = 8788,
  persistTo,
  quiet = false,
  agentEnv = {},
  vars = {},
  agentURL,
  containers = false,
} = {}) {
  const { AGENT_KEY, CONTAINER_RUNNER_KEY } = ensureDevVars(agentPort, { containers });
  const persist = persistTo ? ["--persist-to", persistTo] : [];
  run(
    bin("wrangler"),
    ["d1", "migrations", "apply", "tandem", "--local", ...persist],
    quiet ? { stdio: "ignore" } : {},
  );
  const stdio = quiet ? "ignore" : "inherit";
  const agent = containers
    ? startRunner(agentPort, CONTAINER_RUNNER_KEY, stdio)
    : agentURL
      ? null
      : spawn(bin("tsx"), [join(root, "containers/agent/server.ts")], {
          cwd: root,
          stdio,
          env: { ...env, PORT: String(agentPort), HOST: "127.0.0.1", AGENT_KEY, ...agentEnv },
        });
  const allVars = containers
    ? { AGENT_URL: "", CONTAINER_RUNNER_URL: `http://127.0.0.1:${agentPort}`, ...vars }
    : { AGENT_URL: agentURL ?? `http://127.0.0.1:${agentPort}`, ...vars };
  const worker = spawn(
    bin("wrangler"),
    [
      "dev",
      "--port",
      String(port),
      "--ip",
      "127.0.0.1",
      ...Object.entries(allVars).flatMap(([k, v]) => ["--var", `${k}:${v}`]),
      ...persist,
    ],
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
