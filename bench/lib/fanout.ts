/**
 * One round of the fan-out bench: N read-only viewers connect, then a token is streamed every 20 ms;
 * each viewer notes when each token arrives. Tandem: the fake Messages API streams to the real agent
 * host and SDK, which streams to the SessionRoom under `wrangler dev`. Hocuspocus: a server-side
 * writer in the Hocuspocus process. Both the same way: same viewers, same rate, same window.
 */
import { type ChildProcess, fork, spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import * as encoding from "lib0/encoding";
import WebSocket from "ws";
import { root, waitFor } from "../../scripts/stack.mjs";
import type { FakeAnthropic } from "../../test/fakes/anthropic";
import { freePort, rssOf, waitForSession, workerdRSS, type Tandem } from "./stack";
import { marker, now, openViewer, type Framing, type Viewer } from "./viewers";

export const TOKEN_INTERVAL_MS = 20;

export interface Round {
  viewers: number;
  p50: number;
  p95: number;
  p99: number;
  /** Tokens received over tokens sent × viewers, in percent. */
  delivered: number;
  /** From opening the first socket to the last viewer synced. */
  connectMs: number;
  /** Bytes each viewer received while the tokens streamed. */
  bytesPerViewer: number;
  /** Resident memory of the server side with these viewers connected (workerd, or the Hocuspocus process). */
  serverRSS: number;
}

export function percentile(sorted: Float64Array | number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))];
}

async function connectAll(count: number, open: () => Viewer): Promise<{ viewers: Viewer[]; connectMs: number }> {
  const started = now();
  const viewers = Array.from({ length: count }, open);
  const synced = await Promise.all(viewers.map((viewer) => viewer.synced));
  return { viewers, connectMs: Math.max(...synced) - started };
}

/** Waits until every viewer has every token, or `graceMs` after the last token was sent. */
async function collect(viewers: Viewer[], sentAt: Float64Array, graceMs: number): Promise<Omit<Round, "viewers" | "connectMs" | "serverRSS">> {
  const lastSent = Math.max(...sentAt);
  const complete = () => viewers.every((viewer) => viewer.received.every((at) => !Number.isNaN(at)));
  while (!complete() && now() < lastSent + graceMs) await new Promise((resolve) => setTimeout(resolve, 25));
  const latencies: number[] = [];
  for (const viewer of viewers) {
    for (let i = 0; i < sentAt.length; i++) if (!Number.isNaN(viewer.received[i])) latencies.push(viewer.received[i] - sentAt[i]);
  }
  const sorted = Float64Array.from(latencies).sort();
  return {
    p50: percentile(sorted, 50),
    p95: percentile(sorted, 95),
    p99: percentile(sorted, 99),
    delivered: (100 * latencies.length) / (viewers.length * sentAt.length),
    bytesPerViewer: viewers.reduce((sum, viewer) => sum + viewer.bytes, 0) / viewers.length,
  };
}

