/**
 * Fan-out at the runtime's floor (issue 24): Tandem on both local paths, under `wrangler dev` (through its
 * proxy) and through Miniflare (workerd directly, as production has no proxy), with the defaults (auto:
 * the fixed frame budget) and the adaptive budget (adaptive); the bare workerd floor on both paths; Hocuspocus. Every
 * contender runs at each N before the next N, in a rotating order, so all see the same machine at the
 * same minutes. Prints p50/p95/p99 token → every viewer, delivered, connect, bytes per viewer and memory;
 * late joins of long transcripts; what each change bought; the issue's goals, met or missed by how much.
 * Saves bench/results/<date>.json and .svg.
 *   npm run bench:fanout [-- --viewers 1,10,100,500,1000 --tokens 250 --variants auto,room,tapped
 *     --paths wrangler,miniflare --min-samples 1000 --no-hocuspocus --no-floor --skip-late-join
 *     --late-join-paths wrangler,miniflare --messages 10000 --out <name> --smoke]
 * --smoke (npm test runs it): every part once at a tiny size, nothing saved; it proves the bench runs.
 * Variants: auto (the defaults), adaptive (FRAME_BUDGET_ADAPTIVE=true), fixed (=false: 15,000 frames/s,
 * the default since issue 24's finish), on (every viewer on
 * a shard), off (every viewer on the room), unthrottled (off, every delta at once), budget:<n> (off, fixed
 * at n frames/s), ceiling:<n> (adaptive, FRAME_BUDGET_PER_SECOND=n); and, with the defaults, two other
 * writers of the tokens: room (the bench is the agent, speaking the DO ↔ agent protocol: the room alone,
 * like with like against the floor's writer) and tapped (the product path with a tap after the agent
 * host: Claude Code + the host's hop, and the room after it, on the same tokens). `room/<variant>` is the
 * variant's settings with the bench as the agent (`room/shards:100`: the room alone, sharded at 100).
 * `<variant>@<name>` runs the variant with a Worker built from another checkout, named by `--bundles
 * <name>=<dir>,…` (each dir the --outdir of `wrangler deploy --dry-run` there; miniflare path only): a change
 * against the code before it, in one run, rounds interleaved.
 */
import { mkdirSync, writeFileSync } from "node:fs";
import { cpus, loadavg } from "node:os";
import { join } from "node:path";
import { ensureDevVars } from "../scripts/stack.mjs";
import { startFakeAgentHost } from "../test/fakes/agent-host";
import { startFakeAnthropic } from "../test/fakes/anthropic";
import { latencyChart, type Series } from "./lib/chart";
import {
  HocuspocusFanOut,
  TandemFanOut,
  pool,
  type Contender,
  type Round,
  type TokenSource,
} from "./lib/fanout";
import { WorkerdFloorFanOut } from "./lib/floor";
import { LateJoinRun } from "./lib/late-join";
import {
  fmt,
  goalTable,
  goals,
  lateLine,
  tables,
  tandemName,
  type LateJoins,
  type Results,
} from "./lib/report";
import { RUNTIME_PATHS, startTandem, type RuntimePath, type Tandem } from "./lib/stack";
import { now } from "./lib/viewers";

const arg = (name: string, fallback: string) => {
  const index = process.argv.indexOf(`--${name}`);
  return index > 0 ? process.argv[index + 1] : fallback;
};
const flag = (name: string) => process.argv.includes(`--${name}`);
const list = (name: string, fallback: string) => arg(name, fallback).split(",").filter(Boolean);
const paths = (name: string) =>
  list(name, RUNTIME_PATHS.join(",")).map((path) => {
    if (!(RUNTIME_PATHS as readonly string[]).includes(path))
      throw new Error(`unknown path ${path} (${RUNTIME_PATHS.join(", ")})`);
    return path as RuntimePath;
  });
const SMOKE = flag("smoke");
const VIEWERS = list("viewers", SMOKE ? "1,3" : "1,10,100,500,1000").map(Number);
const TOKENS = Number(arg("tokens", SMOKE ? "5" : "250"));
const VARIANTS = list("variants", SMOKE ? "auto,room,tapped" : "auto,room,tapped");
const PATHS = paths("paths");
const LATE_JOIN_PATHS = flag("skip-late-join") ? [] : paths("late-join-paths");
/**
 * lean: the transcript document as built (issue 24); strings: the same, its state encoded again for every
 * join (SYNC_KEEP_ENCODED=false); objects: settled messages as Yjs objects, encoded every join, the first
 * lean document (and TRANSCRIPT_SETTLE=objects); before: every message left live (TRANSCRIPT_SETTLE=false).
 */
