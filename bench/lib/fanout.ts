/**
 * One round of the fan-out bench: N read-only viewers connect, then a token is streamed every 20 ms;
 * each viewer notes when each token arrives. Tandem: the fake Messages API streams to the real agent
 * host and SDK, which streams to the SessionRoom (under `wrangler dev` or through Miniflare). Hocuspocus:
 * a server-side writer in the Hocuspocus process. The workerd floor: floor.ts. All the same way: same
 * viewers, same rate, same window. Each is a Contender, so the bench can interleave them N for N.
 */
import { type ChildProcess, fork } from "node:child_process";
import { join } from "node:path";
import { ensureDevVars } from "../../scripts/stack.mjs";
import { startFakeAgentHost } from "../../test/fakes/agent-host";
import type { FakeAnthropic } from "../../test/fakes/anthropic";
import { startAgentTap, type AgentTap } from "./agent-tap";
import { cpuOf, freePort, rssOf, startTandem, waitForSession, type RuntimePath, type Tandem } from "./stack";
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
  /** From opening the first socket to the last one upgraded (the rest of connectMs is the sync). */
  upgradedMs: number;
  /** CPU time the server's processes used while the viewers connected and synced (ms): load does not move it. */
  connectCPUMs?: number;
  /** Bytes each viewer received while the tokens streamed. */
  bytesPerViewer: number;
  /** Resident memory of the server side with these viewers connected (workerd, or the Hocuspocus process). */
  serverRSS: number;
  /** The same after the tokens streamed, before the viewers left. */
  serverRSSAfter: number;
  /** Every (token, viewer) latency, sorted: pooled over repeats, never saved. */
  samples: Float64Array;
  /**
   * The product path split where the frame leaves the agent host (the `tapped` agent): the hop (the fake
   * Messages API's write → the agent host's frame to the room: Claude Code and the host) per token, and
   * the room (that frame → every viewer) per (token, viewer).
   */
  split?: { hop: Percentiles; room: Percentiles; hopSamples: Float64Array; roomSamples: Float64Array };
}

export interface Percentiles {
  p50: number;
  p95: number;
  p99: number;
}

const percentiles = (sorted: Float64Array): Percentiles => ({
  p50: percentile(sorted, 50),
  p95: percentile(sorted, 95),
  p99: percentile(sorted, 99),
});

/** Something the bench measures: Tandem on a path with a variant, the workerd floor on a path, or Hocuspocus. */
export interface Contender {
  /** Its column in the tables and its key in the JSON. */
  readonly name: string;
  start(): Promise<void>;
  round(count: number, tokens: number, firstToken: number): Promise<Round>;
  stop(): Promise<void>;
  /** At the bench's exit, whatever happened: stops every process it started, at once. */
  kill(): void;
}

export function percentile(sorted: Float64Array | number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))];
}

/** Rounds of one contender at one N, as one: every sample pooled, the percentiles over all of them. */
export function pool(rounds: Round[]): Round {
  if (rounds.length === 1) return rounds[0];
  const samples = new Float64Array(rounds.reduce((sum, r) => sum + r.samples.length, 0));
  let at = 0;
  for (const r of rounds) {
    samples.set(r.samples, at);
    at += r.samples.length;
  }
  samples.sort();
  const splits = rounds.flatMap((r) => (r.split ? [r.split] : []));
  const joined = (pick: (split: NonNullable<Round["split"]>) => Float64Array) =>
    Float64Array.from(splits.flatMap((split) => [...pick(split)])).sort();
  const [hopSamples, roomSamples] = [joined((x) => x.hopSamples), joined((x) => x.roomSamples)];
  const mean = (pick: (r: Round) => number) => rounds.reduce((sum, r) => sum + pick(r), 0) / rounds.length;
  const connects = rounds.map((r) => r.connectMs).sort((a, b) => a - b);
  return {
    viewers: rounds[0].viewers,
    p50: percentile(samples, 50),
    p95: percentile(samples, 95),
    p99: percentile(samples, 99),
    delivered: mean((r) => r.delivered),
    connectMs: connects[Math.floor(connects.length / 2)],
    upgradedMs: rounds.map((r) => r.upgradedMs).sort((a, b) => a - b)[Math.floor(rounds.length / 2)],
    connectCPUMs: rounds.map((r) => r.connectCPUMs ?? Number.NaN).sort((a, b) => a - b)[
      Math.floor(rounds.length / 2)
    ],
    bytesPerViewer: mean((r) => r.bytesPerViewer),
    serverRSS: Math.max(...rounds.map((r) => r.serverRSS)),
    serverRSSAfter: Math.max(...rounds.map((r) => r.serverRSSAfter)),
    samples,
    split: splits.length
      ? { hop: percentiles(hopSamples), room: percentiles(roomSamples), hopSamples, roomSamples }
      : undefined,
  };
}

