/**
 * The agent host: HTTP + WebSocket server speaking the DO ↔ agent protocol. Locally one host serves many
 * sessions, each in its own directory; in production the same server runs in one container per session.
 */
import { createReadStream } from "node:fs";
import { chmod, stat } from "node:fs/promises";
import { type IncomingMessage, type ServerResponse, createServer } from "node:http";
import os from "node:os";
import path from "node:path";
import { pathToFileURL } from "node:url";
import { type RawData, type WebSocket, WebSocketServer } from "ws";
import {
  INCARNATION_HEADER,
  ToAgentFrameSchema,
  WORKSPACE_ARCHIVE_MAX_BYTES,
  parseFrame,
} from "@tandem/protocol/agent";
import { AGENT_KEY_ENV, AGENT_PROOF_HEADER } from "@tandem/protocol/agent-auth";
import { type LinkCheck, checkAgentRequest, refusalBody, requireAgentKey } from "./link-auth";
import { byteLimit } from "./archive";
import { privateDirectory } from "./directories";
import { GIT_PATH, serveGitRequest } from "./git-routes";
import { type ModelGateway, startModelGateway } from "./gateway";
import { type McpProxy, startMcpProxy } from "./mcp-proxy";
import {
  CONTAINMENTS,
  type Containment,
  type RunAs,
  probeContainment,
  probeOrphanKill,
} from "./claude/process";
import { sessionPaths } from "./claude/state";
import { RestoreRefused, Session } from "./session";
import { WORKBENCH_PATH, serveWorkbench } from "./workbench";
import { artifactFile } from "./workspace";
import { answerEnvironment, serveEnvironment } from "./environment-routes";

export interface AgentHostOptions {
  /** The key the room's tokens are made with (link-auth.ts); the host answers nobody without it. */
  key: string;
  port?: number;
  host?: string;
  /** Parent directory of the per-session workspaces. */
  workspaceRoot?: string;
  /** One fixed workspace for every session (a container runs one session): /workspace in production. */
  workspace?: string;
  /** Where workspace archives are made, outside every workspace. */
  archiveRoot?: string;
  /** Where a stopped session's saved workspace is unpacked for its changes or a push, outside every workspace. */
  workbenchRoot?: string;
  /** Parent of each session's own directories beside its workspace (Claude Code's config, home, temp). */
  stateRoot?: string;
  /** The largest workspace archive kept (and accepted for a restore). */
  archiveMaxBytes?: number;
  graceMs?: number;
  /** The host's Anthropic settings; a session's own ANTHROPIC_API_KEY secret takes precedence. */
  anthropic?: { apiKey?: string; baseURL?: string };
  /** The model gateway every session's Claude Code talks to (one route per incarnation); the host starts its own if not given. */
  gateway?: ModelGateway;
  /** The proxy every session's Claude Code reaches its workspace's MCP servers through; the host starts its own if not given. */
  mcpProxy?: McpProxy;
  /** The offline model's pause between streamed tokens, for a gateway the host starts. */
  offlineTokenDelayMs?: number;
  /** The user Claude Code runs as when the host runs as root (the container's non-root user). */
  runAs?: RunAs;
  /** How a session's processes are held together; probed when not given. */
  containment?: Containment;
  log?: (line: string) => void;
}

export interface AgentHost {
  port: number;
  url: string;
  sessions: ReadonlyMap<string, Session>;
  close(): Promise<void>;
}

const SOCKET_PATH = /^\/sessions\/([^/]+)\/socket$/;
const ARTIFACT_PATH = /^\/sessions\/([^/]+)\/artifacts\/(.+)$/;
const WORKSPACE_PATH = /^\/sessions\/([^/]+)\/workspace$/;
const ENVIRONMENT_PATH = /^\/sessions\/([^/]+)\/environment$/;

function dataText(data: RawData): string {
  if (Buffer.isBuffer(data)) return data.toString("utf8");
  if (Array.isArray(data)) return Buffer.concat(data).toString("utf8");
  return Buffer.from(data).toString("utf8");
}

function decode(segment: string): string | null {
  try {
    return decodeURIComponent(segment);
  } catch {
    return null;
  }
}

/** A directory name for a session id that cannot climb out of the workspace root. */
function sessionDirName(sessionId: string): string {
  return sessionId.replace(/[^A-Za-z0-9_-]/g, "_");
}

