/**
 * Session start-up and first reply, on the local stack (`wrangler dev` + the local agent host, no
 * repositories) with the agent talking to the fake Messages API (`test/fakes/anthropic.ts`, real SSE):
 * create → Running over 50 sessions, then in each a prompt → the first text delta a viewer sees.
 * Then Claude Code's own start, alone: `query()` → the CLI answers its initialize, and → `system/init`
 * (the first message pushed at once), over 10 starts against the same fake API.
 * Prints p50/p95. Goal: create → Running p50 ≤ 300 ms.
 *   npm run bench:start [-- --sessions 50]
 */
import { mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { query, type SDKUserMessage } from "@anthropic-ai/claude-agent-sdk";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { buildWeb, startStack } from "../scripts/stack.mjs";
import { startFakeAnthropic } from "../test/fakes/anthropic";
import { isSettled, messageList, settledMessage } from "@tandem/protocol/transcript";
import { connectRoom } from "./lib/room-client";
import { freePort } from "./lib/stack";
import { summary } from "./lib/stats";
import type * as Y from "yjs";

const SESSIONS = Number(process.argv[process.argv.indexOf("--sessions") + 1]) || 50;
const PER_PERSON = 25;
const WARM_UP = 3;

/** How many assistant messages of the document have some text streamed into them. */
function assistantTexts(doc: Y.Doc): number {
  let count = 0;
  for (const message of messageList(doc)) {
    // A settled message is its JSON (issue 24): its text blocks are strings.
    if (isSettled(message)) {
      const settled = settledMessage(message);
      if (
        settled.role === "assistant" &&
        settled.blocks.some((block) => block.type === "text" && block.text.length > 0)
      )
        count++;
      continue;
    }
    if (message.get("role") !== "assistant") continue;
    const blocks = message.get("blocks") as Y.Array<Y.Map<unknown>> | undefined;
    if (
      (blocks?.toArray() ?? []).some(
        (block) => block.get("type") === "text" && String(block.get("text") ?? "").length > 0,
      )
    )
      count++;
  }
  return count;
}

async function main() {
  buildWeb();
  // Every request gets a short streamed reply, whoever sends it (the agent's turns and anything else).
  const anthropic = await startFakeAnthropic();
  const reply = () => ({
    kind: "message" as const,
    content: [{ type: "text" as const, text: "Hello from the fake Messages API, streamed in a few deltas." }],
  });
  const refill = setInterval(() => {
    if (anthropic.pending < 50) anthropic.enqueue(...Array.from({ length: 100 }, () => reply));
  }, 20);
  anthropic.enqueue(...Array.from({ length: 100 }, () => reply));
  const state = mkdtempSync(join(tmpdir(), "tandem-bench-"));
  const [port, agentPort] = [await freePort(), await freePort()];
  const stack = await startStack({
    port,
    agentPort,
    persistTo: state,
    quiet: true,
    agentEnv: { ANTHROPIC_API_KEY: "sk-ant-bench-key", ANTHROPIC_BASE_URL: anthropic.url },
  });
  const base = `http://127.0.0.1:${port}`;
  try {
    const signIn = async (name: string) => {
      const res = await fetch(`${base}/api/auth/dev`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ name }),
      });
      const { user } = (await res.json()) as { user: { email: string } };
      const cookie = (res.headers.get("set-cookie") ?? "").split(";")[0];
      const api = (path: string, body?: unknown) =>
        fetch(`${base}${path}`, {
          method: body ? "POST" : "GET",
          headers: { cookie, "content-type": "application/json" },
          body: body ? JSON.stringify(body) : undefined,
        });
      return { email: user.email, cookie, api };
    };
    const owner = await signIn("bench");
    const { workspace } = (await (await owner.api("/api/workspaces", { name: "bench" })).json()) as {
      workspace: { id: string };
    };
    // Session creation and messages are rate limited per person (30 and 60 a minute): shared out among editors.
    const editors = [owner];
    for (let n = 1; n < Math.ceil((SESSIONS + WARM_UP) / PER_PERSON); n++) {
      const editor = await signIn(`bench editor ${n}`);
      await owner.api(`/api/workspaces/${workspace.id}/members`, { user: editor.email, role: "editor" });
      // An invitation becomes a membership when the person comes.
      await editor.api(`/api/workspaces/${workspace.id}`);
      editors.push(editor);
    }

    const toRunning: number[] = [];
    const createResponse: number[] = [];
    const toFirstDelta: number[] = [];
    const toNextDelta: number[] = [];
    for (let i = 0; i < SESSIONS + WARM_UP; i++) {
      const { api, cookie } = editors[Math.floor(i / PER_PERSON)];
      const started = performance.now();
      const res = await api(`/api/workspaces/${workspace.id}/sessions`, {});
      const created = performance.now();
      const { session } = (await res.json()) as { session: { id: string } };
      const room = connectRoom(`ws://127.0.0.1:${port}/parties/session-room/${session.id}`, { cookie });
      const info = room.doc.getMap("session");
      await new Promise<void>((resolve, reject) => {
        const check = () => info.get("phase") === "Running" && resolve();
        info.observe(check);
        room.synced.then(check, reject);
        setTimeout(() => reject(new Error(`session ${session.id} not Running after 30 s`)), 30_000);
      });
      const running = performance.now();
      // A prompt: from the POST to the first text delta of a new reply in this viewer's copy of the document.
      const prompt = async (text: string): Promise<number> => {
        const before = assistantTexts(room.doc);
        const firstDelta = new Promise<number>((resolve, reject) => {
          const check = () => assistantTexts(room.doc) > before && resolve(performance.now());
          messageList(room.doc).observeDeep(check);
          setTimeout(() => reject(new Error(`session ${session.id}: no text delta after 30 s`)), 30_000);
        });
        const prompted = performance.now();
        const said = await api(`/api/workspaces/${workspace.id}/sessions/${session.id}/messages`, { text });
        if (said.status !== 202) throw new Error(`message: ${said.status} ${await said.text()}`);
        return (await firstDelta) - prompted;
      };
      const idle = () =>
        new Promise<void>((resolve) => {
          const check = () => info.get("agentStatus") === "idle" && resolve();
          info.observe(check);
          check();
        });
      const first = await prompt("Say hello");
      await new Promise((resolve) => setTimeout(resolve, 50));
      await idle();
      const next = await prompt("And again");
      await api(`/api/workspaces/${workspace.id}/sessions/${session.id}/stop`, {});
      room.close();
      // The first few warm the Worker and the agent host up; they are not counted.
      if (i >= WARM_UP) {
        createResponse.push(created - started);
        toRunning.push(running - started);
        toFirstDelta.push(first);
        toNextDelta.push(next);
      }
    }
    console.log(`create → 201 response:              ${summary(createResponse)}`);
    console.log(`create → phase Running:              ${summary(toRunning)}`);
    console.log(`prompt → first text delta (viewer): ${summary(toFirstDelta)}`);
    console.log(`next prompt → first text delta:     ${summary(toNextDelta)}`);
    console.log(`model requests answered by the fake API: ${anthropic.requests.length}`);
    const cli = await claudeCodeStart(anthropic.url, state, Math.min(10, SESSIONS));
    console.log(`Claude Code: query() → initialized:  ${summary(cli.initialized)}`);
    console.log(`Claude Code: query() → system/init:  ${summary(cli.init)}`);
  } finally {
    clearInterval(refill);
    stack.stop();
    await anthropic.close();
    rmSync(state, { recursive: true, force: true });
  }
}

