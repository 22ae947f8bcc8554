/**
 * One session on the agent host: its workspace, its agent loop, and the link to its DO. The session
 * outlives its socket: frames are buffered while the DO reconnects, for a grace period.
 */
import { mkdir, rm } from "node:fs/promises";
import type { WebSocket } from "ws";
import type { StartFrame, ToAgentFrame } from "../../worker/protocol/agent";
import { Inbox } from "./inbox";
import { historyToMessages } from "./history";
import { AgentLoop } from "./loop";
import { AnthropicModel } from "./models/anthropic";
import { OfflineModel } from "./models/offline";
import type { Model } from "./models/types";
import { Outbox } from "./outbox";
import { systemPrompt } from "./prompt";
import { Redactor, childEnv } from "./secrets";
import { ArtifactTracker, CloneError, cloneRepos } from "./workspace";

export interface SessionOptions {
  workspace: string;
  /** Whether the workspace belongs to this session alone (removed on dispose, reset on start). */
  ownsWorkspace: boolean;
  /** How long a session waits for its DO to reconnect before it is cleaned up. */
  graceMs: number;
  /** The host's Anthropic settings; a session's own ANTHROPIC_API_KEY secret takes precedence. */
  anthropic?: { apiKey?: string; baseURL?: string; maxRetries?: number };
  offlineTokenDelayMs?: number;
  log(line: string): void;
  /** Called once; `removal` settles when the session's directory is gone. */
  onDisposed(session: Session, removal: Promise<void>): void;
}

type State = "provisioning" | "running" | "failed" | "finished";

export class Session {
  readonly id: string;
  readonly workspace: string;
  readonly #start: StartFrame;
  readonly #options: SessionOptions;
  readonly #redactor: Redactor;
  readonly #outbox: Outbox;
  readonly #inbox = new Inbox();
  readonly #abort = new AbortController();
  #loop: AgentLoop | null = null;
  #state: State = "provisioning";
  #busy = false;
  #stopRequested = false;
  #graceTimer: NodeJS.Timeout | undefined;
  #disposed = false;

  constructor(start: StartFrame, options: SessionOptions) {
    this.id = start.sessionId;
    this.workspace = options.workspace;
    this.#start = start;
    this.#options = options;
    const hostKey = options.anthropic?.apiKey || process.env.ANTHROPIC_API_KEY;
    this.#redactor = new Redactor([...Object.values(start.secrets), ...(hostKey ? [hostKey] : [])]);
    this.#outbox = new Outbox(this.#redactor);
  }

  get disposed(): boolean {
    return this.#disposed;
  }

  /** Stopped or completed, and the DO has acknowledged everything up to `ackedUpTo`: nothing left to replay. */
  isSpent(ackedUpTo: number): boolean {
    this.#outbox.ack(ackedUpTo);
    return this.#state === "finished" && this.#outbox.unackedCount === 0;
  }

  get socket(): WebSocket | null {
    return this.#outbox.socket;
  }