const SCHEMAS = ["lean", "strings", "objects", "before"] as const;
const SCHEMA_VARS: Record<(typeof SCHEMAS)[number], Record<string, string>> = {
  lean: {},
  strings: { SYNC_KEEP_ENCODED: "false" },
  objects: { SYNC_KEEP_ENCODED: "false", TRANSCRIPT_SETTLE: "objects" },
  before: { SYNC_KEEP_ENCODED: "false", TRANSCRIPT_SETTLE: "false" },
};
type Schema = (typeof SCHEMAS)[number];
const LATE_JOIN_SCHEMAS = list("late-join-schemas", SMOKE ? "lean" : "lean,strings,objects,before").map(
  (schema) => {
    if (!(SCHEMAS as readonly string[]).includes(schema))
      throw new Error(`unknown schema ${schema} (${SCHEMAS.join(", ")})`);
    return schema as Schema;
  },
);
const MESSAGES = Number(arg("messages", SMOKE ? "20" : "10000"));
const LONG_OUTPUTS = SMOKE ? 2 : 170;
const JOINS = SMOKE ? 2 : 5;
/** Rounds repeat at an N until this many (token, viewer) pairs are pooled: one viewer's p99 is not 3 samples. */
const MIN_SAMPLES = Number(arg("min-samples", SMOKE ? "0" : "1000"));
if (TOKENS > 1000) throw new Error("at most 1000 tokens a round");

/** Workers built from other checkouts, by name: `--bundles before=/tmp/x,…` (each its index.js). */
const BUNDLES = new Map(
  list("bundles", "").map((pair) => {
    const [name, dir] = pair.split("=");
    if (!name || !dir) throw new Error(`--bundles takes name=dir pairs, not ${pair}`);
    return [name, join(dir, "index.js")] as const;
  }),
);
/** A variant's Worker: this tree's, or after `@` one of --bundles. */
function bundleOf(variant: string): { variant: string; bundle?: string } {
  const [base, name] = variant.split("@");
  if (name === undefined) return { variant };
  const bundle = BUNDLES.get(name);
  if (!bundle) throw new Error(`no --bundles entry named ${name}`);
  return { variant: base, bundle };
}

const NEVER = "1000000";
/** Who writes the tokens into the room for a variant: the product's agent unless it says otherwise. */
function sourceOf(variant: string): TokenSource {
  if (variant === "room" || variant.startsWith("room/")) return "bench";
  if (variant === "tapped") return "tapped";
  return "claude-code";
}

function varsOf(variant: string): Record<string, string> {
  if (variant.startsWith("room/")) return varsOf(variant.slice("room/".length));
  if (variant === "auto" || variant === "room" || variant === "tapped") return {};
  if (variant === "adaptive") return { FRAME_BUDGET_ADAPTIVE: "true" };
  if (variant === "fixed") return { FRAME_BUDGET_ADAPTIVE: "false" };
  if (variant === "on") return { SHARD_AFTER_VIEWERS: "0" };
  if (variant === "off") return { SHARD_AFTER_VIEWERS: NEVER };
  if (variant === "unthrottled")
    return {
      SHARD_AFTER_VIEWERS: NEVER,
      FRAME_BUDGET_ADAPTIVE: "false",
      FRAME_BUDGET_PER_SECOND: "1000000000",
    };
  const [kind, value] = variant.split(":");
  if (kind === "budget" && /^\d+$/.test(value))
    return { SHARD_AFTER_VIEWERS: NEVER, FRAME_BUDGET_ADAPTIVE: "false", FRAME_BUDGET_PER_SECOND: value };
  if (kind === "shards" && /^[1-9]\d*$/.test(value))
    return { SHARD_AFTER_VIEWERS: value, VIEWERS_PER_SHARD: value };
  if (kind === "ceiling" && /^\d+$/.test(value))
    return { FRAME_BUDGET_ADAPTIVE: "true", FRAME_BUDGET_PER_SECOND: value };
  throw new Error(`unknown variant ${variant}`);
}

