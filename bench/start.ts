/**
 * Session start-up: create → Running, over 50 sessions, on the local stack (`wrangler dev` + the local
 * agent host with the offline model, no repositories). Prints p50/p95. Goal: p50 ≤ 300 ms.
 *   npm run bench:start [-- --sessions 50]
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { buildWeb, startStack } from "../scripts/stack.mjs";
import { freePort } from "../test/harness/ports.ts";
import { connectRoom } from "./lib/room-client";
import { summary } from "./lib/stats";

const SESSIONS = Number(process.argv[process.argv.indexOf("--sessions") + 1]) || 50;
const PER_PERSON = 25;

async function main() {
  buildWeb();
  // Free ports: the bench runs beside a developer's `npm start` and, in its smoke size, inside `npm test`.
  const [PORT, AGENT_PORT] = [await freePort(), await freePort()];
  const state = mkdtempSync(join(tmpdir(), "tandem-bench-"));
  const stack = await startStack({ port: PORT, agentPort: AGENT_PORT, persistTo: state, quiet: true, agentEnv: { ANTHROPIC_API_KEY: "" } });
  const base = `http://127.0.0.1:${PORT}`;
  try {
    const signIn = async (name: string) => {
      const res = await fetch(`${base}/api/auth/dev`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ name }) });
      const { user } = (await res.json()) as { user: { email: string } };
      const cookie = (res.headers.get("set-cookie") ?? "").split(";")[0];
      const api = (path: string, body?: unknown) =>
        fetch(`${base}${path}`, { method: body ? "POST" : "GET", headers: { cookie, "content-type": "application/json" }, body: body ? JSON.stringify(body) : undefined });
      return { email: user.email, cookie, api };
    };
    const owner = await signIn("bench");
    const { workspace } = (await (await owner.api("/api/workspaces", { name: "bench" })).json()) as { workspace: { id: string } };
    // Session creation is rate limited per person (30 a minute): the sessions are shared out among editors.
    const editors = [owner];
    for (let n = 1; n < Math.ceil((SESSIONS + 3) / PER_PERSON); n++) {
      const editor = await signIn(`bench editor ${n}`);
      await owner.api(`/api/workspaces/${workspace.id}/members`, { user: editor.email, role: "editor" });
      // An invitation becomes a membership when the person comes.
      await editor.api(`/api/workspaces/${workspace.id}`);
      editors.push(editor);
    }

    const toRunning: number[] = [];
    const createResponse: number[] = [];
    for (let i = 0; i < SESSIONS + 3; i++) {
      const { api, cookie } = editors[Math.floor(i / PER_PERSON)];
      const started = performance.now();
      const res = await api(`/api/workspaces/${workspace.id}/sessions`, {});
      const created = performance.now();
      const { session } = (await res.json()) as { session: { id: string } };
      const room = connectRoom(`ws://127.0.0.1:${PORT}/parties/session-room/${session.id}`, { cookie });
      await new Promise<void>((resolve, reject) => {
        const check = () => room.doc.getMap("session").get("phase") === "Running" && resolve();
        room.doc.getMap("session").observe(check);
        room.synced.then(check, reject);
        setTimeout(() => reject(new Error(`session ${session.id} not Running after 10 s`)), 10_000);
      });
      const running = performance.now();
      room.close();
      // The first few warm the Worker and the agent host up; they are not counted.
      if (i >= 3) {
        createResponse.push(created - started);
        toRunning.push(running - started);
      }
    }
    console.log(`create → 201 response:   ${summary(createResponse)}`);
    console.log(`create → phase Running:  ${summary(toRunning)}`);
  } finally {
    stack.stop();
    rmSync(state, { recursive: true, force: true });
  }
}

main().then(
  () => process.exit(0),
  (err) => {
    console.error(err);
    process.exit(1);
  },
);
