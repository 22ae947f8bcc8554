/**
 * The Docker runner: locally, it stands where Cloudflare Containers stand in production. The session's
 * room reaches its container through it (worker/session/runner-container.ts): it keeps what the room says
 * the container starts with, starts the container on the first request that needs it, forwards requests
 * and sockets to its port 8788, and stops or destroys it when told. It listens on 127.0.0.1 only and
 * answers nobody without its key (whoever holds it starts containers).
 */
import { createHash, timingSafeEqual } from "node:crypto";
import { type IncomingMessage, type ServerResponse, createServer } from "node:http";
import path from "node:path";
import { pathToFileURL } from "node:url";
import {
  CONTAINER_MEMORY,
  MIN_RUNNER_KEY_LENGTH,
  RUNNER_ERROR_HEADER,
  RUNNER_KEY_HEADER,
  RunnerSessionPatchSchema,
} from "@tandem/protocol/runner";
import { SessionContainers, SessionDeleted } from "./containers";
import { Docker } from "./docker";
import { forwardRequest, forwardUpgrade } from "./proxy";

export interface RunnerOptions {
  key: string;
  /** The agent image to start sessions from. */
  image: string;
  port?: number;
  /** The Docker engine (DOCKER_HOST); the CLI's default when absent. */
  dockerHost?: string;
  /** Labels this runner's containers (default "local"); a restarted runner removes what its namesake left. */
  runnerName?: string;
  /** Each container's memory limit (default: the instance type's, CONTAINER_MEMORY). */
  memory?: string;
  sleepAfterSeconds?: number;
  startTimeoutMs?: number;
  log?: (line: string) => void;
}

export interface Runner {
  url: string;
  port: number;
  containers: SessionContainers;
  docker: Docker;
  close(): Promise<void>;
}

const SESSION_PATH = /^\/sessions\/([^/]+)(\/stop|\/container(\/.*)?)?$/;
const PATCH_MAX_BYTES = 64 * 1024;

function digest(value: string): Buffer {
  return createHash("sha256").update(value).digest();
}

function fail(res: ServerResponse, status: number, code: string, message: string): void {
  if (res.headersSent) return void res.destroy();
  res
    .writeHead(status, { "content-type": "application/json", [RUNNER_ERROR_HEADER]: code })
    .end(JSON.stringify({ error: { code, message } }));
}

async function readJSON(req: IncomingMessage): Promise<unknown> {
  const parts: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > PATCH_MAX_BYTES) throw new Error(`a body is at most ${PATCH_MAX_BYTES} bytes`);
    parts.push(chunk);
  }
  return JSON.parse(Buffer.concat(parts).toString("utf8"));
}

interface Target {
  sessionId: string;
  action: "session" | "stop" | "container";
  /** The path (and query) the container gets. */
  forwardPath: string;
}

function target(req: IncomingMessage): Target | null {
  const url = new URL(req.url ?? "/", "http://runner");
  const match = SESSION_PATH.exec(url.pathname);
  if (!match) return null;
  let sessionId: string;
  try {
    sessionId = decodeURIComponent(match[1]);
  } catch {
    return null;
  }
  const action = match[2] === "/stop" ? "stop" : match[2] ? "container" : "session";
  return { sessionId, action, forwardPath: `${match[3] ?? "/"}${url.search}` };
}

