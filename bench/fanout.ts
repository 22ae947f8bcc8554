/**
 * Fan-out ahead of Hocuspocus (issue 10): the product path against @hocuspocus/server, same viewers,
 * same rate, same window, one run. Prints per N p50/p95/p99 token → every viewer, delivered %, connect
 * time, bytes per viewer and the ratio to Hocuspocus; late joins of long transcripts; the room's log
 * before and after compaction; the runtime's memory. Saves bench/results/<date>.json and .svg.
 *   npm run bench:fanout [-- --viewers 1,10,100,500,1000 --tokens 250 --variants auto,on,off,unthrottled
 *                            --no-hocuspocus --no-floor --skip-late-join --messages 10000 --out <name> --smoke]
 * --smoke (npm test runs it): every part once at a tiny size, nothing saved; it proves the bench runs.
 * Variants: auto (the defaults), on (every viewer on a shard), off (every viewer on the room),
 * unthrottled (off, and every delta sent at once), budget:<frames/s> (off, with that frame budget).
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { cpus, loadavg } from "node:os";
import { join } from "node:path";
import { ensureDevVars } from "../scripts/stack.mjs";
import { startFakeAgentHost } from "../test/fakes/agent-host";
import { startFakeAnthropic } from "../test/fakes/anthropic";
import { latencyChart, type Series } from "./lib/chart";
import { HocuspocusFanOut, TandemFanOut, WorkerdFloorFanOut, type Round } from "./lib/fanout";
import { lateJoin, type LateJoin } from "./lib/late-join";
import { startTandem } from "./lib/stack";
import { now } from "./lib/viewers";

const arg = (name: string, fallback: string) => {
  const index = process.argv.indexOf(`--${name}`);
  return index > 0 ? process.argv[index + 1] : fallback;
};
const flag = (name: string) => process.argv.includes(`--${name}`);
const SMOKE = flag("smoke");
const VIEWERS = arg("viewers", SMOKE ? "1,3" : "1,10,100,500,1000").split(",").map(Number);
const TOKENS = Number(arg("tokens", SMOKE ? "5" : "250"));
const VARIANTS = arg("variants", SMOKE ? "auto" : "auto,on,off,unthrottled").split(",");
const MESSAGES = Number(arg("messages", SMOKE ? "20" : "10000"));
const LONG_OUTPUTS = SMOKE ? 2 : 170;
const JOINS = SMOKE ? 2 : 5;

const NEVER = "1000000";
function varsOf(variant: string): Record<string, string> {
  if (variant === "auto") return {};
  if (variant === "on") return { SHARD_AFTER_VIEWERS: "0" };
  if (variant === "off") return { SHARD_AFTER_VIEWERS: NEVER };
  if (variant === "unthrottled") return { SHARD_AFTER_VIEWERS: NEVER, FRAME_BUDGET_PER_SECOND: "1000000000" };
  const budget = /^budget:(\d+)$/.exec(variant)?.[1];
  if (budget) return { SHARD_AFTER_VIEWERS: NEVER, FRAME_BUDGET_PER_SECOND: budget };
  throw new Error(`unknown variant ${variant}`);
}

const fmt = (n: number, digits = 1) => (Number.isFinite(n) ? n.toFixed(digits) : "—");
const mb = (bytes: number) => `${(bytes / 2 ** 20).toFixed(0)} MB`;

async function main() {
  const started = new Date();
  const loadBefore = loadavg();
  const sentAt = new Map<number, number>();
  const anthropic = await startFakeAnthropic({
    onSent: (event, data) => {
      const text = (data as { delta?: { text?: string } }).delta?.text;
      if (event === "content_block_delta" && text) for (const match of text.matchAll(/~(\d{6})~/g)) sentAt.set(Number(match[1]), now());
    },
  });
  let round = 0;
  const nextFirstToken = () => ++round * 1000;
  if (TOKENS > 1000) throw new Error("at most 1000 tokens a round");

  const hocuspocus: Round[] = [];
  const floor: Round[] = [];
  const tandem: Record<string, Round[]> = {};
  const peer = flag("no-hocuspocus") ? null : new HocuspocusFanOut();
  await peer?.start();
  if (peer) await peer.round(1, 20, nextFirstToken());
  const bare = flag("no-floor") ? null : new WorkerdFloorFanOut();
  process.on("exit", () => bare?.stop());
  await bare?.start();
  if (bare) await bare.round(1, 20, nextFirstToken());

  for (const variant of VARIANTS) {
    console.log(`\n== Tandem, shards ${variant} ==`);
    const stack = await startTandem({ vars: varsOf(variant), agentEnv: { ANTHROPIC_API_KEY: "bench", ANTHROPIC_BASE_URL: anthropic.url } });
    const stopOnExit = () => stack.stop();
    process.on("exit", stopOnExit);
    try {
      const fanOut = new TandemFanOut(stack, anthropic, sentAt);
      await fanOut.start();
      await fanOut.round(1, 20, nextFirstToken()); // warm-up, not counted
      tandem[variant] = [];
      for (const viewers of VIEWERS) {
        const result = await fanOut.round(viewers, TOKENS, nextFirstToken());
        tandem[variant].push(result);
        console.log(line(`Tandem ${variant}`, result));
        // Hocuspocus runs beside the first variant, N for N, so both see the same machine at the same time.
        if (peer && variant === VARIANTS[0]) {
          const theirs = await peer.round(viewers, TOKENS, nextFirstToken());
          hocuspocus.push(theirs);
          console.log(line("Hocuspocus", theirs));
        }
        if (bare && variant === VARIANTS[0]) {
          const runtime = await bare.round(viewers, TOKENS, nextFirstToken());
          floor.push(runtime);
          console.log(line("workerd floor", runtime));
        }
      }
    } finally {
      stack.stop();
      process.off("exit", stopOnExit);
    }
  }
  peer?.stop();
  bare?.stop();
  // The strict fake refused nothing the agent sent: the figures are of requests the real API takes.
  if (anthropic.refusals.length > 0) throw new Error(`the fake Messages API refused: ${anthropic.refusals.map((r) => r.message).join("; ")}`);
  await anthropic.close();

  let late: { transcript: LateJoin; longOutputs: LateJoin } | null = null;
  if (!flag("skip-late-join")) {
    console.log(`\n== Late join ==`);
    // The fake agent checks the room's token with the key the Worker has (.dev.vars).
    const agentHost = await startFakeAgentHost(ensureDevVars(8788).AGENT_KEY);
    const stack = await startTandem({ agentURL: `http://127.0.0.1:${agentHost.port}` });
    process.on("exit", () => stack.stop());
    try {
      const transcript = await lateJoin(stack, `/transcript ${MESSAGES}`, MESSAGES, JOINS);
      console.log(lateLine(`${MESSAGES} messages`, transcript));
      const longOutputs = await lateJoin(stack, `/long-output ${LONG_OUTPUTS}`, 1, JOINS);
      console.log(lateLine(`${LONG_OUTPUTS} tool outputs of 30,000 characters`, longOutputs));
      late = { transcript, longOutputs };
    } finally {
      stack.stop();
      await agentHost.close();
    }
  }

  const loadAfter = loadavg();
  const results = {
    date: started.toISOString(),
    machine: { cpus: cpus().length, model: cpus()[0]?.model, loadBefore, loadAfter, node: process.version },
    config: { tokens: TOKENS, tokenIntervalMs: 20, viewers: VIEWERS, variants: VARIANTS },
    hocuspocus,
    workerdFloor: floor,
    tandem,
    lateJoin: late,
  };
  report(results);
  if (SMOKE) return;
  const name = arg("out", started.toISOString().slice(0, 10));
  const dir = join(import.meta.dirname, "results");
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, `${name}.json`), `${JSON.stringify(results, null, 2)}\n`);
  const colors = ["#1864ab", "#2b8a3e", "#e67700", "#862e9c", "#c92a2a", "#0b7285"];
  const series: Series[] = Object.entries(tandem).map(([variant, rounds], i) => ({ name: `Tandem, shards ${variant}`, color: colors[i % colors.length], points: rounds }));
  if (hocuspocus.length) series.push({ name: "Hocuspocus 4", color: "#444", points: hocuspocus });
  if (floor.length) series.push({ name: "workerd floor (bare DO)", color: "#aaa", points: floor });
  writeFileSync(join(dir, `${name}.svg`), latencyChart(`Token → every viewer, ${TOKENS} tokens at 50/s (load ${loadBefore[0].toFixed(1)} → ${loadAfter[0].toFixed(1)} on ${cpus().length} cores)`, series));
  console.log(`\nsaved bench/results/${name}.json and .svg`);
}

function line(label: string, r: Round): string {
  return `${label.padEnd(22)} N=${String(r.viewers).padStart(4)}  p50 ${fmt(r.p50).padStart(7)}  p95 ${fmt(r.p95).padStart(7)}  p99 ${fmt(r.p99).padStart(7)} ms  delivered ${fmt(r.delivered, 2)}%  connect ${fmt(r.connectMs, 0)} ms  ${fmt(r.bytesPerViewer, 0)} B/viewer  server ${mb(r.serverRSS)}`;
}

function lateLine(label: string, r: LateJoin): string {
  const sorted = [...r.syncMs].sort((a, b) => a - b);
  return `${label}: synced in ${sorted.map((ms) => fmt(ms, 0)).join(", ")} ms; ${fmt(r.syncBytes / 1e6, 2)} MB in ${r.syncParts} messages (largest ${fmt(r.largestSyncPart / 1e6, 2)} MB), ${fmt(r.ratioToJSON, 2)}× its JSON (${fmt(r.jsonBytes / 1e6, 2)} MB); log ${fmt(r.appendedBytes / 1e6, 2)} MB appended → ${fmt(r.storedBytes / 1e6, 2)} MB stored in ${r.storedRows} rows (largest ${fmt(r.largestRow / 1e6, 2)} MB)`;
}

interface Results {
  machine: { loadBefore: number[]; loadAfter: number[]; cpus: number };
  hocuspocus: Round[];
  workerdFloor: Round[];
  tandem: Record<string, Round[]>;
  lateJoin: { transcript: LateJoin; longOutputs: LateJoin } | null;
}

/** The side-by-side table and the goals of issue 10, each met or missed by how much. */
function report(results: Results): void {
  const { hocuspocus, tandem, workerdFloor } = results;
  const variants = Object.keys(tandem);
  console.log(`\nload average ${results.machine.loadBefore.map((l) => l.toFixed(2)).join(" ")} before, ${results.machine.loadAfter.map((l) => l.toFixed(2)).join(" ")} after, ${results.machine.cpus} cores`);
  console.log(`\n| viewers | ${variants.map((v) => `Tandem ${v} p50 / p95 / p99 ms`).join(" | ")} | Hocuspocus p50 / p95 / p99 ms | p99 ratio (${variants[0]}) | workerd floor p50 / p95 / p99 ms |`);
  console.log(`|---|${variants.map(() => "---|").join("")}---|---|---|`);
  VIEWERS.forEach((viewers, i) => {
    const cells = variants.map((v) => {
      const r = tandem[v][i];
      return r ? `${fmt(r.p50)} / ${fmt(r.p95)} / ${fmt(r.p99)}${r.delivered < 100 ? ` (${fmt(r.delivered, 1)}% delivered)` : ""}` : "—";
    });
    const theirs = hocuspocus[i];
    const ratio = theirs ? fmt(tandem[variants[0]][i].p99 / theirs.p99, 2) : "—";
    const bare = workerdFloor[i];
    const triple = (r: Round | undefined) => (r ? `${fmt(r.p50)} / ${fmt(r.p95)} / ${fmt(r.p99)}${r.delivered < 100 ? ` (${fmt(r.delivered, 1)}%)` : ""}` : "—");
    console.log(`| ${viewers} | ${cells.join(" | ")} | ${triple(theirs)} | ${ratio} | ${triple(bare)} |`);
  });
  console.log(`\n| viewers | connect all, Tandem ${variants[0]} / Hocuspocus | bytes per viewer, Tandem / Hocuspocus | delivered, Tandem / Hocuspocus | server memory, Tandem (workerd) / Hocuspocus |`);
  console.log(`|---|---|---|---|---|`);
  VIEWERS.forEach((viewers, i) => {
    const ours = tandem[variants[0]][i];
    const theirs = hocuspocus[i];
    console.log(`| ${viewers} | ${fmt(ours.connectMs, 0)} / ${theirs ? fmt(theirs.connectMs, 0) : "—"} ms | ${fmt(ours.bytesPerViewer, 0)} / ${theirs ? fmt(theirs.bytesPerViewer, 0) : "—"} | ${fmt(ours.delivered, 2)}% / ${theirs ? fmt(theirs.delivered, 2) : "—"}% | ${mb(ours.serverRSS)} / ${theirs ? mb(theirs.serverRSS) : "—"} |`);
  });

  console.log("\nGoals (Tandem with the defaults):");
  const ours = tandem[variants[0]];
  const goal = (met: boolean, text: string) => console.log(`  ${met ? "met   " : "MISSED"} ${text}`);
  VIEWERS.forEach((viewers, i) => {
    if (viewers < 10 || !hocuspocus[i]) return;
    const limit = 0.8 * hocuspocus[i].p99;
    goal(ours[i].p99 <= limit, `p99 at ${viewers} viewers ≤ 0.8× Hocuspocus (${fmt(limit)} ms): ${fmt(ours[i].p99)} ms${ours[i].p99 > limit ? `, over by ${fmt(ours[i].p99 - limit)} ms (${fmt(ours[i].p99 / hocuspocus[i].p99, 2)}×)` : ""}`);
  });
  const one = ours[VIEWERS.indexOf(1)];
  if (one) goal(one.p99 <= 5, `one viewer p99 ≤ 5 ms: ${fmt(one.p99)} ms`);
  const undelivered = ours.filter((r) => r.delivered < 100);
  goal(undelivered.length === 0, `100% delivered at every N${undelivered.length ? `: ${undelivered.map((r) => `${fmt(r.delivered, 2)}% at ${r.viewers}`).join(", ")}` : ""}`);
  const thousand = ours[VIEWERS.indexOf(1000)];
  if (thousand) goal(thousand.connectMs <= 2000, `1,000 viewers connected ≤ 2 s: ${fmt(thousand.connectMs / 1000, 2)} s`);
  const late = results.lateJoin?.transcript;
  if (late) {
    const median = [...late.syncMs].sort((a, b) => a - b)[Math.floor(late.syncMs.length / 2)];
    goal(median <= 150, `late join of ${late.messages} messages ≤ 150 ms: median ${fmt(median, 0)} ms`);
    goal(late.ratioToJSON <= 1.3, `late join ≤ 1.3× JSON: ${fmt(late.ratioToJSON, 2)}×`);
  }
}

main().then(
  () => process.exit(0),
  (err) => {
    console.error(err);
    process.exit(1);
  },
);
