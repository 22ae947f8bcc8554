import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { buildWeb } from "../../scripts/stack.mjs";
import { bundleAgent, bundleWorker } from "../harness/bundles.ts";
import { summary } from "./figures";

/** Builds the web app the Worker serves and the stack's bundles (if stale), and prints the suite's figures at the end. */
export default async function setup() {
  buildWeb();
  bundleWorker();
  await bundleAgent();
  const dir = mkdtempSync(path.join(tmpdir(), "tandem-figures-"));
  const file = path.join(dir, "figures.jsonl");
  process.env.RELIABILITY_FIGURES = file;
  const started = Date.now();
  return () => {
    const lines = summary(file);
    console.log(
      [
        "",
        "Reliability suite figures:",
        ...lines,
        `  ${"duration".padEnd(64)} ${((Date.now() - started) / 1000).toFixed(0)} s`,
        "",
      ].join("\n"),
    );
    rmSync(dir, { recursive: true, force: true });
  };
}
