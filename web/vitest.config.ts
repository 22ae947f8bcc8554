import { svelte } from "@sveltejs/vite-plugin-svelte";
import { defineConfig } from "vitest/config";

// Unit and component tests: components mount in jsdom, compiled for the browser.
export default defineConfig({
  plugins: [svelte()],
  resolve: { conditions: ["browser"], dedupe: ["zod", "yjs"] },
  test: {
    environment: "jsdom",
    include: ["test/**/*.test.ts"],
  },
});
