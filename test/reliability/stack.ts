/**
 * The real runtime for the reliability suite, on free ports, with parts that can be stopped and started
 * again: workerd (the Worker and its Durable Objects, state persisted in a temp folder, test/harness/
 * worker-runtime.ts) and the local agent host (a Node process, offline model). Between them sits a frame
 * tap (test/harness/frame-tap.ts), whose recorder keeps what the agent sent and what the room acknowledged.
 */
import { randomBytes } from "node:crypto";
import { existsSync, mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { startAgentHost } from "../harness/agent-host.ts";
import { ROOT } from "../harness/bundles.ts";
import { freePort } from "../harness/ports.ts";
import type { Proc } from "../harness/process.ts";
import { WorkerRuntime } from "../harness/worker-runtime.ts";
import { FrameRecorder } from "./tap";

export interface AgentOptions {
  /** One fixed workspace, as in a container (AGENT_WORKSPACE); default: a directory per session. */
  containerWorkspace?: string;
  tokenDelayMs?: number;
}

export class Stack {
  readonly state = mkdtempSync(path.join(tmpdir(), "tandem-reliability-"));
  readonly tap: FrameRecorder;
  readonly #secrets = {
    AUTH_SECRET: randomBytes(16).toString("hex"),
    SECRETS_KEY: randomBytes(32).toString("base64"),
    // The agent link's key (worker/protocol/agent-auth.ts), known to the Worker and the agent host.
    AGENT_KEY: randomBytes(32).toString("base64url"),
  };
  #worker: WorkerRuntime | null = null;
  #agent: Proc | null = null;
  #agentOptions: AgentOptions;
  apiPort = 0;
  agentPort = 0;
  /** How many times the Worker runtime was started again over persisted state. */
  workerRestarts = 0;

  private constructor(tap: FrameRecorder, agentOptions: AgentOptions) {
    this.tap = tap;
    this.#agentOptions = agentOptions;
  }

  static async start(agentOptions: AgentOptions = {}): Promise<Stack> {
    if (!existsSync(path.join(ROOT, "web", "build", "index.html")))
      throw new Error("web/build is missing: run `npm run build:web` first");
    const agentPort = await freePort();
    const stack = new Stack(await FrameRecorder.start(agentPort), agentOptions);
    stack.agentPort = agentPort;
    stack.apiPort = await freePort();
    await stack.startAgent();
    stack.#worker = await WorkerRuntime.start({
      state: stack.state,
      port: stack.apiPort,
      vars: { AGENT_URL: stack.tap.url, ...stack.#secrets, PUBLIC_URL: stack.baseURL },
      verbose: Boolean(process.env.RELIABILITY_VERBOSE),
    });
    return stack;
  }

  get baseURL(): string {
    return `http://127.0.0.1:${this.apiPort}`;
  }

  async startWorker(): Promise<void> {
    await this.#worker?.start();
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
    this.#agent = await startAgentHost({
      port: this.agentPort,
      env,
      verbose: Boolean(process.env.RELIABILITY_VERBOSE),
    });
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
