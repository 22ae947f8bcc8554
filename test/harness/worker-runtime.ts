/**
 * The Worker and its Durable Objects in workerd, as `wrangler dev` runs them, but started through Miniflare
 * from one prebuilt bundle (bundles.ts): a start costs workerd's boot, not a wrangler process and a bundle.
 * State (D1, Durable Objects, R2) persists under `state/v3` in wrangler's layout, so stopping and starting
 * again is a real restart of the runtime over the same storage.
 */
import { readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import { Log, LogLevel, Miniflare, convertV4MiniflareOptions } from "miniflare";
import { unstable_getMiniflareWorkerOptions, unstable_splitSqlQuery } from "wrangler";
import { ROOT, bundleWorker } from "./bundles.ts";

export interface WorkerRuntimeOptions {
  /** The folder the runtime's storage lives in (wrangler's `--persist-to`). */
  state: string;
  port: number;
  /** Worker vars over wrangler.toml's `[vars]` (`wrangler dev --var`). */
  vars: Record<string, string>;
  verbose?: boolean;
  /** A port for workerd's inspector (DevTools protocol: profiles of the Worker and its objects). */
  inspectorPort?: number;
  /** A Worker bundled elsewhere (`wrangler deploy --dry-run --outdir`: its index.js), instead of this tree's. */
  bundle?: string;
}

export class WorkerRuntime {
  readonly options: WorkerRuntimeOptions;
  #miniflare: Miniflare | null = null;

  private constructor(options: WorkerRuntimeOptions) {
    this.options = options;
  }

  /** Starts the runtime on fresh state, with the D1 migrations applied as `wrangler d1 migrations apply` does. */
  static async start(options: WorkerRuntimeOptions): Promise<WorkerRuntime> {
    const runtime = new WorkerRuntime(options);
    await runtime.start();
    await runtime.#migrate();
    return runtime;
  }

  get url(): string {
    return `http://127.0.0.1:${this.options.port}`;
  }

  get running(): boolean {
    return this.#miniflare !== null;
  }

  /** Starts workerd (again) on the same state and port. */
  async start(): Promise<void> {
    if (this.#miniflare) return;
    const miniflare = new Miniflare(miniflareOptions(this.options));
    await miniflare.ready;
    this.#miniflare = miniflare;
  }

  /** Stops workerd: what it had not written is lost, as in a restart of the runtime. */
  async stop(): Promise<void> {
    const miniflare = this.#miniflare;
    this.#miniflare = null;
    await miniflare?.dispose();
  }

  async #migrate(): Promise<void> {
    const db = await this.#miniflare!.getD1Database("DB");
    const dir = path.join(ROOT, "migrations");
    // The table wrangler keeps its applied migrations in, so `wrangler d1 migrations list --local` agrees.
    await db.exec(
      "CREATE TABLE IF NOT EXISTS d1_migrations(id INTEGER PRIMARY KEY AUTOINCREMENT, name TEXT UNIQUE, applied_at TIMESTAMP DEFAULT CURRENT_TIMESTAMP NOT NULL)",
    );
    for (const name of readdirSync(dir)
      .filter((file) => file.endsWith(".sql"))
      .sort()) {
      const statements = unstable_splitSqlQuery(readFileSync(path.join(dir, name), "utf8"));
      await db.batch([
        ...statements.map((sql) => db.prepare(sql)),
        db.prepare("INSERT INTO d1_migrations (name) VALUES (?)").bind(name),
      ]);
    }
  }
}

/** wrangler.toml's Worker, as wrangler dev gives it to Miniflare, running the prebuilt bundle. */
function miniflareOptions(options: WorkerRuntimeOptions) {
  const bundle = options.bundle ?? bundleWorker();
  const { workerOptions } = unstable_getMiniflareWorkerOptions(path.join(ROOT, "wrangler.toml"), undefined, {
    overrides: { enableContainers: false },
  });
  // Module rules and the root path describe sources; the bundle is one module and needs neither.
  const {
    modulesRules: _rules,
    rootPath: _root,
    connectHandlers: _handlers,
    ...worker
  } = workerOptions as typeof workerOptions & { connectHandlers?: unknown };
  const converted = convertV4MiniflareOptions({
    ...worker,
    name: "tandem",
    modules: true,
    scriptPath: bundle,
    modulesRoot: path.dirname(bundle),
    bindings: { ...(worker.bindings as Record<string, unknown>), ...options.vars },
    host: "127.0.0.1",
    port: options.port,
    ...(options.verbose && { log: new Log(LogLevel.INFO) }),
    ...(options.inspectorPort && { inspectorPort: options.inspectorPort }),
  } as Parameters<typeof convertV4MiniflareOptions>[0]);
  return { ...converted, resourcePersistencePath: path.join(options.state, "v3") };
}
