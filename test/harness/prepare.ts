/** Builds what the test stacks start, if a source changed: `tsx test/harness/prepare.ts` (scripts/test.mjs runs it first). */
import { bundleAgent, bundleWorker } from "./bundles.ts";

bundleWorker();
await bundleAgent();