/** Claude Code started alone, as the driver starts it (bypassPermissions, the fake API as its endpoint). */
async function claudeCodeStart(
  apiURL: string,
  state: string,
  runs = 10,
): Promise<{ initialized: number[]; init: number[] }> {
  const initialized: number[] = [];
  const init: number[] = [];
  const cwd = join(state, "claude-start");
  mkdirSync(join(cwd, "home"), { recursive: true });
  for (let i = 0; i < runs; i++) {
    const started = performance.now();
    const prompt = (async function* (): AsyncGenerator<SDKUserMessage> {
      yield { type: "user", message: { role: "user", content: "hello" }, parent_tool_use_id: null };
      await new Promise(() => {});
    })();
    const q = query({
      prompt,
      options: {
        cwd,
        permissionMode: "bypassPermissions",
        allowDangerouslySkipPermissions: true,
        settingSources: [],
        model: "claude-haiku-4-5",
        env: {
          PATH: process.env.PATH,
          HOME: join(cwd, "home"),
          CLAUDE_CONFIG_DIR: join(cwd, "config"),
          IS_SANDBOX: "1",
          ANTHROPIC_BASE_URL: apiURL,
          ANTHROPIC_API_KEY: "sk-ant-bench",
          CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC: "1",
        },
      },
    });
    void q.initializationResult().then(
      () => initialized.push(performance.now() - started),
      () => undefined,
    );
    for await (const message of q) {
      if (message.type === "system" && message.subtype === "init") {
        init.push(performance.now() - started);
        break;
      }
    }
    q.close();
  }
  return { initialized, init };
}

main().then(
  () => process.exit(0),
  (err) => {
    console.error(err);
    process.exit(1);
  },
);
