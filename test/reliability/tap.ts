/**
 * A pass-through between the Worker and the agent host that keeps a copy of the DO ↔ agent conversation:
 * every numbered frame the agent sent (with the incarnation that sent it) and every ack the room gave.
 * HTTP (artifacts, workspace archives) is piped as is. It lives in the test process, so it outlasts
 * restarts of both sides.
 */
import { createServer, request, type IncomingMessage, type Server } from "node:http";
import WebSocket, { WebSocketServer } from "ws";
import { AgentMessageSchema, type FromAgentFrame, ToAgentFrameSchema } from "@tandem/protocol/agent";
import { AGENT_PROOF_HEADER, LINK_NONCE_HEADER } from "@tandem/protocol/agent-auth";

export interface TappedFrame {
  incarnation: string;
  frame: FromAgentFrame;
}

export class FrameTap {
  readonly #server: Server;
  readonly #wss = new WebSocketServer({ noServer: true });
  readonly port: number;
  /** Per session: what each incarnation sent, by seq (a replayed frame is the same frame). */
  readonly #sent = new Map<string, Map<string, Map<number, FromAgentFrame>>>();
  /** Per session and incarnation: the highest seq the room acknowledged. */
  readonly #acked = new Map<string, Map<string, number>>();

  private constructor(server: Server, port: number) {
    this.#server = server;
    this.port = port;
  }

  static async start(agentPort: number): Promise<FrameTap> {
    const server = createServer((req, res) => {
      const upstream = request({ host: "127.0.0.1", port: agentPort, path: req.url, method: req.method, headers: req.headers }, (up) => {
        res.writeHead(up.statusCode ?? 502, up.headers);
        up.pipe(res);
      });
      upstream.on("error", () => {
        if (!res.headersSent) res.writeHead(502).end();
        else res.destroy();
      });
      req.pipe(upstream);
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const address = server.address();
    const tap = new FrameTap(server, typeof address === "object" && address ? address.port : 0);
    /** The agent's proof on its 101, relayed on the tap's own: the room believes no agent without it. */
    const proofs = new WeakMap<IncomingMessage, string>();
    tap.#wss.on("headers", (headers, req) => {
      const proof = proofs.get(req);
      if (proof) headers.push(`${AGENT_PROOF_HEADER}: ${proof}`);
    });
    server.on("upgrade", (req, socket, head) => {
      // The agent's socket first, as the real host would answer: no agent, no upgrade. The room's token
      // and nonce go through to it.
      const forwarded: Record<string, string> = {};
      for (const name of ["authorization", LINK_NONCE_HEADER]) {
        const value = req.headers[name];
        if (typeof value === "string") forwarded[name] = value;
      }
      const agent = new WebSocket(`ws://127.0.0.1:${agentPort}${req.url ?? "/"}`, { headers: forwarded });
      agent.once("upgrade", (res) => {
        const proof = res.headers[AGENT_PROOF_HEADER];
        if (typeof proof === "string") proofs.set(req, proof);
      });
      agent.once("open", () => tap.#wss.handleUpgrade(req, socket, head, (room) => tap.#pipe(room, agent, req.url ?? "/")));
      agent.once("error", () => socket.end("HTTP/1.1 502 Bad Gateway\r\n\r\n"));
    });
    return tap;
  }

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  #pipe(room: WebSocket, agent: WebSocket, url: string): void {
    const sessionId = decodeURIComponent(/^\/sessions\/([^/]+)\/socket/.exec(url)?.[1] ?? "");
    let incarnation: string | null = null;
    room.on("message", (data) => {
      const text = String(data);
      const frame = ToAgentFrameSchema.safeParse(safeJSON(text));
      if (frame.success && frame.data.type === "ack" && incarnation) this.#ack(sessionId, incarnation, frame.data.upTo);
      if (agent.readyState === WebSocket.OPEN) agent.send(text);
    });
    agent.on("message", (data) => {
      const text = String(data);
      const parsed = AgentMessageSchema.safeParse(safeJSON(text));
      if (parsed.success && parsed.data.type === "hello") incarnation = parsed.data.incarnation;
      else if (parsed.success && parsed.data.type !== "hello" && incarnation) this.#record(sessionId, incarnation, parsed.data);
      room.send(text);
    });
    // A close code passes through (the host tells a finished session's normal close from a drop).
    const forward = (to: WebSocket) => (code: number, reason: Buffer) => {
      if (code === 1000 || (code >= 3000 && code < 5000)) to.close(code, reason);
      else to.terminate();
    };
    room.on("close", forward(agent));
    agent.on("close", forward(room));
    room.on("error", () => agent.terminate());
    agent.on("error", () => room.terminate());
  }

  #record(sessionId: string, incarnation: string, frame: FromAgentFrame): void {
    const bySession = this.#sent.get(sessionId) ?? this.#sent.set(sessionId, new Map()).get(sessionId)!;
    const frames = bySession.get(incarnation) ?? bySession.set(incarnation, new Map()).get(incarnation)!;
    frames.set(frame.seq, frame);
  }

  #ack(sessionId: string, incarnation: string, upTo: number): void {
    const bySession = this.#acked.get(sessionId) ?? this.#acked.set(sessionId, new Map()).get(sessionId)!;
    bySession.set(incarnation, Math.max(bySession.get(incarnation) ?? 0, upTo));
  }

  /** Every frame each incarnation of the session sent, in seq order. */
  sent(sessionId: string): TappedFrame[] {
    const out: TappedFrame[] = [];
    for (const [incarnation, frames] of this.#sent.get(sessionId) ?? []) {
      for (const seq of [...frames.keys()].sort((a, b) => a - b)) out.push({ incarnation, frame: frames.get(seq)! });
    }
    return out;
  }

  acked(sessionId: string, incarnation: string): number {
    return this.#acked.get(sessionId)?.get(incarnation) ?? 0;
  }

  incarnations(sessionId: string): string[] {
    return [...(this.#sent.get(sessionId)?.keys() ?? [])];
  }

  close(): void {
    for (const client of this.#wss.clients) client.terminate();
    this.#server.close();
  }
}

function safeJSON(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return null;
  }
}
