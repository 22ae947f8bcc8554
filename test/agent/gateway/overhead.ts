/**
 * What the gateway adds to a model request: the same streamed request to the fake Messages API, directly
 * and through a route, in pairs. Not a test: `npx tsx test/agent/gateway/overhead.ts [pairs]` prints figures.
 */
import { startModelGateway } from "../../../containers/agent/gateway";
import { SDK_API_VERSION, fake, startFakeAnthropic } from "../../fakes/anthropic";
import { liveModelThinking } from "../../fakes/catalog";

const pairs = Number(process.argv[2] ?? 200);
const warmup = 10;
const model = liveModelThinking("budget").id;
const api = await startFakeAnthropic({ apiKeys: ["the-real-key"] });
for (let i = 0; i < 2 * (pairs + warmup); i++)
  api.enqueue(fake.message(fake.text("one two three four five six seven eight")));
const gateway = await startModelGateway({});
const route = gateway.open({
  settings: { model, maxTokens: 1000, thinking: false },
  upstream: { apiKey: "the-real-key", baseURL: api.url },
  onUsage: () => {},
});
const body = JSON.stringify({
  model,
  max_tokens: 100,
  stream: true,
  messages: [{ role: "user", content: "hi" }],
});

/** Milliseconds to the first text delta and to the end of the response. */
async function timed(base: string, headers: Record<string, string>): Promise<[number, number]> {
  const start = performance.now();
  const response = await fetch(`${base}/v1/messages?beta=true`, {
    method: "POST",
    headers: { "content-type": "application/json", ...headers },
    body,
  });
  const reader = response.body!.getReader();
  const decoder = new TextDecoder();
  let seen = "";
  let first = Number.NaN;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    seen += decoder.decode(value, { stream: true });
    if (Number.isNaN(first) && seen.includes("content_block_delta")) first = performance.now() - start;
  }
  return [first, performance.now() - start];
}

const direct = () => timed(api.url, { "x-api-key": "the-real-key", "anthropic-version": SDK_API_VERSION });
const through = () => timed(route.baseURL, {});
const median = (values: number[]) =>
  [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)].toFixed(2);

for (let i = 0; i < warmup; i++) {
  await direct();
  await through();
}
const added: [number, number][] = [];
for (let i = 0; i < pairs; i++) {
  const [a, b] = [await direct(), await through()];
  added.push([b[0] - a[0], b[1] - a[1]]);
}
if (api.refusals.length) throw new Error(`the fake refused ${api.refusals.length} requests`);
console.log(
  `${pairs} pairs; added by the gateway, median of pairs: first text delta ${median(added.map((a) => a[0]))} ms, whole response ${median(added.map((a) => a[1]))} ms`,
);
await gateway.close();
await api.close();
