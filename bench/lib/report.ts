/**
 * What `npm run bench:fanout` prints and saves: the tables side by side (every contender, N for N), what
 * each change bought as ratios from the same run, and issue 24's goals, each met or missed by how much.
 */
import type { Round } from "./fanout";
import type { LateJoin } from "./late-join";
import type { RuntimePath } from "./stack";

export interface LateJoins {
  transcript: LateJoin;
  longOutputs: LateJoin;
}

export interface Results {
  date: string;
  machine: {
    cpus: number;
    model?: string;
    node: string;
    loadBefore: number[];
    loadAfter: number[];
    loadDuring: number[];
  };
  config: {
    tokens: number;
    tokenIntervalMs: number;
    viewers: number[];
    variants: string[];
    paths: RuntimePath[];
    minSamples: number;
  };
  /** Per contender, one round per N (config.viewers' order), pooled over its repeats. */
  rounds: Record<string, Round[]>;
  lateJoin: Partial<Record<RuntimePath, LateJoins>>;
  /** The same late joins with every message left live: the document as before issue 24. */
  lateJoinBefore?: Partial<Record<RuntimePath, LateJoins>>;
  /** The same late joins with settled messages as Yjs objects, encoded every join: the first lean document. */
  lateJoinObjects?: Partial<Record<RuntimePath, LateJoins>>;
  /** The same late joins with the state encoded every join (no kept encoding). */
  lateJoinStrings?: Partial<Record<RuntimePath, LateJoins>>;
}

export interface Goal {
  measure: string;
  goal: string;
  result: string;
  /** null: reported, not judged. */
  met: boolean | null;
}

export const tandemName = (variant: string, path: RuntimePath) => `Tandem ${variant} (${path})`;
export const floorName = (path: RuntimePath) => `floor (${path})`;
export const HOCUSPOCUS = "Hocuspocus";
/** The variant the goals judge: the defaults. */
export const DEFAULTS = "auto";
/** The defaults with the bench as the agent: the room alone, written to as the floor is. */
export const ROOM_ALONE = "room";
/** The defaults with a tap after the agent host: the product figure split into the hop and the room. */
export const TAPPED = "tapped";

export const fmt = (n: number, digits = 1) =>
  Number.isFinite(n)
    ? n.toLocaleString("en-US", { minimumFractionDigits: digits, maximumFractionDigits: digits })
    : "—";
const mb = (bytes: number) => `${fmt(bytes / 2 ** 20, 0)} MB`;
const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];
const triple = (r: Round | undefined) =>
  r
    ? `${fmt(r.p50)} / ${fmt(r.p95)} / ${fmt(r.p99)}${r.delivered < 100 ? ` (${fmt(r.delivered, 1)}%)` : ""}`
    : "—";

function table(header: string[], rows: string[][]): string {
  return [
    `| ${header.join(" | ")} |`,
    `|${header.map(() => "---|").join("")}`,
    ...rows.map((row) => `| ${row.join(" | ")} |`),
  ].join("\n");
}

/** The p99 of `a` over `b` at each N, where both ran. */
function ratio(results: Results, a: string, b: string, i: number): string {
  const [x, y] = [results.rounds[a]?.[i], results.rounds[b]?.[i]];
  return x && y ? `${fmt(x.p99 / y.p99, 2)}×` : "—";
}

