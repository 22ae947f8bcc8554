/**
 * The cost of redaction on the streaming path (worker/protocol/redaction.ts, run by the agent's outbox and
 * by the room for every delta): text streamed in model-sized deltas past a workspace's secrets, and whole
 * tool results. Prints throughput and the time per delta.
 *   npm run bench:redaction [-- --secrets 20]
 */
import { performance } from "node:perf_hooks";
import { Redaction, StreamRedaction, secretForms } from "@tandem/protocol/redaction";

const SECRETS = Number(process.argv[process.argv.indexOf("--secrets") + 1]) || 20;
const TEXT_BYTES = 2_000_000;
const DELTA = 24; // about one streamed token group

const secrets = Array.from({ length: SECRETS }, (_, i) => `sk-${i}-${crypto.randomUUID()}`);
const redaction = new Redaction(secrets);
const words =
  "the agent reads the file and then runs the tests again before it writes a short summary of what changed ".split(
    " ",
  );
let text = "";
for (let i = 0; text.length < TEXT_BYTES; i++)
  text += `${words[i % words.length]}${i % 997 === 0 ? ` ${secrets[i % SECRETS]}` : ""} `;

function measure(name: string, run: () => number): void {
  run(); // warm up
  const started = performance.now();
  const units = run();
  const ms = performance.now() - started;
  console.log(
    `${name}: ${(text.length / 1e6 / (ms / 1000)).toFixed(1)} MB/s, ${((ms * 1000) / units).toFixed(2)} µs per unit (${units} units, ${ms.toFixed(0)} ms)`,
  );
}

console.log(
  `${SECRETS} secrets, ${secrets.flatMap(secretForms).length} forms, ${(text.length / 1e6).toFixed(1)} MB of text`,
);
measure(`streamed in ${DELTA}-character deltas`, () => {
  const streams = new StreamRedaction<string>(redaction, (key) => key);
  let deltas = 0;
  for (let at = 0; at < text.length; at += DELTA, deltas++) streams.push("m", text.slice(at, at + DELTA));
  streams.flush();
  return deltas;
});
measure("whole tool results of 50 000 characters", () => {
  let results = 0;
  for (let at = 0; at < text.length; at += 50_000, results++) redaction.text(text.slice(at, at + 50_000));
  return results;
});
