/**
 * A scriptable stand-in for the agent host, for Worker tests: it speaks the real DO ↔ agent protocol
 * (frames validated with the same zod schemas) and is steered by the messages people send and by a small
 * control API that tests inside workerd reach over HTTP:
 *   GET  /control/:id            what it received and sent, its incarnation and its files
 *   POST /control/:id/release    finishes a turn held by "/hold", or a save held by "/slow-save"
 *   POST /control/:id/drop       closes the socket abruptly (the agent lives on, as after a network blip)
 *   POST /control/:id/kill       closes it and refuses every reconnect (the agent is gone)
 *   POST /control/:id/restart    forgets the session, as a restarted host would: the next start is a new incarnation
 *   POST /control/:id/deaf       the agent stops answering `stop`
 *   POST /control/:id/unanswered the next N upgrades (body "N") are cut off unanswered, as a pooled connection
 *                                the host had just closed would be; GET /control/:id tells how many are left
 * Like the real host, it checks the room's token (containers/agent/link-auth.ts) on the socket, on
 * artifact downloads and on workspace archives, and answers with its proof, so the Worker tests run the
 * real check both ways; the control API needs no token. `POST /control/impostor/:id` (body "on"/"off")
 * makes it answer that session without its proof, as a process that took the agent's port would.
 * POST /sessions/:id/workbench/(changes|push) answers from the saved workspace the room sends (agent-git.ts);
 * GET /control-workbench lists what it was sent.
 * Callbacks: /callback/sink records what it receives (GET /control-callbacks lists it); /callback/redirect
 * answers 307 to the sink.
 * Message scripts: "/environment-archive <key>" (offers an environment the room did not ask for), "/hold", "/ask <q>", "/approval <tool|plan>" (an approval, waiting for the room's decision), "/tool", "/env" (prints the secrets, unredacted), "/artifact <name>", "/turn-error <m>", "/fail <m>",
 * "/mcp" (reports each MCP server of the start frame connected, or failed with the room's reason, then prints their headers unredacted),
 * "/notice <detail>" (a model_deprecated notice), "/usage <in> <out> <cache read> <cache write> [requests]" (a turn with
 * that usage), "/usage-failed <in> <out>" (a failed request's usage, then the turn's error),
 * "/complete", "/leak-split" (streams each secret, raw, base64 and URL-encoded, split across two deltas),
 * "/invalid-frame" (an invalid frame quoting the secrets), "/write <file> <text>" (the workspace changes and
 * is archived after the turn), "/slow-save <file> <text>" (the same, but the archive takes until released,
 * saying `progress {step: "save"}` every 500 ms meanwhile, as the real agent does while tar runs), "/push-refuse
 * <status> <code> <message>" (the next push is refused so: agent-git.ts answers changes and pushes), "/files"
 * (lists the workspace), "/huge" (an archive over the cap), "/long-output <n>" (n tool calls with
 * 30,000-character results, as the agent caps them), "/transcript <n>" (n more assistant messages with
 * thinking, text and every third a tool call), "/stream <ms> <first> <n>" (n text_deltas, one every <ms>
 * ms as a model streams, each the fan-out bench's marker of a token from <first>: `~000123~ `); anything
 * else is echoed back word by word.
 * `onSent` hears every frame as it is sent (the bench timestamps its tokens there).
 * Artifacts: `secret-*` is text holding the secrets, `binary-secret-*` binary holding them, `binary-*`
 * binary without them, "chunked-<n>.bin" streams n pattern bytes (patternByte) with no length, "huge…"
 * declares 200 MB; any other name is 42 bytes naming itself.
 * Its workspace is a map of files; its "archive" is that map as JSON, served and restored like the real one.
 */
import { randomUUID } from "node:crypto";
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import { createRequire } from "node:module";
import type { WebSocket as NodeWebSocket } from "ws";
import {
  INCARNATION_HEADER,
  SAVE_PROGRESS_STEP,
  ToAgentFrameSchema,
  type AgentHello,
  type FromAgentFrame,
  type StartFrame,
  type ToAgentFrame,
} from "@tandem/protocol/agent";
import {
  type LinkCheck,
  checkAgentRequest,
  refusalBody,
  requireAgentKey,
} from "../../containers/agent/link-auth";
import { AGENT_PROOF_HEADER } from "@tandem/protocol/agent-auth";
import type { AgentPush } from "@tandem/protocol/git";
import { fakeGitRequest, fakeWorkbench, workbenchCalls } from "./agent-git";