export async function startAgentHost(options: AgentHostOptions): Promise<AgentHost> {
  const key = requireAgentKey(options.key);
  const log = options.log ?? ((line: string) => console.log(`[agent-host] ${line}`));
  const root = await privateDirectory(options.workspaceRoot ?? path.join(os.tmpdir(), "tandem-agent"));
  const archiveRoot = await privateDirectory(
    options.archiveRoot ?? path.join(os.tmpdir(), "tandem-archives"),
  );
  const archiveMaxBytes = options.archiveMaxBytes ?? WORKSPACE_ARCHIVE_MAX_BYTES;
  const hostKey = options.anthropic?.apiKey || process.env.ANTHROPIC_API_KEY;
  const workbenchRoot = await privateDirectory(
    options.workbenchRoot ?? path.join(os.tmpdir(), "tandem-workbench"),
  );
  const workbench = { root: workbenchRoot, archiveMaxBytes, hostSecrets: hostKey ? [hostKey] : [] };
  const stateRoot = await privateDirectory(options.stateRoot ?? path.join(os.tmpdir(), "tandem-state"));
  // Claude Code, run as another user, enters its own directories below (it may not list the others).
  if (options.runAs) for (const dir of [stateRoot, root]) await chmod(dir, 0o711);
  const containment = options.containment ?? (await probeContainment());
  const orphanKill = await probeOrphanKill();
  const ownGateway = options.gateway
    ? null
    : await startModelGateway({
        offlineTokenDelayMs: options.offlineTokenDelayMs,
        log: (line) => log(`gateway: ${line}`),
      });
  const gateway = options.gateway ?? ownGateway!;
  const ownMcpProxy = options.mcpProxy ? null : await startMcpProxy();
  const mcpProxy = options.mcpProxy ?? ownMcpProxy!;
  log(`sessions' processes held by: ${containment}`);
  if (containment === "process-group")
    log(
      "no PID namespace here: a session's processes are found by process group and tag (a daemon that clears its environment can outlive a stop)",
    );
  const sessions = new Map<string, Session>();
  /** Directory removals still running, awaited before the same session id provisions again. */
  const removals = new Map<string, Promise<void>>();

  async function serveArtifact(res: ServerResponse, sessionId: string, name: string): Promise<void> {
    const session = sessions.get(sessionId);
    const file = session ? await artifactFile(session.workspace, name) : null;
    if (!file) {
      res
        .writeHead(404, { "content-type": "application/json" })
        .end(JSON.stringify({ error: { code: "not_found", message: "no such artifact" } }));
      return;
    }
    const { size } = await stat(file);
    res.writeHead(200, { "content-type": "application/octet-stream", "content-length": size });
    createReadStream(file).pipe(res);
  }

  /** The live session an archive request names, if it is the incarnation the request was meant for. */
  function incarnationOf(req: IncomingMessage, res: ServerResponse, sessionId: string): Session | null {
    const session = sessions.get(sessionId);
    if (!session || session.disposed) {
      fail(res, 404, "not_found", "no such session");
      return null;
    }
    if (req.headers[INCARNATION_HEADER] !== session.incarnation) {
      fail(res, 409, "other_incarnation", "the session runs another agent incarnation");
      return null;
    }
    return session;
  }

  async function serveWorkspace(req: IncomingMessage, res: ServerResponse, sessionId: string): Promise<void> {
    const session = incarnationOf(req, res, sessionId);
    if (!session) return;
    const file = session.archive.file;
    const size = await session.archive.size();
    if (size === null) return fail(res, 404, "not_found", "no workspace archive yet");
    res.writeHead(200, { "content-type": "application/gzip", "content-length": size });
    createReadStream(file).pipe(res);
  }

  async function restoreWorkspace(
    req: IncomingMessage,
    res: ServerResponse,
    sessionId: string,
  ): Promise<void> {
    const session = incarnationOf(req, res, sessionId);
    if (!session) return;
    const declared = Number(req.headers["content-length"]);
    if (Number.isFinite(declared) && declared > archiveMaxBytes)
      return fail(res, 413, "too_large", `a workspace archive is at most ${archiveMaxBytes} bytes`);
    try {
      await session.restore(req.pipe(byteLimit(archiveMaxBytes)));
      res.writeHead(204).end();
    } catch (error) {
      if (error instanceof RestoreRefused) return fail(res, 409, "not_restoring", error.message);
      fail(res, 400, "bad_archive", error instanceof Error ? error.message : String(error));
    }
  }

  function refuse(res: ServerResponse, check: Extract<LinkCheck, { ok: false }>): void {
    res.writeHead(check.status, { "content-type": "application/json" }).end(refusalBody(check));
  }

  async function onRequest(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? "/", "http://agent-host");
    // The liveness probe (Dockerfile HEALTHCHECK, start scripts) holds no key and learns nothing.
    if (req.method === "GET" && url.pathname === "/health" && req.headers.origin === undefined) {
      res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify({ ok: true }));
      return;
    }
    const check = await checkAgentRequest(req, key);
    if (!check.ok) return refuse(res, check);
    if (check.proof) res.setHeader(AGENT_PROOF_HEADER, check.proof);
    const artifact = ARTIFACT_PATH.exec(url.pathname);
    const sessionId = artifact && decode(artifact[1]);
    const name = artifact && decode(artifact[2]);
    if (req.method === "GET" && sessionId && name) {
      serveArtifact(res, sessionId, name).catch(() => res.writeHead(500).end());
      return;
    }
    const gitRequest = GIT_PATH.exec(url.pathname);
    const gitSession = gitRequest && decode(gitRequest[1]);
    if (gitRequest && gitSession) {
      const action = gitRequest[2] as "changes" | "push";
      serveGitRequest(req, res, sessions.get(gitSession), action).catch((error: unknown) =>
        fail(
          res,
          500,
          "internal",
          `git ${action} failed: ${sessions.get(gitSession)?.redact(String(error)) ?? "session gone"}`,
        ),
      );
      return;
    }
    const bench = WORKBENCH_PATH.exec(url.pathname);
    if (bench && decode(bench[1])) {
      return void serveWorkbench(req, res, bench[2] as "changes" | "push", workbench).catch(() =>
        fail(res, 500, "internal", "git on the saved workspace failed"),
      );
    }
    const workspace = WORKSPACE_PATH.exec(url.pathname);
    const workspaceOf = workspace && decode(workspace[1]);
    if (workspaceOf && req.method === "GET") {
      serveWorkspace(req, res, workspaceOf).catch(() =>
        fail(res, 500, "internal", "the archive could not be read"),
      );
      return;
    }
    if (workspaceOf && req.method === "PUT") {
      restoreWorkspace(req, res, workspaceOf).catch(() =>
        fail(res, 500, "internal", "the archive could not be restored"),
      );
      return;
    }
    const environment = ENVIRONMENT_PATH.exec(url.pathname);
    const environmentOf = environment && decode(environment[1]);
    const session =
      environmentOf && (req.method === "GET" || req.method === "PUT")
        ? incarnationOf(req, res, environmentOf)
        : null;
    if (environmentOf && session) {
      const done =
        req.method === "GET"
          ? serveEnvironment(session, res, fail)
          : answerEnvironment(session, req, res, archiveMaxBytes, fail);
      return void done.catch(() => fail(res, 500, "internal", "the environment archive failed"));
    }
    if (environmentOf && res.headersSent) return;
    fail(res, 404, "not_found", "not found");
  }

  function onConnection(ws: WebSocket, sessionId: string): void {
    let session: Session | null = null;
    ws.on("message", (data) => {
      // Frames are never logged: a start frame carries secrets.
      const frame = parseFrame(ToAgentFrameSchema, dataText(data));
      if (!frame) return log(`session ${sessionId}: ignored an invalid frame`);
      if (frame.type !== "start") {
        // Frames from a socket that has been replaced (or sent before start) are stale.
        if (session && session.socket === ws) session.handle(frame);
        return;
      }
      if (frame.sessionId !== sessionId) return ws.close(1008, "session id does not match the socket path");
      const live = sessions.get(sessionId);
      if (live && !live.disposed && frame.incarnation === live.incarnation) {
        log(`session ${sessionId}: reconnected; replaying after ${frame.ackedUpTo}`);
        session = live;
        live.attach(ws, frame.ackedUpTo);
        // Settings changed while the link was down come with the start: the agent takes them now.
        live.settings({ permissionMode: frame.config.permissionMode, model: frame.config.model });
        return;
      }
      // A fresh run, or the incarnation the DO knew is gone: a new one starts, numbering its frames from 1.
      live?.dispose();
      const dirName = sessionDirName(sessionId);
      session = new Session(frame, {
        workspace: options.workspace ?? path.join(root, dirName),
        ownsWorkspace: !options.workspace,
        archiveFile: path.join(archiveRoot, `${dirName}.tar.gz`),
        archiveMaxBytes,
        paths: sessionPaths(path.join(stateRoot, dirName)),
        graceMs: options.graceMs ?? 60_000,
        anthropic: options.anthropic,
        gateway,
        mcpProxy,
        containment,
        orphanKill,
        runAs: options.runAs,
        log,
        previous: removals.get(sessionId) ?? Promise.resolve(),
        onDisposed: (disposed, removal) => {
          if (sessions.get(disposed.id) === disposed) sessions.delete(disposed.id);
          const settled = removal.finally(() => {
            if (removals.get(disposed.id) === settled) removals.delete(disposed.id);
          });
          removals.set(disposed.id, settled);
        },
      });
      sessions.set(sessionId, session);
      session.attach(ws, frame.ackedUpTo);
      if (!frame.restore) void session.provision();
    });
    ws.on("close", (code) => session?.socketClosed(ws, code));
    ws.on("error", () => ws.terminate());
  }

  const server = createServer((req, res) => {
    onRequest(req, res).catch(() => {
      if (!res.headersSent) res.writeHead(500).end();
    });
  });
  const wss = new WebSocketServer({ noServer: true });
  /** The proof for each accepted upgrade, added to its 101 response. */
  const proofs = new WeakMap<IncomingMessage, string>();
  wss.on("headers", (headers, req) => {
    const proof = proofs.get(req);
    if (proof) headers.push(`${AGENT_PROOF_HEADER}: ${proof}`);
  });
  server.on("upgrade", async (req, socket, head) => {
    const check = await checkAgentRequest(req, key).catch((): LinkCheck => ({
      ok: false,
      status: 401,
      code: "unauthenticated",
      message: "refused",
    }));
    if (!check.ok) {
      const reason = { 401: "Unauthorized", 403: "Forbidden", 404: "Not Found" }[check.status];
      socket.end(
        `HTTP/1.1 ${check.status} ${reason}\r\ncontent-type: application/json\r\nconnection: close\r\n\r\n${refusalBody(check)}`,
      );
      return;
    }
    if (socket.destroyed) return;
    if (check.proof) proofs.set(req, check.proof);
    const match = SOCKET_PATH.exec(new URL(req.url ?? "/", "http://agent-host").pathname);
    const sessionId = match && decode(match[1]);
    if (!sessionId) {
      socket.end("HTTP/1.1 404 Not Found\r\n\r\n");
      return;
    }
    wss.handleUpgrade(req, socket, head, (ws) => onConnection(ws, sessionId));
  });

  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port ?? 8788, options.host ?? "127.0.0.1", () => resolve());
  });
  const address = server.address();
  const port = typeof address === "object" && address ? address.port : (options.port ?? 8788);
  const url = `http://${options.host ?? "127.0.0.1"}:${port}`;
  log(`listening on ${url}`);

  return {
    port,
    url,
    sessions,
    async close() {
      for (const session of [...sessions.values()]) session.dispose();
      for (const client of wss.clients) client.terminate();
      wss.close();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      // Each session's processes killed and its files removed before the host says it is closed.
      await Promise.all(removals.values());
      await ownGateway?.close();
      await ownMcpProxy?.close();
    },
  };
}

