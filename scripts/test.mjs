// `npm test`: the whole suite, its independent parts side by side (the machine has two cores, and most
// parts spend their time waiting on sockets, clocks and child processes). Each part's output goes to a log;
// a finished part prints its time and the end of its log (all of it when it fails). Exits non-zero if any
// part fails. `node scripts/test.mjs typecheck` (or vitest, web, e2e, reliability, bench) runs one group.
import { spawn, spawnSync } from "node:child_process";
import { createWriteStream, mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { buildWeb, root } from "./stack.mjs";

const bin = (name, dir = root) => join(dir, "node_modules", ".bin", name);
const web = join(root, "web");
const reliability = ["--config", "test/reliability/vitest.config.ts"];

/**
 * The parts. `nice`: work that only needs CPU (type-checks, unit tests) yields it to the parts that time
 * what they see (the browser story, the reliability suite's 2 s stops and 5 s losses).
 */
const PARTS = [
  { group: "typecheck", name: "types: Worker and workerd tests", cmd: [bin("tsc"), "--noEmit"], nice: true },
  { group: "typecheck", name: "types: Node (agent, fakes, harness, reliability, bench)", cmd: [bin("tsc"), "--noEmit", "-p", "tsconfig.node.json"], nice: true },
  { group: "typecheck", name: "types: browser tests", cmd: [bin("tsc"), "--noEmit", "-p", "test/e2e"], nice: true },
  { group: "typecheck", name: "types: web app", cmd: [bin("svelte-check", web), "--tsconfig", "./tsconfig.json"], cwd: web, nice: true },
  { group: "vitest", name: "vitest: worker, agent", cmd: [bin("vitest"), "run", "--project", "worker", "--project", "agent"], nice: true },
  { group: "vitest", name: "vitest: attack, integration (serial)", cmd: [bin("vitest"), "run", "--project", "attack", "--project", "integration"], nice: true },
  { group: "web", name: "web: unit and component tests", cmd: [bin("vitest", web), "run"], cwd: web, nice: true },
  { group: "e2e", name: "e2e: three people in Chromium", cmd: ["npm", "--prefix", "test/e2e", "test"] },
  // The clock tests wait out a minute of idleness and a 60 s timeout, and the 5 MB transcript is written
  // through the message rate limit: each beside the rest, not before it. The rest stays one file at a time
  // (it times stops to 2 s and a lost agent to 5 s), and the transcript's CPU yields to it.
  { group: "reliability", name: "reliability: clocks", cmd: [bin("vitest"), "run", ...reliability, "test/reliability/clocks.test.ts"] },
  { group: "reliability", name: "reliability: a 5 MB transcript", cmd: [bin("vitest"), "run", ...reliability, "test/reliability/long-transcript.test.ts"], nice: true },
  {
    group: "reliability",
    name: "reliability: stops, restarts, viewers, workspace",
    cmd: [bin("vitest"), "run", ...reliability, "--exclude", "**/clocks.test.ts", "--exclude", "**/long-transcript.test.ts"],
  },
  // Every bench at a tiny size: figures are not the point here, only that each still runs (bench/README.md).
  { group: "bench", name: "bench: redaction (2 secrets)", cmd: [bin("tsx"), "bench/redaction.ts", "--secrets", "2"], nice: true },
  { group: "bench", name: "bench: start (3 sessions)", cmd: [bin("tsx"), "bench/start.ts", "--sessions", "3"], nice: true },
  { group: "bench", name: "bench: fan-out (smoke)", cmd: [bin("tsx"), "bench/fanout.ts", "--smoke"], nice: true },
  { group: "bench", name: "bench: token to paint (5 tokens)", cmd: ["npm", "--prefix", "test/e2e", "run", "bench"], env: { BENCH_TOKENS: "5" }, nice: true },
];

const groups = process.argv.slice(2);
const parts = groups.length ? PARTS.filter((part) => groups.includes(part.group)) : PARTS;
if (parts.length === 0) {
  console.error(`no such group: ${groups.join(", ")} (groups: ${[...new Set(PARTS.map((p) => p.group))].join(", ")})`);
  process.exit(2);
}
const env = { ...process.env, WRANGLER_SEND_METRICS: "false", PATH: `${join(root, "node_modules", ".bin")}:${process.env.PATH}` };
const logs = mkdtempSync(join(tmpdir(), "tandem-test-"));
const started = performance.now();
const seconds = (from) => ((performance.now() - from) / 1000).toFixed(1);

/** What several parts need, made once before any starts (they would race to make it). */
function prepare() {
  const from = performance.now();
  const needs = new Set(parts.map((part) => part.group));
  // svelte-kit sync writes web/.svelte-kit, which the web type-check and tests read: once, not per part.
  if (needs.has("typecheck") || needs.has("web")) run(bin("svelte-kit", web), ["sync"], web);
  if (needs.has("e2e") || needs.has("reliability") || needs.has("bench")) {
    buildWeb();
    run(bin("tsx"), ["test/harness/prepare.ts"], root);
  }
  if (needs.has("e2e") || needs.has("bench")) run(process.execPath, ["scripts/ensure-chromium.mjs"], root);
  console.log(`prepared in ${seconds(from)} s (logs in ${logs})`);
}

function run(command, args, cwd) {
  const result = spawnSync(command, args, { cwd, env, stdio: "inherit" });
  if (result.status !== 0) throw new Error(`${command} ${args.join(" ")} failed with ${result.status}`);
}

function start(part, index) {
  const from = performance.now();
  const file = join(logs, `${index}-${part.group}.log`);
  const log = createWriteStream(file);
  const [command, ...args] = part.nice ? ["nice", "-n", "10", ...part.cmd] : part.cmd;
  const child = spawn(command, args, { cwd: part.cwd ?? root, env: { ...env, ...part.env }, stdio: ["ignore", "pipe", "pipe"] });
  child.stdout.pipe(log, { end: false });
  child.stderr.pipe(log, { end: false });
  return new Promise((resolve) => {
    child.on("close", (code, signal) => {
      log.end(() => {
        const ok = code === 0;
        const text = readFileSync(file, "utf8").trimEnd().split("\n");
        const shown = ok ? text.slice(-25) : text;
        console.log(`\n${ok ? "✓" : "✗"} ${part.name}: ${seconds(from)} s${ok ? "" : ` (exit ${code ?? signal})`}  [${file}]`);
        console.log(shown.map((line) => `  │ ${line}`).join("\n"));
        resolve({ part, ok, seconds: seconds(from) });
      });
    });
  });
}

prepare();
const results = await Promise.all(parts.map(start));
console.log(`\n${"part".padEnd(58)} seconds`);
for (const { part, ok, seconds } of results) console.log(`${ok ? "✓" : "✗"} ${part.name.padEnd(56)} ${seconds.padStart(7)}`);
console.log(`  ${"total (wall clock, with the preparation)".padEnd(56)} ${seconds(started).padStart(7)}`);
const failed = results.filter((result) => !result.ok).length;
console.log(`\nparts: ${results.length - failed} passed, ${failed} failed`);
process.exit(failed ? 1 : 0);
