/**
 * Forwards one request, or one WebSocket upgrade, to a container's published port on 127.0.0.1, as
 * Cloudflare forwards a Container's fetch: method, path, headers and body as they came (less the runner's
 * own key), the answer as it comes.
 */
import { type IncomingMessage, type ServerResponse, request as httpRequest } from "node:http";
import { connect, type Socket } from "node:net";
import type { Duplex } from "node:stream";
import { RUNNER_KEY_HEADER } from "@tandem/protocol/runner";

/** The request's headers for the container: the runner's key never reaches it. */
function forwardedHeaders(req: IncomingMessage): string[] {
  const raw: string[] = [];
  for (let i = 0; i < req.rawHeaders.length; i += 2) {
    if (req.rawHeaders[i].toLowerCase() === RUNNER_KEY_HEADER) continue;
    raw.push(req.rawHeaders[i], req.rawHeaders[i + 1]);
  }
  return raw;
}

/** Resolves when the exchange is over; rejects (nothing sent yet) when the container cannot be reached. */
export function forwardRequest(
  req: IncomingMessage,
  res: ServerResponse,
  port: number,
  path: string,
): Promise<void> {
  return new Promise((resolve, reject) => {
    const upstream = httpRequest(
      { host: "127.0.0.1", port, method: req.method, path, headers: forwardedHeaders(req) },
      (answer) => {
        res.writeHead(answer.statusCode ?? 502, answer.rawHeaders);
        answer.pipe(res);
        answer.on("end", () => resolve());
        answer.on("error", () => (res.destroy(), resolve()));
      },
    );
    upstream.on("error", (error) => (res.headersSent ? (res.destroy(), resolve()) : reject(error)));
    res.on("close", () => upstream.destroy());
    req.pipe(upstream);
  });
}

/** Joins the client's socket to the container's after replaying the upgrade request; resolves when either side closes. */
export function forwardUpgrade(
  req: IncomingMessage,
  client: Duplex,
  head: Buffer,
  port: number,
  path: string,
): Promise<void> {
  return new Promise((resolve, reject) => {
    const upstream: Socket = connect({ host: "127.0.0.1", port });
    let joined = false;
    upstream.once("connect", () => {
      joined = true;
      const headers = forwardedHeaders(req);
      let lines = `${req.method} ${path} HTTP/1.1\r\n`;
      for (let i = 0; i < headers.length; i += 2) lines += `${headers[i]}: ${headers[i + 1]}\r\n`;
      upstream.write(`${lines}\r\n`);
      if (head.length) upstream.write(head);
      upstream.pipe(client);
      client.pipe(upstream);
    });
    const end = () => {
      upstream.destroy();
      client.destroy();
      resolve();
    };
    upstream.on("error", (error) => (joined ? end() : reject(error)));
    upstream.on("close", end);
    client.on("error", end);
    client.on("close", end);
  });
}