// Global setup is loaded with the worker project's resolve conditions (where "ws" is its browser stub).
const { WebSocketServer } = createRequire(import.meta.url)("ws") as typeof import("ws");

type Outgoing = FromAgentFrame extends infer F ? (F extends FromAgentFrame ? Omit<F, "seq"> : never) : never;

type SentListener = (frame: FromAgentFrame) => void;

class FakeSession {
  readonly incarnation = randomUUID();
  seq = 0;
  socket: NodeWebSocket | null = null;
  received: ToAgentFrame[] = [];
  sent: FromAgentFrame[] = [];
  acked = 0;
  killed = false;
  seenInputs = new Set<number>();
  queue: ToAgentFrame[] = [];
  busy = false;
  stopping = false;
  release: (() => void) | null = null;
  pendingQuestion: ((answer: string) => void) | null = null;
  pendingDecision: ((decision: string) => void) | null = null;
  /** The secrets of the last start frame: "/env" prints them, as a careless agent would. */
  secrets: Record<string, string> = {};
  files: Record<string, string> = {};
  /** What the room asked to push (agent-git.ts), and the refusal "/push-refuse" scripted. */
  pushes: AgentPush[] = [];
  pushRefusal: { status: number; code: string; message: string } | null = null;
  /** The archive the room may fetch (the files as JSON when it was made). */
  archive: string | null = null;
  changed = false;
  /** The next archive is slow: it waits for the control API's release, saying it is saving. */
  slowSave = false;
  needsWorkspace = false;
  ready = false;
  deaf = false;
  finished = false;
  stop: (() => void) | null = null;
  readonly start: StartFrame;
  readonly #onSent: SentListener | undefined;

  constructor(start: StartFrame, onSent?: SentListener) {
    this.start = start;
    this.#onSent = onSent;
    this.secrets = start.secrets;
    this.needsWorkspace = start.restore;
  }

  hello(): void {
    const hello: AgentHello = {
      type: "hello",
      incarnation: this.incarnation,
      needsWorkspace: this.needsWorkspace,
    };
    this.socket?.send(JSON.stringify(hello));
  }

  send(frame: Outgoing): void {
    const full = { ...frame, seq: ++this.seq } as FromAgentFrame;
    this.sent.push(full);
    this.socket?.send(JSON.stringify(full));
    this.#onSent?.(full);
  }

  replayAfter(upTo: number): void {
    for (const frame of this.sent) if (frame.seq > upTo) this.socket?.send(JSON.stringify(frame));
  }
}

/** Byte `i` of a "chunked-<n>.bin" artifact. */
export const patternByte = (i: number) => i % 251;

/** n bytes of the pattern, sent without a Content-Length (chunked), 64 KiB a write. */
function streamPattern(res: ServerResponse, n: number): void {
  res.writeHead(200, { "content-type": "application/octet-stream" });
  let sent = 0;
  const next = () => {
    while (sent < n) {
      const chunk = Buffer.alloc(Math.min(64 * 1024, n - sent));
      for (let i = 0; i < chunk.length; i++) chunk[i] = patternByte(sent + i);
      sent += chunk.length;
      if (!res.write(chunk)) return void res.once("drain", next);
    }
    res.end();
  };
  next();
}

