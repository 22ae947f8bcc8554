/**
 * The real runtime for the reliability suite, on free ports, with parts that can be stopped and started
 * again: `wrangler dev` (the Worker and its Durable Objects, state persisted in a temp folder) and the
 * local agent host (a Node process, offline model). Between them sits a FrameTap, which records what the
 * agent sent and what the room acknowledged.
 */
import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { existsSync, mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import { FrameTap } from "./tap";

export const ROOT = path.resolve(import.meta.dirname, "../..");
const BIN = path.join(ROOT, "node_modules", ".bin");

export async function freePort(): Promise<number> {
  return await new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      const port = typeof address === "object" && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

class Proc {
  readonly log: string[] = [];
  readonly child: ChildProcess;

  constructor(
    readonly name: string,
    command: string,
    args: string[],
    env: Record<string, string>,
  ) {
    // Its own process group: stopping it stops what it started beneath it (workerd, tsx's child).
    this.child = spawn(command, args, { cwd: ROOT, env: { ...process.env, ...env }, stdio: ["ignore", "pipe", "pipe"], detached: true });
    const keep = (chunk: Buffer) => {
      this.log.push(chunk.toString());
      if (this.log.length > 300) this.log.splice(0, 100);
      if (process.env.RELIABILITY_VERBOSE) process.stderr.write(`[${name}] ${chunk}`);
    };
    this.child.stdout?.on("data", keep);
    this.child.stderr?.on("data", keep);
  }

  get running(): boolean {
    return this.child.exitCode === null && this.child.signalCode === null;
  }

  async stop(signal: NodeJS.Signals = "SIGTERM"): Promise<void> {
    if (!this.running || this.child.pid === undefined) return;
    const exited = new Promise<void>((resolve) => this.child.once("exit", () => resolve()));
    const kill = (sig: NodeJS.Signals) => {
      try {
        process.kill(-this.child.pid!, sig);
      } catch {
        // already gone
      }
    };
    kill(signal);
    const timer = setTimeout(() => kill("SIGKILL"), 5000);
    await exited;
    clearTimeout(timer);
  }

  tail(): string {
    return `[${this.name}] ${this.log.join("").slice(-3000)}`;
  }
}

async function waitUntilUp(url: string, proc: Proc, timeoutMs = 90_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (!proc.running) throw new Error(`${proc.name} exited (${proc.child.exitCode}):\n${proc.tail()}`);
    try {
      if ((await fetch(url)).status < 500) return;
    } catch {
      // not listening yet
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`${url} did not answer within ${timeoutMs} ms:\n${proc.tail()}`);
}

export interface AgentOptions {
  /** One fixed workspace, as in a container (AGENT_WORKSPACE); default: a directory per session. */
  containerWorkspace?: string;
  tokenDelayMs?: number;
}

export class Stack {
  readonly state = mkdtempSync(path.join(tmpdir(), "tandem-reliability-"));
  readonly tap: FrameTap;
  readonly #secrets = {
    AUTH_SECRET: randomBytes(16).toString("hex"),
    SECRETS_KEY: randomBytes(32).toString("base64"),
    // The agent link's key (worker/protocol/agent-auth.ts), known to the Worker and the agent host.
    AGENT_KEY: randomBytes(32).toString("base64url"),
  };
  #worker: Proc | null = null;
  #agent: Proc | null = null;
  #agentOptions: AgentOptions;
  apiPort = 0;
  agentPort = 0;
  /** How many times the Worker runtime was started again over persisted state. */
  workerRestarts = 0;

  private constructor(tap: FrameTap, agentOptions: AgentOptions) {
    this.tap = tap;
    this.#agentOptions = agentOptions;
  }

  static async start(agentOptions: AgentOptions = {}): Promise<Stack> {
    if (!existsSync(path.join(ROOT, "web", "build", "index.html"))) throw new Error("web/build is missing: run `npm run build:web` first");
    const agentPort = await freePort();
    const stack = new Stack(await FrameTap.start(agentPort), agentOptions);
    stack.agentPort = agentPort;
    stack.apiPort = await freePort();
    const migrate = spawnSync(path.join(BIN, "wrangler"), ["d1", "migrations", "apply", "tandem", "--local", "--persist-to", stack.state], {
      cwd: ROOT,
      env: { ...process.env, CI: "1", WRANGLER_SEND_METRICS: "false" },
      encoding: "utf8",
    });
    if (migrate.status !== 0) throw new Error(`migrations failed:\n${migrate.stdout}\n${migrate.stderr}`);
    await stack.startAgent();
    await stack.startWorker();
    return stack;
  }

  get baseURL(): string {
    return `http://127.0.0.1:${this.apiPort}`;
  }

  async startWorker(): Promise<void> {
    const inspector = await freePort();
    this.#worker = new Proc(
      "wrangler",
      path.join(BIN, "wrangler"),
      [
        "dev", "--port", String(this.apiPort), "--ip", "127.0.0.1", "--inspector-port", String(inspector), "--persist-to", this.state,
        "--var", `AGENT_URL:${this.tap.url}`, "--var", `AUTH_SECRET:${this.#secrets.AUTH_SECRET}`, "--var", `SECRETS_KEY:${this.#secrets.SECRETS_KEY}`,
        "--var", `AGENT_KEY:${this.#secrets.AGENT_KEY}`,
        "--var", `PUBLIC_URL:${this.baseURL}`, "--show-interactive-dev-session=false",
      ],
      { CI: "1", WRANGLER_SEND_METRICS: "false" },
    );
    await waitUntilUp(`${this.baseURL}/api/openapi.json`, this.#worker);
  }

  async stopWorker(): Promise<void> {
    await this.#worker?.stop();
  }

  /** Stops the runtime and starts it again on the same persisted state. */
  async restartWorker(): Promise<void> {
    await this.stopWorker();
    await this.startWorker();
    this.workerRestarts++;
  }

  async startAgent(options: AgentOptions = this.#agentOptions): Promise<void> {
    this.#agentOptions = options;
    const env: Record<string, string> = {
      PORT: String(this.agentPort),
      HOST: "127.0.0.1",
      ANTHROPIC_API_KEY: "",
      AGENT_KEY: this.#secrets.AGENT_KEY,
      AGENT_WORKSPACE_ROOT: path.join(this.state, "agent"),
      AGENT_ARCHIVE_ROOT: path.join(this.state, "archives"),
      AGENT_STATE_ROOT: path.join(this.state, "agent-state"),
      AGENT_OFFLINE_TOKEN_DELAY_MS: String(options.tokenDelayMs ?? 5),
    };
    if (options.containerWorkspace) {
      mkdirSync(options.containerWorkspace, { recursive: true });
      env.AGENT_WORKSPACE = options.containerWorkspace;
    }
    this.#agent = new Proc("agent", path.join(BIN, "tsx"), ["containers/agent/server.ts"], env);
    await waitUntilUp(`http://127.0.0.1:${this.agentPort}/health`, this.#agent, 30_000);
  }

  /** SIGKILL: the agent host dies as in a crash, with whatever it had not sent. */
  async killAgent(): Promise<void> {
    await this.#agent?.stop("SIGKILL");
  }

  async close(): Promise<void> {
    await this.#worker?.stop();
    await this.#agent?.stop();
    this.tap.close();
    rmSync(this.state, { recursive: true, force: true });
  }
}
