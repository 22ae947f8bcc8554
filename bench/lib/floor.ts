/**
 * The floor under any Durable Object design here: a bare object (bench/workerd-floor/) that relays what a
 * writer socket sends (as the agent's socket does) to every viewer socket, with no document, no storage,
 * no throttle, on either path: under `wrangler dev` (through its local proxy) or through Miniflare
 * directly. What Tandem adds to it on the same path is Tandem's; the rest is the runtime's.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { build } from "esbuild";
import * as encoding from "lib0/encoding";
import { Miniflare, convertV4MiniflareOptions } from "miniflare";
import { unstable_getMiniflareWorkerOptions } from "wrangler";
import WebSocket from "ws";
import { root, waitFor } from "../../scripts/stack.mjs";
import { TOKEN_INTERVAL_MS, collect, connectAll, settle, type Contender, type Round } from "./fanout";
import { floorName } from "./report";
import {
  freePort,
  killMiniflare,
  miniflareCPU,
  miniflareRSS,
  workerdCPU,
  workerdRSS,
  type RuntimePath,
} from "./stack";
import { marker, now, openViewer } from "./viewers";

const FLOOR = join(root, "bench", "workerd-floor");

export class WorkerdFloorFanOut implements Contender {
  readonly name: string;
  readonly #path: RuntimePath;
  #port = 0;
  #state = "";
  #wrangler: ChildProcess | null = null;
  #miniflare: Miniflare | null = null;

  constructor(path: RuntimePath) {
    this.#path = path;
    this.name = floorName(path);
  }

  async start(): Promise<void> {
    this.#port = await freePort();
    this.#state = mkdtempSync(join(tmpdir(), `tandem-floor-${this.#path}-`));
    if (this.#path === "miniflare") return this.#startMiniflare();
    const config = join(FLOOR, "wrangler.toml");
    this.#wrangler = spawn(
      join(root, "node_modules", ".bin", "wrangler"),
      [
        "dev",
        "--config",
        config,
        "--port",
        String(this.#port),
        "--ip",
        "127.0.0.1",
        "--persist-to",
        this.#state,
      ],
      {
        stdio: "ignore",
        env: { ...process.env, WRANGLER_SEND_METRICS: "false" },
      },
    );
    await waitFor(`http://127.0.0.1:${this.#port}/health`, 90_000, this.#wrangler);
  }

  /** The floor's wrangler.toml as wrangler dev gives it to Miniflare, running the floor bundled by esbuild. */
  async #startMiniflare(): Promise<void> {
    const script = join(this.#state, "floor.js");
    await build({
      entryPoints: [join(FLOOR, "index.ts")],
      outfile: script,
      bundle: true,
      format: "esm",
      platform: "neutral",
      external: ["cloudflare:*"],
      logLevel: "warning",
    });
    const { workerOptions } = unstable_getMiniflareWorkerOptions(join(FLOOR, "wrangler.toml"));
    const { modulesRules: _rules, rootPath: _root, ...worker } = workerOptions;
    const options = convertV4MiniflareOptions({
      ...worker,
      name: "workerd-floor",
      modules: true,
      scriptPath: script,
      modulesRoot: this.#state,
      host: "127.0.0.1",
      port: this.#port,
    } as Parameters<typeof convertV4MiniflareOptions>[0]);
    this.#miniflare = new Miniflare({ ...options, resourcePersistencePath: join(this.#state, "v3") });
    await this.#miniflare.ready;
  }

  #cpu(): number {
    return this.#path === "miniflare" ? miniflareCPU(this.#port) : workerdCPU(this.#wrangler?.pid ?? 0);
  }

  #rss(): number {
    return this.#path === "miniflare" ? miniflareRSS(this.#port) : workerdRSS(this.#wrangler?.pid ?? 0);
  }

  async round(count: number, tokens: number, firstToken: number): Promise<Round> {
    const path = `ws://127.0.0.1:${this.#port}/floor-${firstToken}`;
    const cpuBefore = this.#cpu();
    const { viewers, connectMs, upgradedMs } = await connectAll(count, () =>
      openViewer(path, { kind: "tandem" }, { tokens, firstToken }),
    );
    const connectCPUMs = this.#cpu() - cpuBefore;
    const writer = new WebSocket(`${path}?writer`);
    await new Promise((resolve, reject) => writer.once("open", resolve).once("error", reject));
    await settle(500);
    const serverRSS = this.#rss();
    for (const viewer of viewers) viewer.resetCounters();
    const sentAt = new Float64Array(tokens);
    const start = now();
    for (let i = 0; i < tokens; i++) {
      const wait = start + i * TOKEN_INTERVAL_MS - now();
      if (wait > 0) await settle(wait);
      const encoder = encoding.createEncoder();
      encoding.writeVarUint(encoder, 0);
      encoding.writeVarUint(encoder, 2);
      encoding.writeVarString(encoder, `${marker(firstToken + i)} `);
      sentAt[i] = now();
      writer.send(encoding.toUint8Array(encoder));
    }
    const result = await collect(viewers, sentAt, 3000);
    const serverRSSAfter = this.#rss();
    writer.close();
    for (const viewer of viewers) viewer.close();
    await settle(500);
    return { viewers: count, connectMs, upgradedMs, connectCPUMs, serverRSS, serverRSSAfter, ...result };
  }

  async stop(): Promise<void> {
    this.#wrangler?.kill("SIGTERM");
    await this.#miniflare?.dispose();
    rmSync(this.#state, { recursive: true, force: true });
  }

  kill(): void {
    this.#wrangler?.kill("SIGTERM");
    if (this.#miniflare) killMiniflare(this.#port);
  }
}