export async function startRunner(options: RunnerOptions): Promise<Runner> {
  if (options.key.length < MIN_RUNNER_KEY_LENGTH)
    throw new Error(`the runner's key must have at least ${MIN_RUNNER_KEY_LENGTH} characters`);
  const keyDigest = digest(options.key);
  const log = options.log ?? ((line: string) => console.log(`[runner] ${line}`));
  const docker = new Docker({ host: options.dockerHost });
  const runnerName = options.runnerName ?? "local";
  const live = new SessionContainers({
    docker,
    image: options.image,
    runnerName,
    memory: options.memory ?? CONTAINER_MEMORY,
    sleepAfterSeconds: options.sleepAfterSeconds,
    startTimeoutMs: options.startTimeoutMs,
    log,
  });
  // What a runner of the same name left behind (it died) belongs to nobody now.
  await live.removeAll().catch(() => undefined);

  /** null when the caller may go on; otherwise the refusal's status and message. */
  function refusal(req: IncomingMessage): [number, string, string] | null {
    if (req.headers.origin !== undefined) return [403, "forbidden", "browsers never reach the runner"];
    const presented = req.headers[RUNNER_KEY_HEADER];
    if (typeof presented !== "string" || !timingSafeEqual(digest(presented), keyDigest))
      return [401, "unauthenticated", "the runner's key is missing or wrong"];
    return null;
  }

  async function toContainer(
    req: IncomingMessage,
    res: ServerResponse,
    { sessionId, forwardPath }: Target,
  ): Promise<void> {
    let lease: Awaited<ReturnType<SessionContainers["acquire"]>>;
    try {
      lease = await live.acquire(sessionId, `${req.method} ${forwardPath}`);
    } catch (error) {
      if (error instanceof SessionDeleted) return fail(res, 410, "session_deleted", error.message);
      return fail(res, 503, "container_unavailable", error instanceof Error ? error.message : String(error));
    }
    try {
      await forwardRequest(req, res, lease.port, forwardPath);
    } catch (error) {
      await live.lost(sessionId);
      fail(
        res,
        502,
        "container_unreachable",
        `the session's container did not answer: ${error instanceof Error ? error.message : String(error)}`,
      );
    } finally {
      lease.release();
    }
  }

  async function onRequest(req: IncomingMessage, res: ServerResponse): Promise<void> {
    if (req.method === "GET" && req.url === "/health" && req.headers.origin === undefined) {
      res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify({ ok: true }));
      return;
    }
    const refused = refusal(req);
    if (refused) return fail(res, ...refused);
    const found = target(req);
    if (!found) return fail(res, 404, "not_found", "not found");
    const { sessionId, action } = found;
    if (action === "container") return toContainer(req, res, found);
    if (action === "stop" && req.method === "POST") {
      await live.stop(sessionId);
      return void res.writeHead(204).end();
    }
    if (action !== "session") return fail(res, 405, "method_not_allowed", "stop is POST");
    if (req.method === "GET")
      return void res
        .writeHead(200, { "content-type": "application/json" })
        .end(JSON.stringify(live.describe(sessionId)));
    if (req.method === "DELETE") {
      await live.destroy(sessionId);
      return void res.writeHead(204).end();
    }
    if (req.method !== "PATCH")
      return fail(
        res,
        405,
        "method_not_allowed",
        "a session is read (GET), changed (PATCH) or deleted (DELETE)",
      );
    let body: unknown;
    try {
      body = await readJSON(req);
    } catch (error) {
      return fail(res, 400, "invalid_json", error instanceof Error ? error.message : "the body is not JSON");
    }
    const patch = RunnerSessionPatchSchema.safeParse(body);
    if (!patch.success)
      return fail(
        res,
        400,
        "invalid_request",
        patch.error.issues.map((issue) => `${issue.path.join(".")}: ${issue.message}`).join("; "),
      );
    live.configure(sessionId, patch.data);
    res.writeHead(204).end();
  }

  const server = createServer((req, res) => {
    onRequest(req, res).catch((error: unknown) =>
      fail(res, 500, "internal", `the runner failed: ${String(error)}`),
    );
  });
  server.on("upgrade", (req, socket, head) => {
    const refused = refusal(req);
    const found = target(req);
    if (refused || !found || found.action !== "container") {
      const [status, code, message] = refused ?? [404, "not_found", "not found"];
      socket.end(
        `HTTP/1.1 ${status} ${code}\r\ncontent-type: application/json\r\n${RUNNER_ERROR_HEADER}: ${code}\r\nconnection: close\r\n\r\n${JSON.stringify({ error: { code, message } })}`,
      );
      return;
    }
    void (async () => {
      let lease: Awaited<ReturnType<SessionContainers["acquire"]>>;
      try {
        lease = await live.acquire(found.sessionId, `upgrade ${found.forwardPath}`);
      } catch (error) {
        const [status, code] =
          error instanceof SessionDeleted
            ? ["410 Gone", "session_deleted"]
            : ["503 Service Unavailable", "container_unavailable"];
        const message = JSON.stringify({
          error: { code, message: error instanceof Error ? error.message : String(error) },
        });
        socket.end(
          `HTTP/1.1 ${status}\r\ncontent-type: application/json\r\n${RUNNER_ERROR_HEADER}: ${code}\r\nconnection: close\r\n\r\n${message}`,
        );
        return;
      }
      try {
        await forwardUpgrade(req, socket, head, lease.port, found.forwardPath);
      } catch (error) {
        await live.lost(found.sessionId);
        const message = JSON.stringify({
          error: {
            code: "container_unreachable",
            message: `the session's container did not answer: ${String(error)}`,
          },
        });
        socket.end(
          `HTTP/1.1 502 Bad Gateway\r\ncontent-type: application/json\r\n${RUNNER_ERROR_HEADER}: container_unreachable\r\nconnection: close\r\n\r\n${message}`,
        );
      } finally {
        lease.release();
      }
    })();
  });

  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port ?? 0, "127.0.0.1", () => resolve());
  });
  const address = server.address();
  const port = typeof address === "object" && address ? address.port : 0;
  const url = `http://127.0.0.1:${port}`;
  log(`listening on ${url}, sessions start from ${options.image}`);
  return {
    url,
    port,
    containers: live,
    docker,
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      // An engine that is gone has no containers to remove.
      await live.close().catch((error: unknown) => log(`its containers were not removed: ${String(error)}`));
    },
  };
}

const isMain =
  process.argv[1] !== undefined && import.meta.url === pathToFileURL(path.resolve(process.argv[1])).href;
if (isMain) {
  const { RUNNER_KEY: key, RUNNER_IMAGE: image } = process.env;
  if (!key || !image) {
    console.error("[runner] RUNNER_KEY (at least 32 characters) and RUNNER_IMAGE are required");
    process.exit(1);
  }
  const runner = await startRunner({
    key,
    image,
    port: Number(process.env.PORT ?? 0),
    dockerHost: process.env.DOCKER_HOST || undefined,
    runnerName: process.env.RUNNER_NAME || undefined,
    memory: process.env.RUNNER_MEMORY || undefined,
  });
  const shutdown = () => void runner.close().then(() => process.exit(0));
  process.on("SIGINT", shutdown);
  process.on("SIGTERM", shutdown);
}