export function tables(results: Results): string {
  const names = Object.keys(results.rounds);
  const n = results.config.viewers;
  const row = (pick: (r: Round) => string) =>
    n.map((viewers, i) => [
      fmt(viewers, 0),
      ...names.map((name) => (results.rounds[name][i] ? pick(results.rounds[name][i]) : "—")),
    ]);
  const out = [
    `Token → every viewer, ms (p50 / p95 / p99; delivered when under 100%), ${results.config.tokens} tokens at 50/s:`,
    table(
      ["viewers", ...names],
      n.map((viewers, i) => [fmt(viewers, 0), ...names.map((name) => triple(results.rounds[name][i]))]),
    ),
    "\nConnect all, ms (all synced; all upgraded; the server's CPU time meanwhile):",
    table(
      ["viewers", ...names],
      row(
        (r) => `${fmt(r.connectMs, 0)}; ${fmt(r.upgradedMs, 0)}; CPU ${fmt(r.connectCPUMs ?? Number.NaN, 0)}`,
      ),
    ),
    "\nServer memory with the viewers connected (workerd processes of the path, or the Hocuspocus process):",
    table(
      ["viewers", ...names],
      row((r) => mb(r.serverRSS)),
    ),
    "\nBytes per viewer while the tokens streamed:",
    table(
      ["viewers", ...names],
      row((r) => fmt(r.bytesPerViewer, 0)),
    ),
  ];
  const columns: [string, string, string][] = [];
  for (const path of results.config.paths) {
    // Since issue 24's finish the defaults (auto) fix the budget; before, auto adapted and `fixed` was the comparison.
    const [adaptive, fixed] = results.rounds[tandemName("adaptive", path)]
      ? ["adaptive", DEFAULTS]
      : [DEFAULTS, "fixed"];
    columns.push([`adaptive ÷ fixed budget (${path})`, tandemName(adaptive, path), tandemName(fixed, path)]);
    columns.push([`Tandem ÷ floor (${path})`, tandemName(DEFAULTS, path), floorName(path)]);
    columns.push([`the room alone ÷ floor (${path})`, tandemName(ROOM_ALONE, path), floorName(path)]);
    columns.push([`Tandem ÷ Hocuspocus (${path})`, tandemName(DEFAULTS, path), HOCUSPOCUS]);
  }
  columns.push([
    "the proxy: Tandem wrangler ÷ Miniflare",
    tandemName(DEFAULTS, "wrangler"),
    tandemName(DEFAULTS, "miniflare"),
  ]);
  columns.push(["the proxy: floor wrangler ÷ Miniflare", floorName("wrangler"), floorName("miniflare")]);
  const shown = columns.filter(([, a, b]) => results.rounds[a] && results.rounds[b]);
  if (shown.length) {
    out.push("\nWhat each change buys, p99 over p99 in this run (under 1: the first is faster):");
    out.push(
      table(
        ["viewers", ...shown.map(([title]) => title)],
        n.map((viewers, i) => [fmt(viewers, 0), ...shown.map(([, a, b]) => ratio(results, a, b, i))]),
      ),
    );
  }
  out.push(...splitTable(results));
  for (const [path, late] of Object.entries(results.lateJoin)) {
    if (!late) continue;
    out.push(
      `\nLate joins (${path}):`,
      `  ${lateLine(`${late.transcript.messages} messages`, late.transcript)}`,
      `  ${lateLine("long tool outputs", late.longOutputs)}`,
    );
  }
  for (const [path, late] of Object.entries(results.lateJoinStrings ?? {})) {
    if (!late) continue;
    out.push(
      `\nLate joins (${path}, the state encoded again for every join):`,
      `  ${lateLine(`${late.transcript.messages} messages`, late.transcript)}`,
      `  ${lateLine("long tool outputs", late.longOutputs)}`,
    );
  }
  for (const [path, late] of Object.entries(results.lateJoinObjects ?? {})) {
    if (!late) continue;
    out.push(
      `\nLate joins (${path}, settled messages as objects, encoded every join: the first lean document):`,
      `  ${lateLine(`${late.transcript.messages} messages`, late.transcript)}`,
      `  ${lateLine("long tool outputs", late.longOutputs)}`,
    );
  }
  for (const [path, late] of Object.entries(results.lateJoinBefore ?? {})) {
    if (!late) continue;
    out.push(
      `\nLate joins (${path}, the schema before issue 24):`,
      `  ${lateLine(`${late.transcript.messages} messages`, late.transcript)}`,
      `  ${lateLine("long tool outputs", late.longOutputs)}`,
    );
  }
  return out.join("\n");
}

/**
 * The product figure beside its parts, measured: the room alone (the bench as the agent), and on the
 * tapped product path the Claude Code + agent host hop and the room after it, on the same tokens.
 */
function splitTable(results: Results): string[] {
  const n = results.config.viewers;
  const out: string[] = [];
  for (const path of results.config.paths) {
    const [whole, alone, tapped, floor] = [
      results.rounds[tandemName(DEFAULTS, path)],
      results.rounds[tandemName(ROOM_ALONE, path)],
      results.rounds[tandemName(TAPPED, path)],
      results.rounds[floorName(path)],
    ];
    if (!alone && !tapped) continue;
    out.push(
      `\nWhere the product path's time goes (${path}), ms p50 / p95 / p99:`,
      table(
        [
          "viewers",
          "product path (API write → viewer)",
          "the room alone (the bench as agent)",
          "floor",
          "tapped: whole",
          "tapped: Claude Code + agent host (API write → frame to the room)",
          "tapped: the room (frame → viewer)",
        ],
        n.map((viewers, i) => [
          fmt(viewers, 0),
          triple(whole?.[i]),
          triple(alone?.[i]),
          triple(floor?.[i]),
          triple(tapped?.[i]),
          parts(tapped?.[i]?.split?.hop),
          parts(tapped?.[i]?.split?.room),
        ]),
      ),
    );
  }
  return out;
}

const parts = (p: { p50: number; p95: number; p99: number } | undefined) =>
  p ? `${fmt(p.p50)} / ${fmt(p.p95)} / ${fmt(p.p99)}` : "—";