  /** Attaches the DO's (new) socket and replays what it has not acknowledged. */
  attach(socket: WebSocket, ackedUpTo: number): void {
    clearTimeout(this.#graceTimer);
    const previous = this.#outbox.socket;
    if (previous && previous !== socket) previous.close(4000, "replaced by a newer connection");
    this.#outbox.attach(socket, ackedUpTo);
    if (this.#state === "finished") socket.close(1000, "session finished");
  }

  socketClosed(socket: WebSocket): void {
    if (!this.#outbox.detach(socket)) return;
    if (this.#state === "finished" || this.#state === "failed") return this.dispose();
    this.#options.log(`session ${this.id}: socket lost; keeping the agent for ${this.#options.graceMs} ms`);
    this.#graceTimer = setTimeout(() => {
      this.#options.log(`session ${this.id}: no reconnect; cleaning up`);
      this.dispose();
    }, this.#options.graceMs);
  }

  handle(frame: Exclude<ToAgentFrame, StartFrame>): void {
    switch (frame.type) {
      case "ack":
        return this.#outbox.ack(frame.upTo);
      case "user_message":
      case "answer":
        if (this.#state === "failed" || this.#state === "finished") return;
        if (this.#inbox.accept({ seq: frame.seq, text: frame.text, author: frame.author })) void this.#drain();
        return;
      case "stop":
        this.#stopRequested = true;
        this.#loop?.requestStop();
        if (this.#state === "running" && !this.#busy) this.#finishStop();
        return;
    }
  }

  /** Prepares the workspace (clones), picks the model, and reports ready. */
  async provision(): Promise<void> {
    const { repos, secrets, workflow, history } = this.#start;
    const send = this.#outbox.send.bind(this.#outbox);
    try {
      if (this.#options.ownsWorkspace) await rm(this.workspace, { recursive: true, force: true });
      await mkdir(this.workspace, { recursive: true });
      const env = childEnv(secrets, this.workspace);
      const repoDirs = await cloneRepos(this.workspace, repos, env, (detail) => send({ type: "progress", step: "clone", detail }));
      send({ type: "progress", step: "agent", detail: "starting agent" });
      const artifacts = new ArtifactTracker(this.workspace);
      await artifacts.scan(); // files present before the agent ran are not its artifacts
      const model = this.#chooseModel();
      this.#loop = new AgentLoop({
        model,
        config: this.#start.config,
        system: systemPrompt({ workspace: this.workspace, repoDirs, workflow }),
        messages: historyToMessages(history),
        workspace: this.workspace,
        env,
        redactor: this.#redactor,
        inbox: this.#inbox,
        artifacts,
        emit: send,
        signal: this.#abort.signal,
      });
    } catch (error) {
      if (this.#disposed) return;
      const message = error instanceof CloneError ? error.message : `provisioning failed: ${String(error)}`;
      this.#state = "failed";
      send({ type: "error", message: this.#redactor.text(message).slice(0, 4000) });
      return;
    }
    if (this.#disposed) return;
    this.#state = "running";
    send({ type: "ready", model: this.#loop.model });
    this.#loop.setStatus("idle");
    this.#options.log(`session ${this.id}: running (${this.#loop.model} model)`);
    if (this.#stopRequested) this.#finishStop();
    else void this.#drain();
  }

  #chooseModel(): Model {
    const { secrets } = this.#start;
    const host = this.#options.anthropic;
    // A workspace's ANTHROPIC_BASE_URL goes only with the workspace's own key: the host's key is sent to
    // the host's base URL (its option, else its environment, else Anthropic's), never to one a secret names.
    const settings = secrets.ANTHROPIC_API_KEY
      ? { apiKey: secrets.ANTHROPIC_API_KEY, baseURL: secrets.ANTHROPIC_BASE_URL || host?.baseURL }
      : { apiKey: host?.apiKey || process.env.ANTHROPIC_API_KEY, baseURL: host?.baseURL };
    if (!settings.apiKey) return new OfflineModel({ workspace: this.workspace, tokenDelayMs: this.#options.offlineTokenDelayMs });
    return new AnthropicModel({ apiKey: settings.apiKey, baseURL: settings.baseURL, maxRetries: host?.maxRetries });
  }

  /** Runs turns while messages are queued; one at a time, in order. */
  async #drain(): Promise<void> {
    const loop = this.#loop;
    if (!loop || this.#busy || this.#state !== "running") return;
    this.#busy = true;
    try {
      while (this.#inbox.pending && !this.#stopRequested && this.#state === "running") {
        const outcome = await loop.runTurn();
        if (outcome === "fatal") this.#state = "failed";
        if (outcome === "fatal" || outcome === "aborted") break;
      }
    } catch (error) {
      // A bug in one turn must not take down the host's other sessions: the turn fails, the session goes on.
      this.#options.log(this.#redactor.text(`session ${this.id}: turn failed: ${error instanceof Error ? error.stack : String(error)}`));
      this.#outbox.send({ type: "turn_error", message: `internal error in the agent: ${String(error)}`.slice(0, 4000) });
    } finally {
      this.#busy = false;
    }
    if (this.#state !== "running") return;
    loop.setStatus("idle");
    if (this.#stopRequested) this.#finishStop();
  }

  #finishStop(): void {
    this.#state = "finished";
    this.#loop?.setStatus("idle");
    this.#outbox.send({ type: "stopped" });
    this.#options.log(`session ${this.id}: stopped`);
    this.#outbox.socket?.close(1000, "stopped");
  }

  /** The agent finished its work on its own (kept for agents that exit; the offline model never does). */
  complete(): void {
    if (this.#state !== "running") return;
    this.#state = "finished";
    this.#outbox.send({ type: "completed" });
    this.#outbox.socket?.close(1000, "completed");
  }

  dispose(): void {
    if (this.#disposed) return;
    this.#disposed = true;
    clearTimeout(this.#graceTimer);
    this.#abort.abort();
    this.#inbox.cancelWait();
    this.#outbox.socket?.close(1001, "session closed");
    const removal = this.#options.ownsWorkspace ? rm(this.workspace, { recursive: true, force: true }).catch(() => {}) : Promise.resolve();
    this.#options.onDisposed(this, removal);
  }
}