export async function startFakeAgentHost(key: string, port = 0, options: { onSent?: SentListener } = {}) {
  requireAgentKey(key);
  /** Requests the link check refused, for tests that prove the room presents its token. */
  const refused: { url: string; status: number }[] = [];
  const sessions = new Map<string, FakeSession>();

  const server = createServer((req, res) => void control(req, res));
  const wss = new WebSocketServer({ noServer: true });
  /** Sessions the fake answers without its proof. */
  const impostors = new Set<string>();
  /** Per session, how many more upgrades are cut off unanswered. */
  const unanswered = new Map<string, number>();
  const proofs = new WeakMap<IncomingMessage, string>();
  wss.on("headers", (headers, req) => {
    const proof = proofs.get(req);
    if (proof) headers.push(`${AGENT_PROOF_HEADER}: ${proof}`);
  });
  server.on("upgrade", async (req, socket, head) => {
    const check = await checkAgentRequest(req, key);
    if (!check.ok) {
      refused.push({ url: req.url ?? "", status: check.status });
      socket.end(
        `HTTP/1.1 ${check.status} Refused\r\ncontent-type: application/json\r\n\r\n${refusalBody(check)}`,
      );
      return;
    }
    if (check.proof && !impostors.has(check.sessionId)) proofs.set(req, check.proof);
    const id = /^\/sessions\/([^/]+)\/socket$/.exec(req.url ?? "")?.[1];
    const left = id ? (unanswered.get(decodeURIComponent(id)) ?? 0) : 0;
    if (id && left > 0) {
      unanswered.set(decodeURIComponent(id), left - 1);
      socket.destroy();
      return;
    }
    if (!id || sessions.get(decodeURIComponent(id))?.killed) {
      socket.end("HTTP/1.1 503 Service Unavailable\r\n\r\n");
      return;
    }
    wss.handleUpgrade(req, socket, head, (ws) => attach(decodeURIComponent(id), ws));
  });

  function attach(id: string, ws: NodeWebSocket): void {
    ws.on("message", (data) => {
      const parsed = ToAgentFrameSchema.safeParse(JSON.parse(String(data)));
      if (!parsed.success) return;
      const frame = parsed.data;
      const current = sessions.get(id);
      if (frame.type === "start") {
        // A start naming the live incarnation is a reconnect; anything else starts a new incarnation.
        const live = current !== undefined && !current.killed && frame.incarnation === current.incarnation;
        const target = live ? current : new FakeSession(frame, options.onSent);
        if (!live) {
          if (current) current.stop?.();
          sessions.set(id, target);
        }
        target.received.push(frame);
        target.socket = ws;
        ws.on("close", () => {
          if (target.socket === ws) target.socket = null;
        });
        target.hello();
        if (live) target.replayAfter(frame.ackedUpTo);
        else if (!target.needsWorkspace)
          void provision(
            target,
            frame.repos.map((repo) => repo.url),
          );
        return;
      }
      if (!current) return;
      current.received.push(frame);
      handle(current, frame);
    });
  }

  async function provision(s: FakeSession, repos: string[]): Promise<void> {
    for (const [index, url] of repos.entries()) {
      s.send({
        type: "progress",
        step: "clone",
        detail: `cloning repo ${index + 1} of ${repos.length}: ${url}`,
      });
      if (url.includes("missing")) {
        s.send({ type: "error", message: `fatal: repository '${url}' not found` });
        return;
      }
    }
    if (repos.length > 0) {
      for (const [index, url] of repos.entries())
        s.files[`repo-${index + 1}/README.md`] = `cloned from ${url}`;
      saveArchive(s);
    }
    s.send({ type: "progress", step: "agent", detail: "starting agent" });
    s.send({ type: "ready", model: "offline" });
    s.send({ type: "status", state: "idle" });
    s.ready = true;
    if (s.stopping) stopNow(s);
    else if (s.queue.length > 0) void drain(s);
  }

  /** A large workspace's archive: a stop does not cut it short; it says it is saving until released. */
  async function slowSave(s: FakeSession): Promise<void> {
    s.slowSave = false;
    const saying = () =>
      s.send({ type: "progress", step: SAVE_PROGRESS_STEP, detail: "saving the workspace" });
    saying();
    const timer = setInterval(saying, 500);
    await new Promise<void>((resolve) => (s.release = resolve));
    clearInterval(timer);
    s.release = null;
  }

  function saveArchive(s: FakeSession): void {
    s.archive = JSON.stringify(s.files);
    s.changed = false;
    s.send({ type: "workspace_archive", size: Buffer.byteLength(s.archive), overLimit: false });
  }

  function handle(s: FakeSession, frame: ToAgentFrame): void {
    if (frame.type === "ack") s.acked = Math.max(s.acked, frame.upTo);
    else if (frame.type === "stop") {
      if (s.deaf || s.finished) return;
      s.stopping = true;
      // A stop cancels the turn in flight: a held turn ends at once.
      if (s.busy) s.stop?.();
      else if (s.ready || s.needsWorkspace) stopNow(s);
    } else if (frame.type === "decision") {
      if (s.seenInputs.has(frame.seq)) return;
      s.seenInputs.add(frame.seq);
      s.send({ type: "input_consumed", upTo: frame.seq });
      s.pendingDecision?.(`${frame.decision} by ${frame.author}${frame.message ? `: ${frame.message}` : ""}`);
    } else if (frame.type === "answer") {
      if (s.seenInputs.has(frame.seq)) return;
      s.seenInputs.add(frame.seq);
      s.send({ type: "input_consumed", upTo: frame.seq });
      s.pendingQuestion?.(frame.text);
    } else if (frame.type === "user_message") {
      if (s.seenInputs.has(frame.seq)) return;
      s.seenInputs.add(frame.seq);
      s.queue.push(frame);
      if (!s.busy && s.ready) void drain(s);
    }
  }

  async function drain(s: FakeSession): Promise<void> {
    s.busy = true;
    while (s.queue.length > 0 && !s.stopping) {
      const next = s.queue.shift();
      if (next?.type === "user_message") await turn(s, next.seq, next.text);
    }
    if (s.changed && s.slowSave) await slowSave(s);
    s.busy = false;
    if (s.changed) saveArchive(s);
    if (s.stopping) return stopNow(s);
    s.send({ type: "status", state: "idle" });
    if (!s.start.config.interactive && s.queue.length === 0) {
      s.finished = true;
      s.send({ type: "completed" });
    }
  }

  async function turn(s: FakeSession, seq: number, text: string): Promise<void> {
    const id = `msg-${s.seq + 1}`;
    s.send({ type: "status", state: "working" });
    s.send({ type: "input_consumed", upTo: seq });
    s.send({ type: "message_start", id });
    const [command, ...rest] = text.split(" ");
    const argument = rest.join(" ");
    if (command === "/hold") {
      s.send({ type: "text_delta", id, text: "holding " });
      const outcome = await new Promise<string>((resolve) => {
        s.release = () => resolve("released");
        s.stop = () => resolve("stopped");
      });
      s.release = s.stop = null;
      if (outcome === "stopped") {
        modelUsage(s, seq, { inputTokens: 10, outputTokens: 1 });
        return void s.send({ type: "turn_end" });
      }
      s.send({ type: "text_delta", id, text: "released" });
    } else if (command === "/write" || command === "/slow-save") {
      s.slowSave = command === "/slow-save";
      const [file, ...words] = rest;
      s.files[file] = words.join(" ");
      s.changed = true;
      s.send({ type: "text_delta", id, text: `wrote ${file}` });
    } else if (command === "/push-refuse") {
      const [status, code, ...words] = rest;
      s.pushRefusal = { status: Number(status), code, message: words.join(" ") };
      s.send({ type: "text_delta", id, text: `the next push is refused with ${code}` });
    } else if (command === "/files") {
      s.send({
        type: "text_delta",
        id,
        text: `files: ${Object.entries(s.files)
          .map(([file, text]) => `${file}=${text}`)
          .join("; ")}`,
      });
    } else if (command === "/huge") {
      s.send({ type: "workspace_archive", size: 2 * 1024 ** 3, overLimit: true });
    } else if (command === "/ask") {
      s.send({ type: "question", id: `q-${seq}`, messageId: id, text: argument });
      s.send({ type: "status", state: "waiting_input" });
      const answer = await new Promise<string>((resolve) => {
        s.pendingQuestion = resolve;
        s.stop = () => resolve("(stopped)");
      });
      s.pendingQuestion = s.stop = null;
      s.send({ type: "status", state: "working" });
      s.send({ type: "text_delta", id, text: `thanks: ${answer}` });
    } else if (command === "/approval") {
      s.send({
        type: "approval",
        id: `approval-${seq}`,
        messageId: id,
        kind: argument === "plan" ? "plan" : "tool",
        tool: argument === "plan" ? "ExitPlanMode" : argument || "Bash",
        input: argument === "plan" ? { plan: "1. Fix it" } : { command: "rm -rf build" },
      });
      s.send({ type: "status", state: "waiting_input" });
      const decision = await new Promise<string>((resolve) => {
        s.pendingDecision = resolve;
        s.stop = () => resolve("(stopped)");
      });
      s.pendingDecision = s.stop = null;
      s.send({ type: "status", state: "working" });
      s.send({ type: "text_delta", id, text: `decided: ${decision}` });
    } else if (command === "/tool") {
      s.send({ type: "tool_use", id: `tool-${seq}`, messageId: id, name: "bash", input: { command: "ls" } });
      s.send({ type: "tool_result", id: `tool-${seq}`, output: "README.md\n", isError: false });
    } else if (command === "/environment-archive") {
      // A hostile agent, Running, offers an environment for a key of its choosing: the room must not keep it.
      s.send({
        type: "environment_archive",
        key: argument,
        size: Buffer.byteLength(s.archive ?? "{}"),
        overLimit: false,
      });
    } else if (command === "/mcp") {
      const servers = s.start.mcpServers.map((server) =>
        server.failure
          ? { name: server.name, status: "failed" as const, error: server.failure }
          : { name: server.name, status: "connected" as const },
      );
      s.send({ type: "mcp_status", servers });
      const headers = s.start.mcpServers.flatMap((server) =>
        Object.entries(server.headers).map(([name, value]) => `${server.name} ${name}: ${value}`),
      );
      s.send({
        type: "tool_use",
        id: `tool-${seq}`,
        messageId: id,
        name: "bash",
        input: { command: "cat .mcp.json" },
      });
      s.send({ type: "tool_result", id: `tool-${seq}`, output: `${headers.join("\n")}\n`, isError: false });
    } else if (command === "/env") {
      const output = Object.entries(s.secrets)
        .map(([key, value]) => `${key}=${value}`)
        .join("\n");
      s.send({ type: "tool_use", id: `tool-${seq}`, messageId: id, name: "bash", input: { command: "env" } });
      s.send({
        type: "tool_result",
        id: `tool-${seq}`,
        output: `PATH=/usr/bin\n${output}\n`,
        isError: false,
      });
    } else if (command === "/long-output") {
      for (let i = 0; i < Number(argument); i++) {
        s.send({
          type: "tool_use",
          id: `tool-${seq}-${i}`,
          messageId: id,
          name: "bash",
          input: { command: `cat part-${i}.log` },
        });
        s.send({
          type: "tool_result",
          id: `tool-${seq}-${i}`,
          output: `${i}:`.padEnd(30_000, "abcdefghij"),
          isError: false,
        });
      }
    } else if (command === "/transcript") {
      for (let i = 0; i < Number(argument); i++) transcriptMessage(s, `${id}-${i}`, i);
    } else if (command === "/stream") {
      // The tokens are numbered here, not quoted in the prompt: the prompt is in the transcript too.
      const [interval, first, count] = rest.map(Number);
      const started = performance.now();
      for (let i = 0; i < count; i++) {
        // Paced from the start, not from the last send: a late timer does not push every later token back.
        const wait = started + i * interval - performance.now();
        if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
        if (s.stopping) break;
        s.send({ type: "text_delta", id, text: `~${String(first + i).padStart(6, "0")}~ ` });
      }
    } else if (command === "/artifact") {
      s.send({ type: "artifact", name: argument, size: 42 });
    } else if (command === "/notice") {
      s.send({ type: "notice", kind: "model_deprecated", detail: argument });
    } else if (command === "/usage") {
      // `/usage <in> <out> <cache read> <cache write> [requests]`: that many model requests of these figures.
      const [inputTokens, outputTokens, cacheReadTokens, cacheWriteTokens, requests = 1] = argument
        .split(" ")
        .map(Number);
      s.send({ type: "text_delta", id, text: "counted" });
      for (let n = 0; n < requests; n++)
        modelUsage(s, seq, { inputTokens, outputTokens, cacheReadTokens, cacheWriteTokens }, n);
      return void s.send({ type: "turn_end" });
    } else if (command === "/usage-failed") {
      // `/usage-failed <in> <out>`: a model request that failed part-way (what it used so far), and the turn's error.
      const [inputTokens, outputTokens] = argument.split(" ").map(Number);
      modelUsage(s, seq, { inputTokens, outputTokens }, 0, true);
      return void s.send({ type: "turn_error", message: "the model request failed" });
    } else if (command === "/turn-error") {
      s.send({ type: "turn_error", message: argument });
    } else if (command === "/fail") {
      s.send({ type: "error", message: argument });
    } else if (command === "/complete") {
      s.send({ type: "completed" });
    } else if (command === "/leak-split") {
      for (const value of Object.values(s.secrets)) {
        for (const form of [value, btoa(`user:${value}`), encodeURIComponent(value)]) {
          const half = Math.floor(form.length / 2);
          s.send({ type: "text_delta", id, text: `[${form.slice(0, half)}` });
          s.send({ type: "text_delta", id, text: `${form.slice(half)}] ` });
        }
      }
    } else if (command === "/leak-around-usage") {
      // Each secret in two deltas with a model request's usage (and an archive's progress) between them.
      for (const value of Object.values(s.secrets)) {
        const half = Math.floor(value.length / 2);
        s.send({ type: "text_delta", id, text: `<${value.slice(0, half)}` });
        modelUsage(s, seq, { inputTokens: 1, outputTokens: 1 }, 9);
        s.send({ type: "progress", step: "save", detail: "saving the workspace" });
        s.send({ type: "text_delta", id, text: `${value.slice(half)}> ` });
      }
    } else if (command === "/invalid-frame") {
      // Not a valid text_delta (no id): the room must not store its text.
      s.socket?.send(
        JSON.stringify({ type: "text_delta", seq: s.seq + 1, text: Object.values(s.secrets).join(" ") }),
      );
    } else {
      for (const word of `echo: ${text}`.split(/(?<= )/)) s.send({ type: "text_delta", id, text: word });
    }
    modelUsage(s, seq, { inputTokens: 10, outputTokens: 5 });
    s.send({ type: "turn_end" });
  }

  /** One model request's usage, as the agent host's gateway reports it (its request ids restart with the process). */
  function modelUsage(
    s: FakeSession,
    seq: number,
    tokens: {
      inputTokens: number;
      outputTokens: number;
      cacheReadTokens?: number;
      cacheWriteTokens?: number;
    },
    n = 0,
    failed = false,
  ): void {
    s.send({
      type: "usage",
      requestId: `req-${seq}-${n}`,
      model: s.start.config.model,
      inputTokens: tokens.inputTokens,
      outputTokens: tokens.outputTokens,
      cacheReadTokens: tokens.cacheReadTokens ?? 0,
      cacheWriteTokens: tokens.cacheWriteTokens ?? 0,
      failed,
    });
  }

  /** One assistant message as a model writes one: thinking, text in a few deltas, sometimes a tool call. */
  function transcriptMessage(s: FakeSession, id: string, i: number): void {
    s.send({ type: "message_start", id });
    s.send({
      type: "thinking_delta",
      id,
      text: `Step ${i}: the failing test points at the parser; check how it handles an empty line before changing anything.`,
    });
    for (const part of [
      "I looked at `src/parser.ts` ",
      `and the case on line ${i % 400}: `,
      "an empty line ends the block early, ",
      "so the fix is to skip blank lines before the header.",
    ]) {
      s.send({ type: "text_delta", id, text: part });
    }
    if (i % 3 === 0) {
      s.send({
        type: "tool_use",
        id: `${id}-tool`,
        messageId: id,
        name: "bash",
        input: { command: `npm test -- parser --grep case-${i}` },
      });
      s.send({
        type: "tool_result",
        id: `${id}-tool`,
        output: `> parser@1.0.0 test\n  ✓ parses headers (3 ms)\n  ✓ case-${i} skips blank lines (1 ms)\n\n  2 passing (12 ms)\n`,
        isError: false,
      });
    }
  }

  function stopNow(s: FakeSession): void {
    s.finished = true;
    s.send({ type: "status", state: "idle" });
    s.send({ type: "stopped" });
  }

  /** GET: the archive of the incarnation named; PUT: the workspace a new incarnation waits for. */
  function workspace(req: IncomingMessage, res: ServerResponse, id: string): void {
    const s = sessions.get(id);
    if (!s || s.killed) return void res.writeHead(404).end();
    if (req.headers[INCARNATION_HEADER] !== s.incarnation) return void res.writeHead(409).end();
    if (req.method === "GET") {
      if (s.archive === null) return void res.writeHead(404).end();
      res
        .writeHead(200, {
          "content-type": "application/gzip",
          "content-length": Buffer.byteLength(s.archive),
        })
        .end(s.archive);
      return;
    }
    const parts: Buffer[] = [];
    req.on("data", (chunk: Buffer) => parts.push(chunk));
    req.on("end", () => {
      if (!s.needsWorkspace) return void res.writeHead(409).end();
      const body = Buffer.concat(parts).toString("utf8");
      let files: Record<string, string>;
      try {
        files = JSON.parse(body) as Record<string, string>;
      } catch {
        // As tar answers an archive it cannot unpack: quoting a member's name, whatever the name holds.
        const answer = {
          error: {
            code: "bad_archive",
            message: `tar: ./${body.slice(0, 120)}: Cannot open: Not a directory`,
          },
        };
        return void res.writeHead(400, { "content-type": "application/json" }).end(JSON.stringify(answer));
      }
      s.files = files;
      s.needsWorkspace = false;
      res.writeHead(204).end();
      s.send({ type: "progress", step: "restore", detail: "restored the saved workspace" });
      void provision(s, []);
    });
  }

  /** The real host's check on a session request; false (and answered) when it is refused. */
  async function linkChecked(req: IncomingMessage, res: ServerResponse): Promise<boolean> {
    const check: LinkCheck = await checkAgentRequest(req, key);
    if (!check.ok) {
      refused.push({ url: req.url ?? "", status: check.status });
      res.writeHead(check.status, { "content-type": "application/json" }).end(refusalBody(check));
      return false;
    }
    if (check.proof && !impostors.has(check.sessionId)) res.setHeader(AGENT_PROOF_HEADER, check.proof);
    return true;
  }

  /** What reached the callback sink: as a receiver of phase-change callbacks would see them. */
  const callbacks: { headers: Record<string, string | string[] | undefined>; body: string }[] = [];

  async function control(req: IncomingMessage, res: ServerResponse): Promise<void> {
    if (req.url === "/control/refused") {
      res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify({ refused }));
      return;
    }
    const impostor = /^\/control\/impostor\/([^/]+)$/.exec(req.url ?? "");
    if (impostor) {
      const body: Buffer[] = [];
      for await (const chunk of req) body.push(chunk as Buffer);
      const id = decodeURIComponent(impostor[1]);
      if (Buffer.concat(body).toString() === "on") impostors.add(id);
      else impostors.delete(id);
      res
        .writeHead(200, { "content-type": "application/json" })
        .end(JSON.stringify({ impostor: impostors.has(id) }));
      return;
    }
    const cutOff = /^\/control\/([^/]+)\/unanswered$/.exec(req.url ?? "");
    if (cutOff && req.method === "POST") {
      const body: Buffer[] = [];
      for await (const chunk of req) body.push(chunk as Buffer);
      unanswered.set(decodeURIComponent(cutOff[1]), Number(Buffer.concat(body).toString()) || 0);
      return void res.writeHead(204).end();
    }
    if (req.url === "/callback/redirect") {
      res.writeHead(307, { location: "/callback/sink" }).end();
      return;
    }
    if (req.url?.split("?")[0] === "/callback/sink") {
      let body = "";
      req.on("data", (chunk: Buffer) => (body += chunk.toString("utf8")));
      req.on("end", () => {
        callbacks.push({ headers: req.headers, body });
        res.writeHead(204).end();
      });
      return;
    }
    if (req.url === "/control-workbench") {
      res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify(workbenchCalls));
      return;
    }
    if (req.url === "/control-callbacks") {
      res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify(callbacks));
      return;
    }
    const environment = /^\/sessions\/([^/]+)\/environment$/.exec(req.url ?? "");
    if (environment && req.method === "GET") {
      if (!(await linkChecked(req, res))) return;
      const poisoned = sessions.get(decodeURIComponent(environment[1]))?.archive ?? "{}";
      return void res
        .writeHead(200, { "content-type": "application/gzip", "content-length": Buffer.byteLength(poisoned) })
        .end(poisoned);
    }
    const archive = /^\/sessions\/([^/]+)\/workspace$/.exec(req.url ?? "");
    if (archive) {
      if (!(await linkChecked(req, res))) return;
      return workspace(req, res, decodeURIComponent(archive[1]));
    }
    const git = /^\/sessions\/([^/]+)\/(changes|push)$/.exec(req.url ?? "");
    if (git) {
      if (!(await linkChecked(req, res))) return;
      return fakeGitRequest(req, res, sessions.get(decodeURIComponent(git[1])), git[2]);
    }
    const bench = /^\/sessions\/([^/]+)\/workbench\/(changes|push)$/.exec(req.url ?? "");
    if (bench) {
      if (!(await linkChecked(req, res))) return;
      return fakeWorkbench(req, res, sessions.get(decodeURIComponent(bench[1])), bench[2]);
    }
    const artifact = /^\/sessions\/([^/]+)\/artifacts\/(.+)$/.exec(req.url ?? "");
    if (artifact) {
      if (!(await linkChecked(req, res))) return;
      const name = decodeURIComponent(artifact[2]);
      const chunked = /^chunked-(\d+)\.bin$/.exec(name);
      if (chunked) return void streamPattern(res, Number(chunked[1]));
      if (name.startsWith("huge")) {
        // Declares far more than any artifact may hold, then stalls: the room must refuse it on the header.
        res.writeHead(200, {
          "content-type": "application/octet-stream",
          "content-length": String(200 * 1024 * 1024),
        });
        res.write(Buffer.alloc(64 * 1024));
        setTimeout(() => res.destroy(), 10_000).unref();
        return;
      }
      const secrets = Object.values(sessions.get(decodeURIComponent(artifact[1]))?.secrets ?? {});
      const binary = (text: string) => Buffer.concat([Buffer.from([0, 1, 2, 255, 0]), Buffer.from(text)]);
      res.writeHead(200, {
        "content-type": name.startsWith("binary-") ? "application/octet-stream" : "text/markdown",
      });
      if (name.startsWith("secret-"))
        res.end(
          secrets
            .map((v) => `token: ${v}\nbasic: ${btoa(`u:${v}`)}\nurl: ?t=${encodeURIComponent(v)}\n`)
            .join(""),
        );
      else if (name.startsWith("binary-secret-")) res.end(binary(`key=${secrets.join(",")};`));
      else if (name.startsWith("binary-")) res.end(binary("no secrets in here"));
      else res.end(`# ${name}\n`.padEnd(42, ".")); // 42 bytes naming itself
      return;
    }
    const match = /^\/control\/([^/]+)(?:\/(release|drop|kill|restart|deaf))?$/.exec(req.url ?? "");
    const s = match ? sessions.get(decodeURIComponent(match[1])) : undefined;
    if (!match || !s) {
      res.writeHead(404).end();
      return;
    }
    if (match[2] === "release") s.release?.();
    if (match[2] === "drop") s.socket?.terminate();
    if (match[2] === "kill") {
      s.killed = true;
      s.socket?.terminate();
    }
    if (match[2] === "restart") {
      sessions.delete(decodeURIComponent(match[1]));
      s.socket?.terminate();
    }
    if (match[2] === "deaf") s.deaf = true;
    res.writeHead(200, { "content-type": "application/json" });
    const { received, sent, acked, incarnation, files, pushes } = s;
    const left = unanswered.get(decodeURIComponent(match[1])) ?? 0;
    res.end(
      JSON.stringify({
        received,
        sent,
        acked,
        connected: s.socket !== null,
        incarnation,
        files,
        pushes,
        unanswered: left,
      }),
    );
  }

  await new Promise<void>((resolve) => server.listen(port, "127.0.0.1", resolve));
  const address = server.address();
  return {
    port: typeof address === "object" && address ? address.port : port,
    close: () =>
      new Promise<void>((resolve) => {
        for (const client of wss.clients) client.terminate();
        server.close(() => resolve());
      }),
  };
}