export async function connectAll(
  count: number,
  open: () => Viewer,
): Promise<{ viewers: Viewer[]; connectMs: number; upgradedMs: number }> {
  const started = now();
  const viewers = Array.from({ length: count }, open);
  const synced = await Promise.all(viewers.map((viewer) => viewer.synced));
  return {
    viewers,
    connectMs: Math.max(...synced) - started,
    upgradedMs: Math.max(...viewers.map((viewer) => viewer.openedAt)) - started,
  };
}

type Measured = Omit<
  Round,
  "viewers" | "connectMs" | "upgradedMs" | "connectCPUMs" | "serverRSS" | "serverRSSAfter" | "split"
>;

/** Waits until every viewer has every token, or `graceMs` after the last token was sent. */
export async function collect(viewers: Viewer[], sentAt: Float64Array, graceMs: number): Promise<Measured> {
  const lastSent = Math.max(...sentAt);
  const complete = () => viewers.every((viewer) => viewer.received.every((at) => !Number.isNaN(at)));
  while (!complete() && now() < lastSent + graceMs) await settle(25);
  const latencies: number[] = [];
  for (const viewer of viewers) {
    for (let i = 0; i < sentAt.length; i++)
      if (!Number.isNaN(viewer.received[i])) latencies.push(viewer.received[i] - sentAt[i]);
  }
  const samples = Float64Array.from(latencies).sort();
  return {
    ...percentiles(samples),
    delivered: (100 * latencies.length) / (viewers.length * sentAt.length),
    bytesPerViewer: viewers.reduce((sum, viewer) => sum + viewer.bytes, 0) / viewers.length,
    samples,
  };
}

/** Well inside a session's 30-minute timeout, so no round runs into it. */
const SESSION_REUSE_MS = 20 * 60_000;