export function lateLine(label: string, r: LateJoin): string {
  const sorted = [...r.syncMs].sort((a, b) => a - b);
  const read = [...(r.readMs ?? [])].sort((a, b) => a - b);
  const phase = (key: keyof LateJoin["phases"][number]) =>
    fmt(median((r.phases ?? []).map((p) => p[key])), 0);
  return `${label}: synced in ${sorted.map((ms) => fmt(ms, 0)).join(", ")} ms, then read in ${read.map((ms) => fmt(ms, 0)).join(", ")} ms (medians: upgrade ${phase("upgradeMs")}, answer ${phase("answerMs")}, receive ${phase("receiveMs")}, apply ${phase("applyMs")} ms); ${fmt(r.syncBytes / 1e6, 2)} MB in ${r.syncParts} messages (largest ${fmt(r.largestSyncPart / 1e6, 2)} MB), ${fmt(r.ratioToJSON, 2)}× its JSON (${fmt(r.jsonBytes / 1e6, 2)} MB); log ${fmt(r.appendedBytes / 1e6, 2)} MB appended → ${fmt(r.storedBytes / 1e6, 2)} MB stored in ${r.storedRows} rows (largest ${fmt(r.largestRow / 1e6, 2)} MB); runtime ${mb(r.rssBefore)} → ${mb(r.rssSeeded)} written → ${mb(r.rssAfterJoins)} after the joins`;
}

/** Issue 24's goals, from one run: each met, or missed by how much. */
export function goals(results: Results): Goal[] {
  const out: Goal[] = [];
  const n = results.config.viewers;
  const hocuspocus = results.rounds[HOCUSPOCUS];
  for (const path of results.config.paths) {
    const ours = results.rounds[tandemName(DEFAULTS, path)];
    const floor = results.rounds[floorName(path)];
    // The product path is judged; the room alone, written to as the floor is, is judged beside it.
    for (const [variant, what] of [
      [DEFAULTS, ""],
      [ROOM_ALONE, ", the room alone"],
    ]) {
      const judged = results.rounds[tandemName(variant, path)];
      if (judged) out.push(...p99Goals(judged, floor, hocuspocus, n, `${what} (${path})`));
    }
    if (!ours) continue;
    const thousand = n.indexOf(1000);
    if (thousand >= 0 && ours[thousand] && floor?.[thousand]) {
      const limit = floor[thousand].connectMs * 1.1;
      const got = ours[thousand].connectMs;
      out.push({
        measure: `connect 1,000 viewers (${path})`,
        goal: `≤ floor + 10% (${fmt(limit / 1000, 2)} s)`,
        result: `${fmt(got / 1000, 2)} s${got > limit ? `, over by ${fmt((got - limit) / 1000, 2)} s (${fmt(got / floor[thousand].connectMs, 2)}× the floor)` : ""}`,
        met: got <= limit,
      });
      const [cpu, floorCPU] = [ours[thousand].connectCPUMs, floor[thousand].connectCPUMs];
      if (cpu !== undefined && floorCPU !== undefined)
        out.push({
          measure: `connect 1,000 viewers, the server's CPU time (${path})`,
          goal: "report (what load does not move)",
          result: `${fmt(cpu, 0)} ms against the floor's ${fmt(floorCPU, 0)} ms (${fmt(cpu / floorCPU, 2)}×)`,
          met: null,
        });
    }
    const short = ours.filter((r) => r.delivered < 100);
    out.push({
      measure: `delivered (${path})`,
      goal: "100% at every N",
      result: short.length
        ? short.map((r) => `${fmt(r.delivered, 2)}% at ${r.viewers}`).join(", ")
        : "100% at every N",
      met: short.length === 0,
    });
  }
  for (const [path, late] of Object.entries(results.lateJoin)) {
    if (!late) continue;
    const ms = median(late.transcript.syncMs);
    out.push({
      measure: `late join, ${fmt(late.transcript.messages, 0)} messages (${path})`,
      goal: "≤ 150 ms and ≤ 1.3× JSON",
      result: `median ${fmt(ms, 0)} ms${ms > 150 ? ` (over by ${fmt(ms - 150, 0)} ms)` : ""}, ${fmt(late.transcript.ratioToJSON, 2)}× JSON`,
      met: ms <= 150 && late.transcript.ratioToJSON <= 1.3,
    });
  }
  for (const [path, before] of Object.entries(results.lateJoinBefore ?? {})) {
    const lean = results.lateJoin[path as RuntimePath];
    if (!before || !lean) continue;
    const [a, b] = [median(lean.transcript.syncMs), median(before.transcript.syncMs)];
    out.push({
      measure: `late join, lean ÷ before issue 24 (${path})`,
      goal: "report",
      result: `median ${fmt(a, 0)} against ${fmt(b, 0)} ms (${fmt(a / b, 2)}×); ${fmt(lean.transcript.syncBytes / 1e6, 2)} against ${fmt(before.transcript.syncBytes / 1e6, 2)} MB`,
      met: null,
    });
  }
  const others: [string, Results["lateJoinObjects"]][] = [
    ["the state encoded every join", results.lateJoinStrings],
    ["the first lean document (settled as objects, encoded every join)", results.lateJoinObjects],
  ];
  for (const [what, runs] of others) {
    for (const [path, other] of Object.entries(runs ?? {})) {
      const lean = results.lateJoin[path as RuntimePath];
      if (!other || !lean) continue;
      const both = (r: LateJoin) => median(r.syncMs.map((ms, i) => ms + (r.readMs?.[i] ?? 0)));
      const [a, b] = [median(lean.transcript.syncMs), median(other.transcript.syncMs)];
      const [ar, br] = [both(lean.transcript), both(other.transcript)];
      out.push({
        measure: `late join, lean ÷ ${what} (${path})`,
        goal: "report",
        result: `synced: median ${fmt(a, 0)} against ${fmt(b, 0)} ms (${fmt(a / b, 2)}×); synced and read: ${fmt(ar, 0)} against ${fmt(br, 0)} ms (${fmt(ar / br, 2)}×); ${fmt(lean.transcript.syncBytes / 1e6, 2)} against ${fmt(other.transcript.syncBytes / 1e6, 2)} MB`,
        met: null,
      });
    }
  }
  out.push({
    measure: "token to paint, three browsers",
    goal: "p95 ≤ 50 ms",
    result: "measured by `npm run bench:ui`, not here",
    met: null,
  });
  out.push(...memory(results));
  return out;
}

