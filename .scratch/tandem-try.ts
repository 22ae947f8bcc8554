import { startFakeAnthropic } from "../test/fakes/anthropic";
import { startTandem } from "../bench/lib/stack";
import { TandemFanOut } from "../bench/lib/fanout";
import { now } from "../bench/lib/viewers";
const sentAt = new Map<number, number>();
const anthropic = await startFakeAnthropic({ onSent: (event, data) => {
  const text = (data as { delta?: { text?: string } }).delta?.text;
  if (event === "content_block_delta" && text) for (const m of text.matchAll(/~(\d{6})~/g)) sentAt.set(Number(m[1]), now());
}});
const vars = JSON.parse(process.argv[2] ?? "{}");
const tandem = await startTandem({ vars, agentEnv: { ANTHROPIC_API_KEY: "bench", ANTHROPIC_BASE_URL: anthropic.url } });
try {
  const fan = new TandemFanOut(tandem, anthropic, sentAt);
  await fan.start();
  let round = 0;
  for (const n of (process.argv[3] ?? "1,10,100").split(",").map(Number)) {
    const r = await fan.round(n, Number(process.argv[4] ?? 100), ++round * 10000);
    console.log(JSON.stringify({ ...r, p50: r.p50.toFixed(2), p95: r.p95.toFixed(2), p99: r.p99.toFixed(2), connectMs: r.connectMs.toFixed(0), serverRSS: (r.serverRSS / 2 ** 20).toFixed(0) + "MB" }));
  }
} finally { tandem.stop(); await anthropic.close(); }