const settle = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export class TandemFanOut {
  readonly #tandem: Tandem;
  readonly #anthropic: FakeAnthropic;
  readonly #sentAt: Map<number, number>;
  #sessionId = "";

  /** `sentAt` is filled by the fake Messages API as it writes each token. */
  constructor(tandem: Tandem, anthropic: FakeAnthropic, sentAt: Map<number, number>) {
    this.#tandem = tandem;
    this.#anthropic = anthropic;
    this.#sentAt = sentAt;
  }

  async start(): Promise<void> {
    const { owner, workspaceId } = this.#tandem;
    // No model named: the catalog's default, so the bench never names a model that has retired.
    const res = await this.#tandem.api(owner, `/api/workspaces/${workspaceId}/sessions`, { timeoutSeconds: 1800 });
    if (res.status !== 201) throw new Error(`creating the bench's session: ${res.status} ${await res.text()}`);
    this.#sessionId = ((await res.json()) as { session: { id: string } }).session.id;
    await waitForSession(this.#tandem, this.#sessionId, (s) => s.phase === "Running" && s.agentStatus === "idle");
  }

  async round(count: number, tokens: number, firstToken: number): Promise<Round> {
    const url = await this.#tandem.socketURL(this.#sessionId);
    const { viewers, connectMs } = await connectAll(count, () => openViewer(url, { kind: "tandem" }, { tokens, firstToken }));
    await settle(500);
    const serverRSS = this.#tandem.runtimeRSS();
    for (const viewer of viewers) viewer.resetCounters();
    const chunks = Array.from({ length: tokens }, (_, i) => `${marker(firstToken + i)} `);
    this.#anthropic.enqueue({ kind: "message", content: [{ type: "text", text: chunks.join(""), chunks }], eventDelayMs: TOKEN_INTERVAL_MS });
    const { owner, workspaceId } = this.#tandem;
    await this.#tandem.api(owner, `/api/workspaces/${workspaceId}/sessions/${this.#sessionId}/messages`, { text: `round of ${count}` });
    const sentAt = new Float64Array(tokens).fill(Number.NaN);
    while (sentAt.some(Number.isNaN)) {
      await settle(50);
      for (let i = 0; i < tokens; i++) sentAt[i] = this.#sentAt.get(firstToken + i) ?? Number.NaN;
    }
    const result = await collect(viewers, sentAt, 3000);
    for (const viewer of viewers) viewer.close();
    await waitForSession(this.#tandem, this.#sessionId, (s) => s.agentStatus === "idle");
    await settle(500);
    return { viewers: count, connectMs, serverRSS, ...result };
  }
}

export class HocuspocusFanOut {
  #child: ChildProcess | null = null;
  #port = 0;

  async start(): Promise<void> {
    const child = fork(join(import.meta.dirname, "hocuspocus-server.ts"), { execArgv: ["--import", "tsx"], stdio: ["ignore", "ignore", "inherit", "ipc"] });
    this.#child = child;
    this.#port = await new Promise<number>((resolve) => child.once("message", (m: { port: number }) => resolve(m.port)));
  }

  async round(count: number, tokens: number, firstToken: number): Promise<Round> {
    const child = this.#child!;
    const document = `bench-${firstToken}`;
    const framing: Framing = { kind: "hocuspocus", document };
    const { viewers, connectMs } = await connectAll(count, () => openViewer(`ws://127.0.0.1:${this.#port}/`, framing, { tokens, firstToken }));
    await settle(500);
    const serverRSS = rssOf(child.pid ?? 0);
    for (const viewer of viewers) viewer.resetCounters();
    const streamed = new Promise<number[]>((resolve) => {
      const listener = (m: { type: string; sentAt?: number[] }) => {
        if (m.type !== "streamed") return;
        child.off("message", listener);
        resolve(m.sentAt ?? []);
      };
      child.on("message", listener);
    });
    child.send({ type: "stream", document, tokens, firstToken, intervalMs: TOKEN_INTERVAL_MS });
    const result = await collect(viewers, Float64Array.from(await streamed), 3000);
    for (const viewer of viewers) viewer.close();
    await settle(500);
    return { viewers: count, connectMs, serverRSS, ...result };
  }

  stop(): void {
    this.#child?.send({ type: "stop" });
  }
}

/**
 * The floor under any Durable Object design here: a bare object under `wrangler dev` that relays what
 * a writer socket sends (as the agent's socket does) to every viewer socket, with no document, no
 * storage, no throttle. What Tandem adds to it is Tandem's; the rest is the runtime's.
 */
export class WorkerdFloorFanOut {
  #worker: ChildProcess | null = null;
  #port = 0;
  #state = "";

  async start(): Promise<void> {
    this.#port = await freePort();
    this.#state = mkdtempSync(join(tmpdir(), "tandem-floor-"));
    const config = join(root, "bench", "workerd-floor", "wrangler.toml");
    this.#worker = spawn(join(root, "node_modules", ".bin", "wrangler"), ["dev", "--config", config, "--port", String(this.#port), "--ip", "127.0.0.1", "--persist-to", this.#state], {
      stdio: "ignore",
      env: { ...process.env, WRANGLER_SEND_METRICS: "false" },
    });
    await waitFor(`http://127.0.0.1:${this.#port}/health`, 90_000, this.#worker);
  }

  async round(count: number, tokens: number, firstToken: number): Promise<Round> {
    const path = `ws://127.0.0.1:${this.#port}/floor-${firstToken}`;
    const { viewers, connectMs } = await connectAll(count, () => openViewer(path, { kind: "tandem" }, { tokens, firstToken }));
    const writer = new WebSocket(`${path}?writer`);
    await new Promise((resolve, reject) => writer.once("open", resolve).once("error", reject));
    await settle(500);
    const serverRSS = workerdRSS(this.#worker?.pid ?? 0);
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
    writer.close();
    for (const viewer of viewers) viewer.close();
    await settle(500);
    return { viewers: count, connectMs, serverRSS, ...result };
  }

  stop(): void {
    this.#worker?.kill("SIGTERM");
    rmSync(this.#state, { recursive: true, force: true });
  }
}