/** p99 at each N against max(floor, Hocuspocus) on the same path, same run. */
function p99Goals(
  ours: Round[],
  floor: Round[] | undefined,
  hocuspocus: Round[] | undefined,
  n: number[],
  label: string,
): Goal[] {
  return n.flatMap((viewers, i) => {
    const bounds = [floor?.[i]?.p99, hocuspocus?.[i]?.p99].filter((b): b is number => Number.isFinite(b));
    if (!ours[i] || bounds.length === 0) return [];
    const bound = Math.max(...bounds);
    const over = ours[i].p99 - bound;
    return [
      {
        measure: `p99, ${fmt(viewers, 0)} viewers${label}`,
        goal: `≤ ${fmt(bound)} ms (floor ${fmt(floor?.[i]?.p99 ?? Number.NaN)}, Hocuspocus ${fmt(hocuspocus?.[i]?.p99 ?? Number.NaN)})`,
        result: `${fmt(ours[i].p99)} ms${over > 0 ? `, over by ${fmt(over)} ms (${fmt(ours[i].p99 / bound, 2)}×)` : ""}`,
        met: over <= 0,
      },
    ];
  });
}

/** Memory is reported, not judged: the runtime's at 1,000 viewers, and what streaming adds to it. */
function memory(results: Results): Goal[] {
  const thousand = results.config.viewers.indexOf(1000);
  const at = (name: string) => (thousand >= 0 ? results.rounds[name]?.[thousand] : undefined);
  const out: Goal[] = [];
  const parts = [
    ...results.config.paths.flatMap((path) => [tandemName(DEFAULTS, path), floorName(path)]),
    HOCUSPOCUS,
  ]
    .map((name) => [name, at(name)] as const)
    .filter((entry): entry is readonly [string, Round] => entry[1] !== undefined)
    .map(
      ([name, r]) =>
        `${name} ${mb(r.serverRSS)} (${r.serverRSSAfter >= r.serverRSS ? "+" : "−"}${mb(Math.abs(r.serverRSSAfter - r.serverRSS))} over ${results.config.tokens} tokens)`,
    );
  if (parts.length)
    out.push({ measure: "memory, 1,000 viewers", goal: "report", result: parts.join("; "), met: null });
  for (const [path, late] of Object.entries(results.lateJoin)) {
    if (!late) continue;
    const t = late.transcript;
    const perMessage = (t.rssSeeded - t.rssBefore) / t.messages;
    out.push({
      measure: `memory per message after compaction (${path})`,
      goal: "report; no growth per message",
      result: `${fmt(perMessage, 0)} bytes a message written (${mb(t.rssBefore)} → ${mb(t.rssSeeded)}, its JSON ${fmt(t.jsonBytes / t.messages, 0)} bytes a message); ${mb(t.rssAfterJoins)} after ${t.syncMs.length} joins`,
      met: null,
    });
  }
  return out;
}

export function goalTable(list: Goal[]): string {
  return table(
    ["measure", "goal", "result", ""],
    list.map((g) => [
      g.measure,
      g.goal,
      g.result,
      g.met === null ? "reported" : g.met ? "met" : "**missed**",
    ]),
  );
}
