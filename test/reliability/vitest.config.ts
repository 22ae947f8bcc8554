import path from "node:path";
import { defineConfig } from "vitest/config";

/**
 * The reliability suite (`npm run test:reliability`, part of `npm test`): the real runtime (workerd and the
 * agent host) stopped and started under load. Files run one after another: each starts its own runtime,
 * and they time what they see. scripts/test.mjs runs clocks.test.ts (a minute and more of waiting on the
 * session's clocks) and long-transcript.test.ts (170 turns through the rate limit) each in a vitest process
 * of its own beside the others.
 */
export default defineConfig({
  root: path.resolve(import.meta.dirname, "../.."),
  test: {
    name: "reliability",
    environment: "node",
    include: ["test/reliability/**/*.test.ts"],
    globalSetup: ["test/reliability/setup.ts"],
    fileParallelism: false,
    testTimeout: 600_000,
    hookTimeout: 180_000,
  },
});
