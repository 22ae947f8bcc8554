import { sveltekit } from "@sveltejs/kit/vite";
import adapter from "@sveltejs/adapter-static";
import { defineConfig } from "vite";

// `npm start` serves the API on 8787; TANDEM_API points dev at another stack.
const api = process.env.TANDEM_API ?? "http://localhost:8787";

/**
 * The app's Content-Security-Policy. SvelteKit writes it into the built page as a <meta> tag with the
 * hash of its one inline bootstrap script, so no other inline script (an injected one) runs. A <meta>
 * policy cannot say frame-ancestors: static/_headers sends that as a header with every page.
 */
const csp: NonNullable<Parameters<typeof sveltekit>[0]>["csp"] = {
  mode: "hash",
  directives: {
    "default-src": ["self"],
    "script-src": ["self"],
    // Svelte writes style attributes (presence colours, transitions); styles cannot run script.
    "style-src": ["self", "unsafe-inline"],
    // No remote images: an agent's markdown cannot make the browser call out (nor leak through a URL).
    "img-src": ["self", "data:"],
    "font-src": ["self"],
    // The API and the session socket: same origin, ws(s) included ('self' matches ws: and wss: of this host).
    "connect-src": ["self"],
    "object-src": ["none"],
    "base-uri": ["self"],
    "form-action": ["self"],
    "frame-ancestors": ["none"],
  },
};

export default defineConfig({
  plugins: [sveltekit({ adapter: adapter({ fallback: "index.html" }), csp })],
  resolve: {
    // @tandem/protocol (worker/protocol, linked by the root's npm workspaces) lies outside web/: its bare
    // imports must still resolve to web's own copies.
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
