/**
 * The strict fake Messages API as a process of its own, for a stack in another process (the e2e story):
 * `tsx test/fakes/anthropic-server.ts` prints `{"url": …}` as its first line and serves the API with the
 * fake's controls (`/_fake/enqueue`, `/_fake/requests`, `/_fake/refusals`) until it is stopped.
 */
import { startFakeAnthropic } from "./anthropic";

const api = await startFakeAnthropic({ controls: true });
process.stdout.write(`${JSON.stringify({ url: api.url })}\n`);
const stop = () => void api.close().then(() => process.exit(0));
process.on("SIGTERM", stop);
process.on("SIGINT", stop);
