/**
 * A scriptable stand-in for the agent host, for Worker tests: it speaks the real DO ↔ agent protocol
 * (frames validated with the same zod schemas) and is steered by the messages people send and by a small
 * control API that tests inside workerd reach over HTTP:
 *   GET  /control/:id            what it received and sent
 *   POST /control/:id/release    finishes a turn held by "/hold"
 *   POST /control/:id/drop       closes the socket abruptly (the agent lives on, as after a network blip)
 *   POST /control/:id/kill       closes it and refuses every reconnect (the agent is gone)
 * Message scripts: "/hold", "/ask <q>", "/tool", "/env" (prints the secrets, unredacted), "/artifact <name>", "/turn-error <m>", "/fail <m>",
 * "/complete", "/long-output <n>" (n tool calls with 30,000-character results, as the agent caps them),
 * "/transcript <n>" (n more assistant messages with thinking, text and every third a tool call);
 * anything else is echoed back word by word.
 */
import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import { createRequire } from "node:module";
import type { WebSocket as NodeWebSocket } from "ws";
import { ToAgentFrameSchema, type FromAgentFrame, type ToAgentFrame } from "../../worker/protocol/agent";

// Global setup is loaded with the worker project's resolve conditions (where "ws" is its browser stub).
const { WebSocketServer } = createRequire(import.meta.url)("ws") as typeof import("ws");

type Outgoing = FromAgentFrame extends infer F ? (F extends FromAgentFrame ? Omit<F, "seq"> : never) : never;

class FakeSession {
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
  /** The secrets of the last start frame: "/env" prints them, as a careless agent would. */
  secrets: Record<string, string> = {};

  send(frame: Outgoing): void {
    const full = { ...frame, seq: ++this.seq } as FromAgentFrame;
    this.sent.push(full);
    this.socket?.send(JSON.stringify(full));
  }

  replayAfter(upTo: number): void {
    for (const frame of this.sent) if (frame.seq > upTo) this.socket?.send(JSON.stringify(frame));
  }
}

