import { sveltekit } from "@sveltejs/kit/vite";
import adapter from "@sveltejs/adapter-static";
import { defineConfig } from "vite";

// `npm start` serves the API on 8787; TANDEM_API points dev at another stack.
const api = process.env.TANDEM_API ?? "http://localhost:8787";

export default defineConfig({
  plugins: [sveltekit({ adapter: adapter({ fallback: "index.html" }) })],
  resolve: {
    // worker/protocol is imported from outside web/: its bare imports must still resolve to web's own copies.
    dedupe: ["zod", "yjs"],
  },
  server: {
    port: 5173,
    fs: { allow: [".."] },
    proxy: {
      "/api": api,
      "/webhooks": api,
      "/parties": { target: api, ws: true },
    },
  },
});
