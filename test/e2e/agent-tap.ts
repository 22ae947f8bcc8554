/**
 * A pass-through between the Worker and the agent host that notes when each `text_delta` frame leaves
 * the agent: the start of the token-to-paint measurement. HTTP is piped as is.
 */
import { createServer, request } from "node:http";
import { performance } from "node:perf_hooks";
import { WebSocket, WebSocketServer } from "ws";
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
  server.on("upgrade", (req, socket, head) => {
    wss.handleUpgrade(req, socket, head, (client) => {
      // The room's token goes through: the agent host refuses a socket without it.
      const authorization = req.headers.authorization;
      const agent = new WebSocket(`ws://127.0.0.1:${agentPort}${req.url ?? "/"}`, { headers: authorization ? { authorization } : {} });
      const early: [Buffer, boolean][] = [];
      agent.on("open", () => {
        for (const [data, isBinary] of early.splice(0)) agent.send(data, { binary: isBinary });
      });
      client.on("message", (data: Buffer, isBinary) => {
        if (agent.readyState === WebSocket.OPEN) agent.send(data, { binary: isBinary });
        else early.push([data, isBinary]);
      });
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
