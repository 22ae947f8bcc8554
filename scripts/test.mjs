// `npm test`: the whole suite, in lanes that run side by side (the machine has two cores, and most parts
// spend their time waiting on sockets, clocks and child processes); the parts of one lane run one after
// another. Each part's output goes to a log; a finished part prints its time, the CPU it used and the end
// of its log (all of it when it fails). Exits non-zero if any part fails.
// `node scripts/test.mjs typecheck` (or vitest, web, e2e, reliability, bench) runs one group.
import { spawn, spawnSync } from "node:child_process";
import { createWriteStream, mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { buildWeb, root } from "./stack.mjs";

const bin = (name, dir = root) => join(dir, "node_modules", ".bin", name);
const web = join(root, "web");
const reliability = ["--config", "test/reliability/vitest.config.ts"];
const vitest = (...args) => [bin("vitest"), "run", ...args];

/**
 * The parts, by lane: five lanes, so the run never asks the two cores for much more than they have. The
 * reliability suite's chain (stops to 2 s, a lost agent to 5 s), the browser story and the clock tests run
 * at normal priority and use under a core between them; the rest runs under `nice`, sharing what they leave
 * (run beside them at normal priority, the worker and agent tests pushed the chain's stops past 2 s).
 */
const PARTS = [
  // Lane "chain": the reliability suite's timed chain, then the browser story, at normal priority: three
  // Chromium pages beside the chain would compete with its 2 s stops, and under `nice` on a busy machine
  // they miss the story's 30 s waits.
  {
    lane: "chain",
    group: "reliability",
    name: "reliability: stops, restarts, viewers, workspace",
    cmd: vitest(...reliability, "--exclude", "**/clocks.test.ts", "--exclude", "**/long-transcript.test.ts"),
  },
  {
    lane: "chain",
    group: "e2e",
    name: "e2e: three people in Chromium",
    cmd: ["npm", "--prefix", "test/e2e", "test"],
  },
  // The clock tests wait out a minute of idleness and a 60 s timeout, and the 5 MB transcript is written
  // through the message rate limit: each in a lane of its own, beside the chain, not before it.
  {
    lane: "clocks",
    group: "reliability",
    name: "reliability: clocks",
    cmd: vitest(...reliability, "test/reliability/clocks.test.ts"),
  },
  {
    lane: "transcript",
    group: "reliability",
    name: "reliability: a 5 MB transcript",
    cmd: vitest(...reliability, "test/reliability/long-transcript.test.ts"),
    nice: true,
  },
  // Lane "units": the workerd and Node unit tests, then what only needs CPU, one after another.
  {
    lane: "units",
    group: "vitest",
    name: "vitest: worker, agent",
    cmd: vitest("--project", "worker", "--project", "agent"),
    nice: true,
  },
  {
    lane: "units",
    group: "web",
    name: "web: unit and component tests",
    cmd: [bin("vitest", web), "run"],
    cwd: web,
    nice: true,
  },
  {
    lane: "units",
    group: "typecheck",
    name: "types: Worker and workerd tests",
    cmd: [bin("tsc"), "--noEmit"],
    nice: true,
  },
  {
    lane: "units",
    group: "typecheck",
    name: "types: Node (agent, fakes, harness, reliability, bench)",
    cmd: [bin("tsc"), "--noEmit", "-p", "tsconfig.node.json"],
    nice: true,
  },
  {
    lane: "units",
    group: "typecheck",
    name: "types: browser tests",
    cmd: [bin("tsc"), "--noEmit", "-p", "test/e2e"],
    nice: true,
  },
  {
    lane: "units",
    group: "typecheck",
    name: "types: web app",
    cmd: [bin("svelte-check", web), "--tsconfig", "./tsconfig.json"],
    cwd: web,
    nice: true,
  },
  // One format for the whole tree (.prettierrc.json): a file written by hand shows here, not at review.
  {
    lane: "units",
    group: "format",
    name: "format: prettier --check",
    cmd: [bin("prettier"), "--check", "."],
    nice: true,
  },
  // Lane "serial": the suites that must run one file at a time, then every bench at a tiny size (figures
  // are not the point here, only that each still runs: bench/README.md).
  {
    lane: "serial",
    group: "vitest",
    name: "vitest: attack, integration (one file at a time)",
    cmd: vitest("--project", "attack", "--project", "integration"),
    nice: true,
  },
  // The production image under Docker (skipped with the reason where Docker cannot run, failed instead
  // under TANDEM_REQUIRE_DOCKER=1 as in CI), and the Docker runner's own guards on Node.
  {
    lane: "serial",
    group: "vitest",
    name: "vitest: containers (Docker), runner",
    cmd: vitest("--project", "containers", "--project", "runner"),
    nice: true,
  },
  {
    lane: "serial",
    group: "bench",
    name: "bench: redaction (2 secrets)",
    cmd: [bin("tsx"), "bench/redaction.ts", "--secrets", "2"],
    nice: true,
  },
  {
    lane: "serial",
    group: "bench",
    name: "bench: start (3 sessions)",
    cmd: [bin("tsx"), "bench/start.ts", "--sessions", "3"],
    nice: true,
  },
  {
    lane: "serial",
    group: "bench",
    name: "bench: fan-out (smoke)",
    cmd: [bin("tsx"), "bench/fanout.ts", "--smoke"],
    nice: true,
  },
  {
    lane: "serial",
    group: "bench",
    name: "bench: connect profile (3 viewers)",
    cmd: [bin("tsx"), "bench/connect-profile.ts", "--viewers", "3"],
    nice: true,
  },
  {
    lane: "serial",
    group: "bench",
    name: "bench: token to paint (5 tokens)",
    cmd: ["npm", "--prefix", "test/e2e", "run", "bench"],
    env: { BENCH_TOKENS: "5" },
    nice: true,
  },
];

const groups = process.argv.slice(2);
const parts = groups.length ? PARTS.filter((part) => groups.includes(part.group)) : PARTS;
if (parts.length === 0) {
  console.error(
    `no such group: ${groups.join(", ")} (groups: ${[...new Set(PARTS.map((p) => p.group))].join(", ")})`,
  );
  process.exit(2);
}
const env = {
  ...process.env,
  WRANGLER_SEND_METRICS: "false",
  PATH: `${join(root, "node_modules", ".bin")}:${process.env.PATH}`,
};
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

/** Runs one part; bash's `times` reports the CPU its whole process tree used (a figure the machine's load does not inflate much). */
function start(part, index) {
  const from = performance.now();
  const file = join(logs, `${index}-${part.group}.log`);
  const cpuFile = join(logs, `${index}-${part.group}.cpu`);
  const log = createWriteStream(file);
  const command = [...(part.nice ? ["nice", "-n", "10"] : []), ...part.cmd];
  const child = spawn(
    "bash",
    ["-c", '"$@"; code=$?; times > "$CPU_FILE"; exit $code', part.name, ...command],
    {
      cwd: part.cwd ?? root,
      env: { ...env, ...part.env, CPU_FILE: cpuFile },
      stdio: ["ignore", "pipe", "pipe"],
    },
  );
  child.stdout.pipe(log, { end: false });
  child.stderr.pipe(log, { end: false });
  return new Promise((resolve) => {
    child.on("close", (code, signal) => {
      log.end(() => {
        const ok = code === 0;
        const cpu = cpuSeconds(cpuFile);
        const text = readFileSync(file, "utf8").trimEnd().split("\n");
        const shown = ok ? text.slice(-25) : text;
        console.log(
          `\n${ok ? "✓" : "✗"} ${part.name}: ${seconds(from)} s, CPU ${cpu.toFixed(1)} s${ok ? "" : ` (exit ${code ?? signal})`}  [${file}]`,
        );
        console.log(shown.map((line) => `  │ ${line}`).join("\n"));
        resolve({ part, ok, seconds: seconds(from), cpu, file });
      });
    });
  });
}

/**
 * The lines of a failed part's log that say why (vitest's FAIL and assertion lines, node:test's `not ok`
 * and errors, the browser story's own account), printed again at the very end: a CI record that keeps
 * only the end of the output still names the failing tests.
 */
function digest(part, file) {
  const why =
    /FAIL|×|not ok|Error|error:|expected|Expected|Received|Timeout|timed out|location:|waiting for|\[story\]|❯ .*:\d+:\d+/;
  const all = readFileSync(file, "utf8")
    .replace(/\x1b\[[0-9;]*m/g, "")
    .split("\n");
  // node:test reports every step after a failed one as `not ok … cancelled`: only the failure says why.
  for (let i = 0; i < all.length; i++) {
    if (!/did not finish before its parent/.test(all[i])) continue;
    let from = i;
    while (from > 0 && i - from < 6 && !/not ok/.test(all[from])) from--;
    all.fill("", from, Math.min(i + 2, all.length));
  }
  const lines = all.filter(
    (line) =>
      why.test(line) &&
      // Noise that matches "Error" on a green run too: workerd's own logs, and its warning for the
      // malformed suite's non-ASCII headers ("…would likely result in a TypeError…", hundreds of lines).
      !/^\s*✓|uncaught exception|outputGateBroken|NOSENTRY|\[cause\]|^A header value for /.test(line),
  );
  // vitest's own summary of its failures says the most: it goes first.
  const summary = all.findIndex((line) => /⎯ Failed Tests \d+ ⎯/.test(line));
  if (summary >= 0) lines.unshift(...all.slice(summary, summary + 20).filter((line) => line.trim()));
  const shown = lines.slice(0, 60).map((line) => `  │ ${line.slice(0, 300)}`);
  if (lines.length > shown.length) shown.push(`  │ … ${lines.length - shown.length} more in ${file}`);
  return [`why "${part.name}" failed:`, ...shown].join("\n");
}

/** User + system seconds of the part's children, from bash's `times` (its second line). */
function cpuSeconds(file) {
  try {
    const children = readFileSync(file, "utf8").trim().split("\n").at(-1) ?? "";
    return [...children.matchAll(/(\d+)m([\d.]+)s/g)].reduce(
      (sum, [, m, s]) => sum + Number(m) * 60 + Number(s),
      0,
    );
  } catch {
    return 0;
  }
}

async function lane(name) {
  const results = [];
  for (const [index, part] of parts.entries()) if (part.lane === name) results.push(await start(part, index));
  return results;
}

prepare();
const results = (await Promise.all([...new Set(parts.map((part) => part.lane))].map(lane))).flat();
results.sort((a, b) => parts.indexOf(a.part) - parts.indexOf(b.part));
console.log(`\n${"part".padEnd(58)} ${"seconds".padStart(8)} ${"CPU s".padStart(7)}`);
for (const { part, ok, seconds, cpu } of results)
  console.log(
    `${ok ? "✓" : "✗"} ${part.name.padEnd(56)} ${seconds.padStart(8)} ${cpu.toFixed(1).padStart(7)}`,
  );
const cpu = results.reduce((sum, result) => sum + result.cpu, 0);
console.log(
  `  ${"total (wall clock, with the preparation)".padEnd(56)} ${seconds(started).padStart(8)} ${cpu.toFixed(1).padStart(7)}`,
);
const failed = results.filter((result) => !result.ok);
for (const { part, file } of failed) console.log(`\n${digest(part, file)}`);
console.log(`\nparts: ${results.length - failed.length} passed, ${failed.length} failed`);
process.exit(failed.length ? 1 : 0);