async function main() {
  const started = new Date();
  const loadBefore = loadavg();
  const loadDuring: number[] = [];
  const sentAt = new Map<number, number>();
  const anthropic = await startFakeAnthropic({
    onSent: (event, data) => {
      const text = (data as { delta?: { text?: string } }).delta?.text;
      if (event === "content_block_delta" && text)
        for (const match of text.matchAll(/~(\d{6})~/g)) sentAt.set(Number(match[1]), now());
    },
  });
  let round = 0;
  const nextFirstToken = () => ++round * 1000;

  const contenders: Contender[] = PATHS.flatMap((path) =>
    VARIANTS.map((named) => {
      const { variant, bundle } = bundleOf(named);
      return new TandemFanOut(
        tandemName(named, path),
        path,
        varsOf(variant),
        sourceOf(variant),
        anthropic,
        sentAt,
        bundle,
      );
    }),
  );
  if (!flag("no-floor")) contenders.push(...PATHS.map((path) => new WorkerdFloorFanOut(path)));
  if (!flag("no-hocuspocus")) contenders.push(new HocuspocusFanOut());
  process.on("exit", () => contenders.forEach((c) => c.kill()));

  const rounds: Record<string, Round[]> = {};
  try {
    for (const contender of contenders) {
      console.log(`starting ${contender.name}`);
      await contender.start();
      await contender.round(1, 20, nextFirstToken()); // warm-up, not counted
      rounds[contender.name] = [];
    }
    for (const [i, viewers] of VIEWERS.entries()) {
      const repeats = Math.max(1, Math.ceil(MIN_SAMPLES / (viewers * TOKENS)));
      const taken = new Map<string, Round[]>(contenders.map((c) => [c.name, []]));
      for (let repeat = 0; repeat < repeats; repeat++) {
        // A different contender first at each N and repeat: none is always measured right after the heaviest.
        const offset = (i + repeat) % contenders.length;
        for (const contender of [...contenders.slice(offset), ...contenders.slice(0, offset)]) {
          loadDuring.push(loadavg()[0]);
          const result = await contender.round(viewers, TOKENS, nextFirstToken());
          taken.get(contender.name)!.push(result);
          console.log(line(contender.name, result));
        }
      }
      for (const contender of contenders) rounds[contender.name].push(pool(taken.get(contender.name)!));
    }
  } finally {
    for (const contender of contenders) await contender.stop();
  }
  // The strict fake refused nothing the agent sent: the figures are of requests the real API takes.
  if (anthropic.refusals.length > 0)
    throw new Error(`the fake Messages API refused: ${anthropic.refusals.map((r) => r.message).join("; ")}`);
  await anthropic.close();

  const late: Partial<Record<RuntimePath, LateJoins>> = {};
  const lateBefore: Partial<Record<RuntimePath, LateJoins>> = {};
  const lateObjects: Partial<Record<RuntimePath, LateJoins>> = {};
  const lateStrings: Partial<Record<RuntimePath, LateJoins>> = {};
  for (const path of LATE_JOIN_PATHS) {
    // Every schema on the same path, their joins alternating: the same machine in the same seconds.
    const joined = await lateJoins(path, LATE_JOIN_SCHEMAS);
    late[path] = joined.get("lean");
    lateStrings[path] = joined.get("strings");
    lateObjects[path] = joined.get("objects");
    lateBefore[path] = joined.get("before");
  }

  const results: Results = {
    date: started.toISOString(),
    machine: {
      cpus: cpus().length,
      model: cpus()[0]?.model,
      node: process.version,
      loadBefore,
      loadAfter: loadavg(),
      loadDuring,
    },
    config: {
      tokens: TOKENS,
      tokenIntervalMs: 20,
      viewers: VIEWERS,
      variants: VARIANTS,
      paths: PATHS,
      minSamples: MIN_SAMPLES,
    },
    rounds,
    lateJoin: late,
    lateJoinBefore: lateBefore,
    lateJoinObjects: lateObjects,
    lateJoinStrings: lateStrings,
  };
  const judged = goals(results);
  const load = (l: number[]) => l.map((x) => x.toFixed(2)).join(" / ");
  const during = [...loadDuring].sort((a, b) => a - b);
  console.log(
    `\nload average ${load(loadBefore)} before, ${load(results.machine.loadAfter)} after, 1-minute ${fmt(during[0], 2)}–${fmt(during.at(-1) ?? Number.NaN, 2)} (median ${fmt(during[Math.floor(during.length / 2)], 2)}) during the rounds; ${cpus().length} cores\n`,
  );
  console.log(tables(results));
  console.log(
    `\nGoals (issue 24; Tandem with the defaults, each path against its own floor):\n${goalTable(judged)}`,
  );
  if (SMOKE) return;

  const name = arg("out", started.toISOString().slice(0, 10));
  const dir = join(import.meta.dirname, "results");
  mkdirSync(dir, { recursive: true });
  // Samples (every Float64Array: the pooled ones, a split's hop and room) are the figures' source, not a
  // result: they stay out of the file (a tapped run's wrote 15 MB of them).
  const saved = { ...results, goals: judged };
  writeFileSync(
    join(dir, `${name}.json`),
    `${JSON.stringify(saved, (_key, value) => (value instanceof Float64Array ? undefined : value), 2)}\n`,
  );
  const colors = ["#1864ab", "#74c0fc", "#2b8a3e", "#8ce99a", "#e67700", "#862e9c", "#c92a2a", "#0b7285"];
  const series: Series[] = Object.entries(rounds).map(([label, points], i) => ({
    name: label,
    color: label.startsWith("floor")
      ? label.includes("wrangler")
        ? "#999"
        : "#ccc"
      : label === "Hocuspocus"
        ? "#444"
        : colors[i % colors.length],
    points,
  }));
  writeFileSync(
    join(dir, `${name}.svg`),
    latencyChart(
      `Token → every viewer, ${TOKENS} tokens at 50/s (load ${loadBefore[0].toFixed(1)} → ${results.machine.loadAfter[0].toFixed(1)} on ${cpus().length} cores)`,
      series,
    ),
  );
  console.log(`\nsaved bench/results/${name}.json and .svg`);
}

