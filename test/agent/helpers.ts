/** Shared test helpers: temp workspaces, a loop harness, and a DO stand-in speaking the protocol over ws. */
import { execFileSync } from "node:child_process";
import { writeFileSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import WebSocket from "ws";
import {
  type AgentHello,
  AgentHelloSchema,
  type FromAgentFrame,
  FromAgentFrameSchema,
  type StartFrame,
  type ToAgentFrame,
} from "@tandem/protocol/agent";
import { type AgentHost, type AgentHostOptions, startAgentHost } from "../../containers/agent/server";
import type { SessionConfig } from "@tandem/protocol/session-config";
import { agentLinkToken } from "@tandem/protocol/agent-auth";
import { liveModelThinking } from "../fakes/catalog";

/** The agent host's key in these tests; DoClient signs its socket with it, as the room does. */
/**
 * How long a stop may take in these tests: far below the 20 s commands and long replies they stop (the
 * work was cancelled, not waited out), but not the product's 2 s. These files run under `nice` beside the
 * rest of the suite, where a stop that takes 0.3 s quiet once took 2.7 s; the 2 s promise is timed by
 * test/reliability/stop.test.ts, at normal priority, many times over.
 */
export const STOPPED_WITHIN_MS = 6_000;

export const HOST_KEY = "test-agent-host-key-0123456789abcdef";

/** The headers the room sends on every request to the agent. */
export async function linkHeaders(sessionId: string, key = HOST_KEY): Promise<Record<string, string>> {
  return { authorization: `Bearer ${await agentLinkToken(key, sessionId)}` };
}

/** A session's settings: a live model that thinks with a budget (the agent's oldest request shape). */
export const CONFIG: SessionConfig = {
  model: liveModelThinking("budget").id,
  temperature: 0.7,
  maxTokens: 4000,
  timeoutSeconds: 300,
  thinking: false,
  effort: null,
  interactive: true,
  permissionMode: "auto",
};

const cleanups: string[] = [];
export async function tempDir(prefix = "tandem-test-"): Promise<string> {
  const dir = await mkdtemp(path.join(os.tmpdir(), prefix));
  cleanups.push(dir);
  return dir;
}
/**
 * An agent host on a free port with temporary state, archives and (unless `workspace` names the
 * container's one) a workspace root, quiet, with whatever else the test sets.
 */
export async function testHost(options: Partial<AgentHostOptions> = {}): Promise<AgentHost> {
  return startAgentHost({
    key: HOST_KEY,
    port: 0,
    stateRoot: await tempDir("tandem-state-"),
    ...(options.workspace ? {} : { workspaceRoot: await tempDir("tandem-host-") }),
    archiveRoot: await tempDir("tandem-arch-"),
    log: () => {},
    ...options,
  });
}

export async function removeTempDirs(): Promise<void> {
  await Promise.all(cleanups.splice(0).map((dir) => rm(dir, { recursive: true, force: true })));
}

export function startFrame(sessionId: string, overrides: Partial<StartFrame> = {}): StartFrame {
  return {
    type: "start",
    sessionId,
    config: CONFIG,
    workflow: null,
    repos: [],
    secrets: {},
    mcpServers: [],
    history: [],
    ackedUpTo: 0,
    incarnation: null,
    restore: false,
    ...overrides,
  };
}

/**
 * Waits until `check` returns a value (not undefined), polling. Generous by default, as the worker tests'
 * `eventually`: a passing wait returns at once; timing promises are asserted as such (STOPPED_WITHIN_MS).
 */
export async function until<T>(check: () => T | undefined, what: string, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = check();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

/** Plays the DO: opens the session socket, validates every frame with the protocol schema, optionally acks. */
export class DoClient {
  readonly frames: FromAgentFrame[] = [];
  /** The hello of each attach (outside the numbered frames). */
  readonly hellos: AgentHello[] = [];
  readonly raw: string[] = [];
  readonly invalid: string[] = [];
  closed: { code: number } | null = null;
  #ws: WebSocket;

  private constructor(ws: WebSocket) {
    this.#ws = ws;
    ws.on("message", (data) => {
      const text = String(data);
      this.raw.push(text);
      const json: unknown = JSON.parse(text);
      const hello = AgentHelloSchema.safeParse(json);
      if (hello.success) return void this.hellos.push(hello.data);
      const parsed = FromAgentFrameSchema.safeParse(json);
      if (parsed.success) this.frames.push(parsed.data);
      else this.invalid.push(text);
    });
    ws.on("close", (code) => {
      this.closed = { code };
    });
  }

  static async connect(
    hostURL: string,
    sessionId: string,
    headers?: Record<string, string>,
  ): Promise<DoClient> {
    const ws = new WebSocket(
      `${hostURL.replace(/^http/, "ws")}/sessions/${encodeURIComponent(sessionId)}/socket`,
      {
        headers: headers ?? (await linkHeaders(sessionId)),
      },
    );
    await new Promise<void>((resolve, reject) => {
      ws.once("open", () => resolve());
      ws.once("error", reject);
    });
    return new DoClient(ws);
  }

  send(frame: ToAgentFrame): void {
    this.#ws.send(JSON.stringify(frame));
  }

  ack(): void {
    const last = this.frames.at(-1);
    if (last) this.send({ type: "ack", upTo: last.seq });
  }

  of<T extends FromAgentFrame["type"]>(type: T): Extract<FromAgentFrame, { type: T }>[] {
    return this.frames.filter((f): f is Extract<FromAgentFrame, { type: T }> => f.type === type);
  }

  /** Waits for the n-th (1-based) frame matching `predicate`, counting from the start. */
  waitFor(
    predicate: (f: FromAgentFrame) => boolean,
    what: string,
    nth = 1,
    timeoutMs?: number,
  ): Promise<FromAgentFrame> {
    return until(() => this.frames.filter(predicate)[nth - 1], what, timeoutMs);
  }

  waitForStatus(
    state: "idle" | "working" | "waiting_input",
    nth = 1,
    timeoutMs?: number,
  ): Promise<FromAgentFrame> {
    return this.waitFor(
      (f) => f.type === "status" && f.state === state,
      `status ${state} #${nth}`,
      nth,
      timeoutMs,
    );
  }

  /** All text streamed for one assistant message. */
  textOf(messageId: string): string {
    return this.of("text_delta")
      .filter((f) => f.id === messageId)
      .map((f) => f.text)
      .join("");
  }

  close(): Promise<void> {
    if (this.closed) return Promise.resolve();
    return new Promise((resolve) => {
      this.#ws.once("close", () => resolve());
      this.#ws.close();
    });
  }
}

/**
 * A bare repository with one commit on `main` and one on `dev`, reachable as a file:// URL; `files` are
 * written (and `setup` run) in the working copy before the first commit.
 */
export async function makeBareRepo(
  name = "demo",
  files: Record<string, string | Buffer> = {},
  setup?: (work: string) => void,
): Promise<{ url: string; bare: string }> {
  const dir = await tempDir("tandem-repo-");
  const bare = path.join(dir, `${name}.git`);
  const work = path.join(dir, "work");
  const git = (cwd: string, ...args: string[]) =>
    execFileSync(
      "git",
      ["-c", "user.name=Test", "-c", "user.email=test@example.com", "-c", "init.defaultBranch=main", ...args],
      { cwd, stdio: "pipe" },
    );
  git(dir, "init", "--bare", bare);
  git(dir, "init", work);
  execFileSync(
    "sh",
    ["-c", "echo '# demo' > README.md && mkdir src && echo 'export const x = 1;' > src/x.ts"],
    { cwd: work },
  );
  for (const [file, content] of Object.entries(files)) writeFileSync(path.join(work, file), content);
  setup?.(work);
  git(work, "add", ".");
  git(work, "commit", "-m", "first");
  git(work, "push", bare, "HEAD:refs/heads/main");
  execFileSync("sh", ["-c", "echo 'dev only' > DEV.md"], { cwd: work });
  git(work, "add", ".");
  git(work, "commit", "-m", "dev");
  git(work, "push", bare, "HEAD:refs/heads/dev");
  return { url: `file://${bare}`, bare };
}
