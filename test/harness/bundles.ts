/**
 * What the test stacks run, built once and reused until a source changes: the Worker as `wrangler deploy`
 * bundles it, and the agent host as one ES module that `node` starts (no TypeScript compiled at each start).
 * Both live in node_modules/.cache/tandem, where bare imports resolve to the repository's node_modules.
 */
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, readdirSync, renameSync, rmSync, statSync } from "node:fs";
import path from "node:path";
import { build, type Plugin } from "esbuild";

export const ROOT = path.resolve(import.meta.dirname, "../..");
const CACHE = path.join(ROOT, "node_modules", ".cache", "tandem");
export const WORKER_BUNDLE = path.join(CACHE, "worker", "index.js");
export const AGENT_BUNDLE = path.join(CACHE, "agent", "server.mjs");
/** The Node the project runs on (the `node` devDependency), whatever `node` is first on PATH. */
export const NODE = existsSync(path.join(ROOT, "node_modules", ".bin", "node"))
  ? path.join(ROOT, "node_modules", ".bin", "node")
  : process.execPath;

/** Newest modification time of the files at `paths` (folders walked, node_modules skipped). */
function newest(paths: string[]): number {
  let latest = 0;
  for (const at of paths) {
    if (!existsSync(at)) continue;
    const stat = statSync(at);
    if (!stat.isDirectory()) latest = Math.max(latest, stat.mtimeMs);
    else
      for (const entry of readdirSync(at))
        if (entry !== "node_modules") latest = Math.max(latest, newest([path.join(at, entry)]));
  }
  return latest;
}

const sources = (...parts: string[]) =>
  newest([...parts, "wrangler.toml", "package-lock.json"].map((part) => path.join(ROOT, part)));
const fresh = (file: string, since: number) => existsSync(file) && statSync(file).mtimeMs > since;

/** The Worker bundle, rebuilt by `wrangler deploy --dry-run` when worker/ changed. */
export function bundleWorker(): string {
  if (fresh(WORKER_BUNDLE, sources("worker"))) return WORKER_BUNDLE;
  // Built beside, then moved into place: two suites starting at once never read half a bundle.
  const outdir = `${path.dirname(WORKER_BUNDLE)}.${process.pid}`;
  const result = spawnSync(
    path.join(ROOT, "node_modules", ".bin", "wrangler"),
    ["deploy", "--dry-run", "--containers-rollout=none", "--outdir", outdir],
    {
      cwd: ROOT,
      env: { ...process.env, WRANGLER_SEND_METRICS: "false", CI: "1" },
      encoding: "utf8",
    },
  );
  if (result.status !== 0) throw new Error(`bundling the Worker failed:\n${result.stdout}\n${result.stderr}`);
  rmSync(path.dirname(WORKER_BUNDLE), { recursive: true, force: true });
  renameSync(outdir, path.dirname(WORKER_BUNDLE));
  return WORKER_BUNDLE;
}

/**
 * Packages stay imports (node_modules resolves them at run time), except the repository's own workspace
 * packages (@tandem/protocol): those are TypeScript sources, compiled into the bundle.
 */
const packagesStayImports: Plugin = {
  name: "packages-stay-imports",
  setup(build) {
    build.onResolve({ filter: /^[^./]/ }, (args) =>
      args.path.startsWith("@tandem/") ? undefined : { path: args.path, external: true },
    );
  },
};

/** The agent host bundle, rebuilt by esbuild when containers/agent or worker/ changed. */
export async function bundleAgent(): Promise<string> {
  if (fresh(AGENT_BUNDLE, sources("containers/agent", "worker"))) return AGENT_BUNDLE;
  mkdirSync(path.dirname(AGENT_BUNDLE), { recursive: true });
  const temporary = `${AGENT_BUNDLE}.${process.pid}`;
  await build({
    entryPoints: [path.join(ROOT, "containers", "agent", "server.ts")],
    outfile: temporary,
    bundle: true,
    platform: "node",
    format: "esm",
    target: "node22",
    plugins: [packagesStayImports],
    sourcemap: "inline",
    logLevel: "warning",
  });
  renameSync(temporary, AGENT_BUNDLE);
  return AGENT_BUNDLE;
}
