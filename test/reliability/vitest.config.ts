import path from "node:path";
import { defineConfig } from "vitest/config";

/**
 * The reliability suite (`npm run test:reliability`, the last part of `npm test`): the real runtime (`wrangler dev`
 * and the agent host) stopped and started under load. Files run one after another: each starts its own
 * runtime, and they would compete for the machine's two cores.
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