export async function startFakeAgentHost(port = 0) {
  const sessions = new Map<string, FakeSession>();
  const session = (id: string) => sessions.get(id) ?? sessions.set(id, new FakeSession()).get(id)!;

  const server = createServer((req, res) => control(req, res));
  const wss = new WebSocketServer({ noServer: true });
  server.on("upgrade", (req, socket, head) => {
    const id = /^\/sessions\/([^/]+)\/socket$/.exec(req.url ?? "")?.[1];
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
        // A start for a live session is a reconnect; anything else starts a fresh agent run.
        const live = current !== undefined && !current.killed && frame.ackedUpTo > 0;
        const target = live ? current : new FakeSession();
        if (!live) sessions.set(id, target);
        target.received.push(frame);
        target.secrets = frame.secrets;
        target.socket = ws;
        ws.on("close", () => {
          if (target.socket === ws) target.socket = null;
        });
        if (live) target.replayAfter(frame.ackedUpTo);
        else void provision(target, frame.repos.map((repo) => repo.url));
        return;
      }
      if (!current) return;
      current.received.push(frame);
      handle(current, frame);
    });
  }

  async function provision(s: FakeSession, repos: string[]): Promise<void> {
    for (const [index, url] of repos.entries()) {
      s.send({ type: "progress", step: "clone", detail: `cloning repo ${index + 1} of ${repos.length}: ${url}` });
      if (url.includes("missing")) {
        s.send({ type: "error", message: `fatal: repository '${url}' not found` });
        return;
      }
    }
    s.send({ type: "progress", step: "agent", detail: "starting agent" });
    s.send({ type: "ready", model: "offline" });
    s.send({ type: "status", state: "idle" });
  }

  function handle(s: FakeSession, frame: ToAgentFrame): void {
    if (frame.type === "ack") s.acked = Math.max(s.acked, frame.upTo);
    else if (frame.type === "stop") {
      s.stopping = true;
      if (!s.busy) stopNow(s);
    } else if (frame.type === "answer") {
      if (s.seenInputs.has(frame.seq)) return;
      s.seenInputs.add(frame.seq);
      s.send({ type: "input_consumed", upTo: frame.seq });
      s.pendingQuestion?.(frame.text);
    } else if (frame.type === "user_message") {
      if (s.seenInputs.has(frame.seq)) return;
      s.seenInputs.add(frame.seq);
      s.queue.push(frame);
      if (!s.busy) void drain(s);
    }
  }

  async function drain(s: FakeSession): Promise<void> {
    s.busy = true;
    while (s.queue.length > 0 && !s.stopping) {
      const next = s.queue.shift();
      if (next?.type === "user_message") await turn(s, next.seq, next.text);
    }
    s.busy = false;
    s.send({ type: "status", state: "idle" });
    if (s.stopping) stopNow(s);
  }

  async function turn(s: FakeSession, seq: number, text: string): Promise<void> {
    const id = `msg-${s.seq + 1}`;
    s.send({ type: "status", state: "working" });
    s.send({ type: "input_consumed", upTo: seq });
    s.send({ type: "message_start", id });
    const [command, ...rest] = text.split(" ");
    const argument = rest.join(" ");
    if (command === "/hold") {
      await new Promise<void>((resolve) => (s.release = resolve));
      s.send({ type: "text_delta", id, text: "released" });
    } else if (command === "/ask") {
      s.send({ type: "question", id: `q-${seq}`, messageId: id, text: argument });
      s.send({ type: "status", state: "waiting_input" });
      const answer = await new Promise<string>((resolve) => (s.pendingQuestion = resolve));
      s.pendingQuestion = null;
      s.send({ type: "status", state: "working" });
      s.send({ type: "text_delta", id, text: `thanks: ${answer}` });
    } else if (command === "/tool") {
      s.send({ type: "tool_use", id: `tool-${seq}`, messageId: id, name: "bash", input: { command: "ls" } });
      s.send({ type: "tool_result", id: `tool-${seq}`, output: "README.md\n", isError: false });
    } else if (command === "/env") {
      const output = Object.entries(s.secrets).map(([key, value]) => `${key}=${value}`).join("\n");
      s.send({ type: "tool_use", id: `tool-${seq}`, messageId: id, name: "bash", input: { command: "env" } });
      s.send({ type: "tool_result", id: `tool-${seq}`, output: `PATH=/usr/bin\n${output}\n`, isError: false });
    } else if (command === "/long-output") {
      for (let i = 0; i < Number(argument); i++) {
        s.send({ type: "tool_use", id: `tool-${seq}-${i}`, messageId: id, name: "bash", input: { command: `cat part-${i}.log` } });
        s.send({ type: "tool_result", id: `tool-${seq}-${i}`, output: `${i}:`.padEnd(30_000, "abcdefghij"), isError: false });
      }
    } else if (command === "/transcript") {
      for (let i = 0; i < Number(argument); i++) transcriptMessage(s, `${id}-${i}`, i);
    } else if (command === "/artifact") {
      s.send({ type: "artifact", name: argument, size: 42 });
    } else if (command === "/turn-error") {
      s.send({ type: "turn_error", message: argument });
    } else if (command === "/fail") {
      s.send({ type: "error", message: argument });
    } else if (command === "/complete") {
      s.send({ type: "completed" });
    } else {
      for (const word of `echo: ${text}`.split(/(?<= )/)) s.send({ type: "text_delta", id, text: word });
    }
    s.send({ type: "turn_end", usage: { inputTokens: 10, outputTokens: 5 } });
  }

  /** One assistant message as a model writes one: thinking, text in a few deltas, sometimes a tool call. */
  function transcriptMessage(s: FakeSession, id: string, i: number): void {
    s.send({ type: "message_start", id });
    s.send({ type: "thinking_delta", id, text: `Step ${i}: the failing test points at the parser; check how it handles an empty line before changing anything.` });
    for (const part of ["I looked at `src/parser.ts` ", `and the case on line ${i % 400}: `, "an empty line ends the block early, ", "so the fix is to skip blank lines before the header."]) {
      s.send({ type: "text_delta", id, text: part });
    }
    if (i % 3 === 0) {
      s.send({ type: "tool_use", id: `${id}-tool`, messageId: id, name: "bash", input: { command: `npm test -- parser --grep case-${i}` } });
      s.send({ type: "tool_result", id: `${id}-tool`, output: `> parser@1.0.0 test\n  ✓ parses headers (3 ms)\n  ✓ case-${i} skips blank lines (1 ms)\n\n  2 passing (12 ms)\n`, isError: false });
    }
  }

  function stopNow(s: FakeSession): void {
    s.send({ type: "stopped" });
    s.socket?.close(1000, "stopped");
  }

  function control(req: IncomingMessage, res: ServerResponse): void {
    const artifact = /^\/sessions\/([^/]+)\/artifacts\/(.+)$/.exec(req.url ?? "");
    if (artifact) {
      // Every artifact of the fake is 42 bytes naming itself.
      const name = decodeURIComponent(artifact[2]);
      res.writeHead(200, { "content-type": "text/markdown" });
      res.end(`# ${name}\n`.padEnd(42, "."));
      return;
    }
    const match = /^\/control\/([^/]+)(?:\/(release|drop|kill))?$/.exec(req.url ?? "");
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
    res.writeHead(200, { "content-type": "application/json" });
    res.end(JSON.stringify({ received: s.received, sent: s.sent, acked: s.acked, connected: s.socket !== null }));
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