function fail(res: ServerResponse, status: number, code: string, message: string): void {
  if (res.headersSent) return void res.destroy();
  res
    .writeHead(status, { "content-type": "application/json" })
    .end(JSON.stringify({ error: { code, message } }));
}

/** `AGENT_CONTAINMENT`: how a session's processes are held together, when the probe's choice is not wanted. */
function containmentFromEnv(value: string | undefined): Containment | undefined {
  if (!value) return undefined;
  const found = CONTAINMENTS.find((kind) => kind === value);
  if (!found)
    throw new Error(
      `AGENT_CONTAINMENT must be one of ${CONTAINMENTS.join(", ")}, not ${JSON.stringify(value)}`,
    );
  return found;
}

/** `AGENT_CLI_USER=<uid>:<gid>`: the user Claude Code runs as, for a host that runs as root. */
function runAsFromEnv(value: string | undefined): RunAs | undefined {
  if (!value) return undefined;
  const match = /^(\d+):(\d+)$/.exec(value);
  if (!match) throw new Error(`AGENT_CLI_USER must be <uid>:<gid>, not ${JSON.stringify(value)}`);
  return { uid: Number(match[1]), gid: Number(match[2]) };
}

const isMain =
  process.argv[1] !== undefined && import.meta.url === pathToFileURL(path.resolve(process.argv[1])).href;
