import { svelte } from "@sveltejs/vite-plugin-svelte";
import { fileURLToPath } from "node:url";
import { defineConfig } from "vitest/config";

/**
 * Unit tests run in Node; components mount in jsdom, compiled for the browser, and so do the few modules
 * that need a DOM themselves (DOMPurify's sanitiser, the room's socket and location).
 */
const needDom = [
  "test/components/**/*.test.ts",
  "test/markdown.test.ts",
  "test/highlight.test.ts",
  "test/room.svelte.test.ts",
  "test/theme.svelte.test.ts",
];

export default defineConfig({
  plugins: [svelte()],
  resolve: {
    conditions: ["browser"],
    dedupe: ["zod", "yjs"],
    // A route mounted in a test (the workspace shell, the session list) gets SvelteKit's modules as the test sets them.
    alias: {
      "$app/state": fileURLToPath(new URL("./test/fixtures/app-state.ts", import.meta.url)),
      "$app/navigation": fileURLToPath(new URL("./test/fixtures/app-navigation.ts", import.meta.url)),
    },
  },
  test: {
    projects: [
      {
        extends: true,
        test: { name: "unit", environment: "node", include: ["test/**/*.test.ts"], exclude: needDom },
      },
      { extends: true, test: { name: "dom", environment: "jsdom", include: needDom } },
    ],
  },
});