/**
 * Long transcripts written into a room through the real DO ↔ agent protocol, one runtime per schema, then
 * fresh viewers join each in turn: the schemas' joins alternate (in an order that rotates), so none is
 * always measured in a busier minute.
 */
async function lateJoins(path: RuntimePath, schemas: Schema[]): Promise<Map<Schema, LateJoins>> {
  console.log(`\n== Late join (${path}: ${schemas.join(", ")}) ==`);
  // The fake agent checks the room's token with the key the Worker has.
  const agentKey = ensureDevVars(8788).AGENT_KEY;
  const started: { schema: Schema; stack: Tandem; close: () => Promise<void> }[] = [];
  const kill = () => started.forEach(({ stack }) => stack.kill());
  process.on("exit", kill);
  try {
    for (const schema of schemas) {
      const agentHost = await startFakeAgentHost(agentKey);
      const stack = await startTandem({
        path,
        agentURL: `http://127.0.0.1:${agentHost.port}`,
        agentKey,
        vars: SCHEMA_VARS[schema],
      });
      started.push({ schema, stack, close: () => agentHost.close() });
    }
    const alternate = async (prompt: string, expectMessages: number, label: string) => {
      const runs: LateJoinRun[] = [];
      for (const { stack } of started) runs.push(await LateJoinRun.seed(stack, prompt, expectMessages));
      for (let i = 0; i < JOINS; i++)
        for (let k = 0; k < runs.length; k++) await runs[(i + k) % runs.length].join();
      const results = runs.map((run) => run.result());
      started.forEach(({ schema }, k) => console.log(`${schema}: ${lateLine(label, results[k])}`));
      return results;
    };
    const transcripts = await alternate(`/transcript ${MESSAGES}`, MESSAGES, `${MESSAGES} messages`);
    const longOutputs = await alternate(
      `/long-output ${LONG_OUTPUTS}`,
      1,
      `${LONG_OUTPUTS} tool outputs of 30,000 characters`,
    );
    return new Map(
      started.map(({ schema }, k) => [schema, { transcript: transcripts[k], longOutputs: longOutputs[k] }]),
    );
  } finally {
    for (const { stack, close } of started) {
      await stack.stop();
      await close();
    }
    process.off("exit", kill);
  }
}

function line(label: string, r: Round): string {
  const split = r.split
    ? `  hop p50/p99 ${fmt(r.split.hop.p50)}/${fmt(r.split.hop.p99)}, room ${fmt(r.split.room.p50)}/${fmt(r.split.room.p99)} ms`
    : "";
  return `${label.padEnd(28)} N=${String(r.viewers).padStart(4)}  p50 ${fmt(r.p50).padStart(7)}  p95 ${fmt(r.p95).padStart(7)}  p99 ${fmt(r.p99).padStart(7)} ms  delivered ${fmt(r.delivered, 2)}%  connect ${fmt(r.connectMs, 0)} ms (CPU ${fmt(r.connectCPUMs ?? Number.NaN, 0)})  ${fmt(r.bytesPerViewer, 0)} B/viewer  server ${fmt(r.serverRSS / 2 ** 20, 0)} MB${split}  load ${loadavg()[0].toFixed(2)}`;
}

main().then(
  () => process.exit(0),
  (err) => {
    console.error(err);
    process.exit(1);
  },
);