if (isMain) {
  const key = process.env[AGENT_KEY_ENV];
  // Nothing the host spawns inherits it (childEnv starts from a clean base); dropped here all the same.
  delete process.env[AGENT_KEY_ENV];
  const host = await startAgentHost({
    key: requireAgentKey(key),
    port: Number(process.env.PORT ?? 8788),
    host: process.env.HOST ?? "127.0.0.1",
    workspaceRoot: process.env.AGENT_WORKSPACE_ROOT || undefined,
    workspace: process.env.AGENT_WORKSPACE || undefined,
    archiveRoot: process.env.AGENT_ARCHIVE_ROOT || undefined,
    workbenchRoot: process.env.AGENT_WORKBENCH_ROOT || undefined,
    stateRoot: process.env.AGENT_STATE_ROOT || undefined,
    runAs: runAsFromEnv(process.env.AGENT_CLI_USER),
    containment: containmentFromEnv(process.env.AGENT_CONTAINMENT),
    offlineTokenDelayMs: process.env.AGENT_OFFLINE_TOKEN_DELAY_MS
      ? Number(process.env.AGENT_OFFLINE_TOKEN_DELAY_MS)
      : undefined,
  });
  const shutdown = () => void host.close().then(() => process.exit(0));
  process.on("SIGINT", shutdown);
  process.on("SIGTERM", shutdown);
}
