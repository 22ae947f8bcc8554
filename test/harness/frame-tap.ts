/**
 * A pass-through between the Worker and the agent host that shows a test every frame of the DO ↔ agent
 * link as it passes (the reliability suite records what was sent and acknowledged; the latency bench notes
 * when each token left the agent). HTTP (artifacts, workspace archives) is piped as is. It lives in the
 * test's process, so it outlasts restarts of both sides.
 */
import { createServer, request, type IncomingMessage, type Server } from "node:http";
import { performance } from "node:perf_hooks";
import WebSocket, { WebSocketServer } from "ws";
import { AGENT_PROOF_HEADER, LINK_NONCE_HEADER } from "@tandem/protocol/agent-auth";

/** ms since the epoch with sub-millisecond precision: one clock for every process on the machine (and the browser's). */
export const now = () => performance.timeOrigin + performance.now();

/** One DO ↔ agent socket (a reconnect is another): `url` is its path, …/sessions/<id>/socket. */
export interface Link {
  readonly url: string;
}

export interface FrameObserver {
  /** A text frame the agent sent on `link`, seen at `at`. */
  fromAgent?(link: Link, text: string, at: number): void;
  /** A text frame the room sent on `link`. */
  fromRoom?(link: Link, text: string): void;
}

export class FrameTap {
  readonly #server: Server;
  readonly #wss: WebSocketServer;
  readonly port: number;

  private constructor(server: Server, wss: WebSocketServer, port: number) {
    this.#server = server;
    this.#wss = wss;
    this.port = port;
  }

  static async start(agentPort: number, observer: FrameObserver): Promise<FrameTap> {
    const wss = new WebSocketServer({ noServer: true });
    const server = createServer((req, res) => {
      const upstream = request(
        { host: "127.0.0.1", port: agentPort, path: req.url, method: req.method, headers: req.headers },
        (up) => {
          res.writeHead(up.statusCode ?? 502, up.headers);
          up.pipe(res);
        },
      );
      upstream.on("error", () => {
        if (!res.headersSent) res.writeHead(502).end();
        else res.destroy();
      });
      req.pipe(upstream);
    });
    /** The agent's proof on its 101, relayed on the tap's own: the room believes no agent without it. */
    const proofs = new WeakMap<IncomingMessage, string>();
    wss.on("headers", (headers, req) => {
      const proof = proofs.get(req);
      if (proof) headers.push(`${AGENT_PROOF_HEADER}: ${proof}`);
    });
    server.on("upgrade", (req, socket, head) => {
      // The agent's socket first, as the real host would answer: no agent, no upgrade. The room's token and
      // nonce go through to it.
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
      // The host's refusal (401 without a valid token) reaches the room as it was.
      agent.once("unexpected-response", (_request, res) => {
        socket.end(`HTTP/1.1 ${res.statusCode ?? 502} Refused\r\n\r\n`);
        res.resume();
      });
      agent.once("open", () =>
        wss.handleUpgrade(req, socket, head, (room) => pipe(room, agent, req.url ?? "/", observer)),
      );
      agent.once("error", () => socket.end("HTTP/1.1 502 Bad Gateway\r\n\r\n"));
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const address = server.address();
    return new FrameTap(server, wss, typeof address === "object" && address ? address.port : 0);
  }

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  close(): void {
    for (const client of this.#wss.clients) client.terminate();
    this.#server.close();
  }
}

function pipe(room: WebSocket, agent: WebSocket, url: string, observer: FrameObserver): void {
  const link: Link = { url };
  room.on("message", (data: Buffer, isBinary) => {
    if (!isBinary) observer.fromRoom?.(link, data.toString());
    if (agent.readyState === WebSocket.OPEN) agent.send(data, { binary: isBinary });
  });
  agent.on("message", (data: Buffer, isBinary) => {
    if (!isBinary) observer.fromAgent?.(link, data.toString(), now());
    if (room.readyState === WebSocket.OPEN) room.send(data, { binary: isBinary });
  });
  // A close code passes through (the host tells a finished session's normal close from a drop); anything
  // else is a drop on the other side too.
  const forward = (to: WebSocket) => (code: number, reason: Buffer) => {
    if (code === 1000 || (code >= 3000 && code < 5000)) to.close(code, reason);
    else to.terminate();
  };
  room.on("close", forward(agent));
  agent.on("close", forward(room));
  room.on("error", () => agent.terminate());
  agent.on("error", () => room.terminate());
}