export const settle = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Who writes the tokens into the room. `claude-code`: the product path, the fake Messages API streaming to
 * Claude Code in the real agent host, which relays each delta to the room. `tapped`: the same, with
 * agent-tap.ts between the host and the room to split the figure. `bench`: the bench is the agent (the
 * tests' scriptable agent host, in the bench's process as the floor's writer is), speaking the real
 * DO ↔ agent protocol and streaming `text_delta` frames at the same pace: the room alone.
 */
export type TokenSource = "claude-code" | "tapped" | "bench";

/** Tandem on one path with one variant's vars: its own runtime, agent host and session. */
export class TandemFanOut implements Contender {
  readonly name: string;
  readonly #path: RuntimePath;
  readonly #vars: Record<string, string>;
  readonly #source: TokenSource;
  readonly #workerBundle: string | undefined;
  readonly #anthropic: FakeAnthropic;
  /** When each token was written: by the fake Messages API (shared), or by the bench's own agent. */
  #sentAt: Map<number, number>;
  #tandem: Tandem | null = null;
  #tap: AgentTap | null = null;
  #closeAgent: () => Promise<void> = async () => {};
  #sessionId = "";
  #sessionStarted = 0;

  /** `sentAt` is filled by the fake Messages API as it writes each token. */
  constructor(
    name: string,
    path: RuntimePath,
    vars: Record<string, string>,
    source: TokenSource,
    anthropic: FakeAnthropic,
    sentAt: Map<number, number>,
    workerBundle?: string,
  ) {
    this.name = name;
    this.#path = path;
    this.#vars = vars;
    this.#source = source;
    this.#workerBundle = workerBundle;
    this.#anthropic = anthropic;
    this.#sentAt = sentAt;
  }

  async start(): Promise<void> {
    const agentEnv = { ANTHROPIC_API_KEY: "bench", ANTHROPIC_BASE_URL: this.#anthropic.url };
    if (this.#source === "bench") {
      const sentAt = new Map<number, number>();
      this.#sentAt = sentAt;
      // The fake agent checks the room's token with the key the Worker has.
      const agentKey = ensureDevVars(8788).AGENT_KEY;
      const host = await startFakeAgentHost(agentKey, 0, {
        onSent: (frame) => {
          if (frame.type !== "text_delta") return;
          const at = now();
          for (const match of frame.text.matchAll(/~(\d{6})~/g)) sentAt.set(Number(match[1]), at);
        },
      });
      this.#closeAgent = () => host.close();
      this.#tandem = await startTandem({
        path: this.#path,
        vars: this.#vars,
        agentURL: `http://127.0.0.1:${host.port}`,
        agentKey,
        workerBundle: this.#workerBundle,
      });
    } else if (this.#source === "tapped") {
      const [agentPort, tapPort] = [await freePort(), await freePort()];
      this.#tap = await startAgentTap(tapPort, agentPort);
      this.#tandem = await startTandem({
        path: this.#path,
        vars: { ...this.#vars, AGENT_URL: `http://127.0.0.1:${tapPort}` },
        agentPort,
        agentEnv,
        workerBundle: this.#workerBundle,
      });
    } else
      this.#tandem = await startTandem({
        path: this.#path,
        vars: this.#vars,
        agentEnv,
        workerBundle: this.#workerBundle,
      });
    await this.#newSession();
  }

  /** A run lasts at most 30 minutes (the session's longest timeout): a long bench goes on in a new session. */
  async #newSession(): Promise<void> {
    const tandem = this.#tandem!;
    const { owner, workspaceId } = tandem;
    // No model named: the catalog's default, so the bench never names a model that has retired.
    const res = await tandem.api(owner, `/api/workspaces/${workspaceId}/sessions`, { timeoutSeconds: 1800 });
    if (res.status !== 201)
      throw new Error(`creating the bench's session: ${res.status} ${await res.text()}`);
    this.#sessionId = ((await res.json()) as { session: { id: string } }).session.id;
    this.#sessionStarted = Date.now();
    await waitForSession(tandem, this.#sessionId, (s) => s.phase === "Running" && s.agentStatus === "idle");
  }

  async round(count: number, tokens: number, firstToken: number): Promise<Round> {
    const tandem = this.#tandem!;
    if (Date.now() - this.#sessionStarted > SESSION_REUSE_MS) await this.#newSession();
    const url = await tandem.socketURL(this.#sessionId);
    const cpuBefore = tandem.runtimeCPU();
    const { viewers, connectMs, upgradedMs } = await connectAll(count, () =>
      openViewer(url, { kind: "tandem" }, { tokens, firstToken }),
    );
    const connectCPUMs = tandem.runtimeCPU() - cpuBefore;
    await settle(500);
    const serverRSS = tandem.runtimeRSS();
    for (const viewer of viewers) viewer.resetCounters();
    const chunks = Array.from({ length: tokens }, (_, i) => `${marker(firstToken + i)} `);
    let prompt = `round of ${count}`;
    if (this.#source === "bench") prompt = `/stream ${TOKEN_INTERVAL_MS} ${firstToken} ${tokens}`;
    else
      this.#anthropic.enqueue({
        kind: "message",
        content: [{ type: "text", text: chunks.join(""), chunks }],
        eventDelayMs: TOKEN_INTERVAL_MS,
      });
    const { owner, workspaceId } = tandem;
    await tandem.api(owner, `/api/workspaces/${workspaceId}/sessions/${this.#sessionId}/messages`, {
      text: prompt,
    });
    const sentAt = new Float64Array(tokens).fill(Number.NaN);
    while (sentAt.some(Number.isNaN)) {
      await settle(50);
      for (let i = 0; i < tokens; i++) sentAt[i] = this.#sentAt.get(firstToken + i) ?? Number.NaN;
    }
    const result = await collect(viewers, sentAt, 3000);
    const split = this.#tap ? await this.#split(viewers, sentAt, firstToken) : undefined;
    const serverRSSAfter = tandem.runtimeRSS();
    for (const viewer of viewers) viewer.close();
    await waitForSession(tandem, this.#sessionId, (s) => s.agentStatus === "idle");
    await settle(500);
    return {
      viewers: count,
      connectMs,
      upgradedMs,
      connectCPUMs,
      serverRSS,
      serverRSSAfter,
      ...result,
      split,
    };
  }

  /** The same tokens timed where they left the agent host: the hop before it, the room after it. */
  async #split(viewers: Viewer[], sentAt: Float64Array, firstToken: number): Promise<Round["split"]> {
    const seenAt = Float64Array.from(sentAt, (_, i) => this.#tap!.seenAt.get(firstToken + i) ?? Number.NaN);
    const hopSamples = Float64Array.from(sentAt, (at, i) => seenAt[i] - at)
      .filter(Number.isFinite)
      .sort();
    // Every viewer already has what it will get (collect waited): this only measures from the tap.
    const roomSamples = (await collect(viewers, seenAt, 0)).samples.filter(Number.isFinite);
    return { hop: percentiles(hopSamples), room: percentiles(roomSamples), hopSamples, roomSamples };
  }

  async stop(): Promise<void> {
    await this.#tandem?.stop();
    await this.#tap?.close();
    await this.#closeAgent();
  }

  kill(): void {
    this.#tandem?.kill();
  }
}

export class HocuspocusFanOut implements Contender {
  readonly name = "Hocuspocus";
  #child: ChildProcess | null = null;
  #port = 0;

  async start(): Promise<void> {
    const child = fork(join(import.meta.dirname, "hocuspocus-server.ts"), {
      execArgv: ["--import", "tsx"],
      stdio: ["ignore", "ignore", "inherit", "ipc"],
    });
    this.#child = child;
    this.#port = await new Promise<number>((resolve) =>
      child.once("message", (m: { port: number }) => resolve(m.port)),
    );
  }

  async round(count: number, tokens: number, firstToken: number): Promise<Round> {
    const child = this.#child!;
    const document = `bench-${firstToken}`;
    const framing: Framing = { kind: "hocuspocus", document };
    const cpuBefore = cpuOf(child.pid ?? 0);
    const { viewers, connectMs, upgradedMs } = await connectAll(count, () =>
      openViewer(`ws://127.0.0.1:${this.#port}/`, framing, { tokens, firstToken }),
    );
    const connectCPUMs = cpuOf(child.pid ?? 0) - cpuBefore;
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
    const serverRSSAfter = rssOf(child.pid ?? 0);
    for (const viewer of viewers) viewer.close();
    await settle(500);
    return { viewers: count, connectMs, upgradedMs, connectCPUMs, serverRSS, serverRSSAfter, ...result };
  }

  async stop(): Promise<void> {
    this.#child?.send({ type: "stop" });
  }

  kill(): void {
    if (this.#child?.exitCode === null) this.#child.kill("SIGKILL");
  }
}
