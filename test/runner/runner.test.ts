/**
 * The Docker runner's own guards, on Node and without Docker (every refusal happens before the engine is
 * asked; its engine here is a socket nobody listens on): who may call it, what a session's env may hold,
 * what a request that reaches no container gets, and what is forwarded to a container.
 */
import { createServer, request as httpRequest, type IncomingHttpHeaders } from "node:http";
import { once } from "node:events";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { WebSocket, WebSocketServer } from "ws";
import { forwardRequest, forwardUpgrade } from "../../containers/runner/proxy";
import { startRunner, type Runner } from "../../containers/runner/server";
import { RUNNER_ERROR_HEADER, RUNNER_KEY_HEADER } from "@tandem/protocol/runner";

const KEY = "runner-key-for-tests-0123456789abcdef";
let runner: Runner;

beforeAll(async () => {
  runner = await startRunner({
    key: KEY,
    image: "tandem-agent:test",
    dockerHost: "unix:///nonexistent/tandem-docker.sock",
    runnerName: `test-runner-${process.pid}`,
    log: () => undefined,
  });
});
afterAll(() => runner.close());

const call = (path: string, init: RequestInit = {}, key: string | null = KEY) => {
  const headers = new Headers(init.headers);
  if (key !== null) headers.set(RUNNER_KEY_HEADER, key);
  return fetch(`${runner.url}${path}`, { ...init, headers });
};
const patch = (body: unknown) =>
  call("/sessions/s1", {
    method: "PATCH",
    headers: { "content-type": "application/json" },
    body: typeof body === "string" ? body : JSON.stringify(body),
  });

describe("the Docker runner", () => {
  it("answers its health check to anyone, and nothing else without its key; never a browser", async () => {
    expect((await call("/health", {}, null)).status).toBe(200);
    for (const key of [null, "", "wrong-key-of-the-same-length-0123456789"]) {
      for (const [path, method] of [
        ["/sessions/s1", "GET"],
        ["/sessions/s1", "DELETE"],
        ["/sessions/s1/stop", "POST"],
        ["/sessions/s1/container/health", "GET"],
      ]) {
        const res = await call(path, { method }, key);
        expect(res.status, `${method} ${path} with ${JSON.stringify(key)}`).toBe(401);
        expect(((await res.json()) as { error: { code: string } }).error.code).toBe("unauthenticated");
      }
    }
    expect((await call("/sessions/s1", { headers: { origin: "http://localhost:8787" } })).status).toBe(403);
    expect((await call("/sessions/s1", {})).status).toBe(200);
  });

  it("refuses a WebSocket upgrade without its key before any container is asked for", async () => {
    const socket = new WebSocket(
      `${runner.url.replace("http", "ws")}/sessions/s1/container/sessions/s1/socket`,
    );
    socket.on("error", () => undefined);
    const [, response] = (await once(socket, "unexpected-response")) as [
      unknown,
      { statusCode: number; headers: IncomingHttpHeaders },
    ];
    expect(response.statusCode).toBe(401);
    expect(response.headers[RUNNER_ERROR_HEADER]).toBe("unauthenticated");
    socket.terminate();
  });

  it("refuses a key shorter than 32 characters", async () => {
    await expect(startRunner({ key: "short", image: "x" })).rejects.toThrow(/at least 32/);
  });

  it("takes a session's env and sleep only in their shapes", async () => {
    expect((await patch({ env: { AGENT_KEY: "k".repeat(43) }, sleepAfterSeconds: 660 })).status).toBe(204);
    for (const bad of [
      { env: { agent_key: "x" } },
      { env: { "A-B": "x" } },
      { env: { A: "x\u0000y" } },
      { env: { A: "x".repeat(5000) } },
      { sleepAfterSeconds: 0 },
      { sleepAfterSeconds: 1.5 },
      { image: "other" },
      [],
      "null",
    ]) {
      const res = await patch(bad);
      expect(res.status, JSON.stringify(bad)).toBe(400);
      expect(((await res.json()) as { error: { code: string } }).error.code).toBe("invalid_request");
    }
    expect((await patch("{not json")).status).toBe(400);
    expect((await patch(JSON.stringify({ env: { A: "x".repeat(70_000) } }))).status).toBe(400);
  });

  it("a container that cannot start: 503 with the engine's reason, marked as the runner's own answer", async () => {
    const res = await call("/sessions/s1/container/health");
    expect(res.status).toBe(503);
    expect(res.headers.get(RUNNER_ERROR_HEADER)).toBe("container_unavailable");
    expect(((await res.json()) as { error: { message: string } }).error.message).toMatch(
      /could not start: .*Cannot connect to the Docker daemon/s,
    );
    expect(await (await call("/sessions/s1")).json()).toEqual({
      running: false,
      containerId: null,
      lastStartMs: null,
    });
  });

  it("never starts a container for a session deleted here, even for a request that was on its way", async () => {
    await call("/sessions/gone", { method: "DELETE" });
    expect(
      (
        await call("/sessions/gone", {
          method: "PATCH",
          headers: { "content-type": "application/json" },
          body: JSON.stringify({ env: { AGENT_KEY: "k".repeat(43) } }),
        })
      ).status,
    ).toBe(204);
    const res = await call("/sessions/gone/container/sessions/gone/workspace");
    expect(res.status).toBe(410);
    expect(res.headers.get(RUNNER_ERROR_HEADER)).toBe("session_deleted");
  });
});

describe("forwarding to a container", () => {
  it("passes the request and the socket through as they came, less the runner's key", async () => {
    const seen: IncomingHttpHeaders[] = [];
    const container = createServer((req, res) => {
      seen.push(req.headers);
      req.pipe(res);
    });
    const sockets = new WebSocketServer({ server: container });
    sockets.on("connection", (ws, req) => {
      seen.push(req.headers);
      ws.on("message", (data) => ws.send(`echo ${String(data)}`));
    });
    container.listen(0, "127.0.0.1");
    await once(container, "listening");
    const port = (container.address() as { port: number }).port;
    const front = createServer((req, res) => void forwardRequest(req, res, port, "/echo?x=1"));
    front.on("upgrade", (req, socket, head) => void forwardUpgrade(req, socket, head, port, "/socket"));
    front.listen(0, "127.0.0.1");
    await once(front, "listening");
    const frontPort = (front.address() as { port: number }).port;
    try {
      const answer = await new Promise<string>((resolve, reject) => {
        const req = httpRequest(
          {
            port: frontPort,
            method: "POST",
            path: "/anything",
            headers: { [RUNNER_KEY_HEADER]: KEY, authorization: "Bearer link-token" },
          },
          (res) => {
            let text = "";
            res.on("data", (chunk: Buffer) => (text += chunk));
            res.on("end", () => resolve(text));
          },
        );
        req.on("error", reject);
        req.end("a body");
      });
      expect(answer).toBe("a body");
      const ws = new WebSocket(`ws://127.0.0.1:${frontPort}/ignored`, {
        headers: { [RUNNER_KEY_HEADER]: KEY, authorization: "Bearer link-token" },
      });
      await once(ws, "open");
      ws.send("hello");
      const [reply] = (await once(ws, "message")) as [Buffer];
      expect(String(reply)).toBe("echo hello");
      ws.close();
      expect(seen).toHaveLength(2);
      for (const headers of seen) {
        expect(headers[RUNNER_KEY_HEADER]).toBeUndefined();
        expect(headers.authorization).toBe("Bearer link-token");
      }
    } finally {
      sockets.close();
      front.closeAllConnections();
      container.closeAllConnections();
      front.close();
      container.close();
    }
  });
});
