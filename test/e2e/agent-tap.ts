/**
 * A pass-through between the Worker and the agent host that notes when each `text_delta` frame leaves
 * the agent: the start of the token-to-paint measurement. HTTP is piped as is.
 */
import { type IncomingMessage, createServer, request } from "node:http";
import { performance } from "node:perf_hooks";
import { WebSocket, WebSocketServer } from "ws";
import { AGENT_PROOF_HEADER, LINK_NONCE_HEADER } from "@tandem/protocol/agent-auth";
import { freePort } from "./stack.ts";

export interface Delta {
  /** ms since the epoch, with sub-millisecond precision (the browser's clock is read the same way). */
  at: number;
  text: string;
}

export const now = () => performance.timeOrigin + performance.now();

export async function startAgentTap(agentPort: number): Promise<{ port: number; deltas: Delta[]; close(): void }> {
  const deltas: Delta[] = [];
  const wss = new WebSocketServer({ noServer: true });
  const server = createServer((req, res) => {
    const upstream = request({ host: "127.0.0.1", port: agentPort, path: req.url, method: req.method, headers: req.headers }, (up) => {
      res.writeHead(up.statusCode ?? 502, up.headers);
      up.pipe(res);
    });
    upstream.on("error", () => res.writeHead(502).end());
    req.pipe(upstream);
  });
  /** The agent's proof on its 101, relayed on the tap's own: the Worker believes no agent without it. */
  const proofs = new WeakMap<IncomingMessage, string>();
  wss.on("headers", (headers, req) => {
    const proof = proofs.get(req);
    if (proof) headers.push(`${AGENT_PROOF_HEADER}: ${proof}`);
  });
  server.on("upgrade", (req, socket, head) => {
    // The room's token and nonce go through to the agent host; its upgrade completes before the Worker's.
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
    agent.once("unexpected-response", (_request, res) => {
      socket.end(`HTTP/1.1 ${res.statusCode ?? 502} Refused\r\n\r\n`);
      res.resume();
    });
    agent.once("open", () => {
      wss.handleUpgrade(req, socket, head, (client) => {
        client.on("message", (data: Buffer, isBinary) => agent.send(data, { binary: isBinary }));
        agent.on("message", (data: Buffer, isBinary) => {
          const at = now();
          if (!isBinary) {
            try {
              const frame = JSON.parse(data.toString()) as { type?: string; text?: string };
              if (frame.type === "text_delta" && typeof frame.text === "string") deltas.push({ at, text: frame.text });
            } catch {
              // not a JSON frame: pass it on untouched
            }
          }
          client.send(data, { binary: isBinary });
        });
        const closeBoth = () => {
          client.close();
          agent.close();
        };
        client.on("close", closeBoth);
        agent.on("close", closeBoth);
        client.on("error", closeBoth);
        agent.on("error", closeBoth);
      });
    });
    agent.once("error", () => socket.destroy());
  });
  const port = await freePort();
  await new Promise<void>((resolve) => server.listen(port, "127.0.0.1", resolve));
  return {
    port,
    deltas,
    close() {
      for (const c of wss.clients) c.terminate();
      server.close();
    },
  };
}
