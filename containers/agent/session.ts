/**
 * One session on the agent host: its workspace, its agent loop, and the link to its DO. Each Session is
 * one agent incarnation (a fresh id, frames numbered from 1). It outlives its socket: frames are
 * buffered while the DO reconnects, for a grace period.
 */
import { randomUUID } from "node:crypto";
import { rm } from "node:fs/promises";
import type { Readable } from "node:stream";
import type { WebSocket } from "ws";
import { type AgentHello, SAVE_PROGRESS_EVERY_MS, SAVE_PROGRESS_STEP, type StartFrame, type ToAgentFrame } from "@tandem/protocol/agent";
import { WorkspaceArchive, emptyDirectory } from "./archive";
import { Inbox } from "./inbox";
import { historyToMessages } from "./history";
import { AgentLoop } from "./loop";
import { AnthropicModel } from "./models/anthropic";
import { OfflineModel } from "./models/offline";
import type { Model } from "./models/types";
import { type OutFrame, Outbox } from "./outbox";
import { readRepoInstructions } from "./instructions";
import type { PushContext } from "./push";
import { systemPrompt } from "./prompt";
import { Redactor, childEnv } from "./secrets";
import { ArtifactTracker, CloneError, cloneRepos, repoDirs } from "./workspace";

export interface SessionOptions {
  workspace: string;
  /** Whether the workspace belongs to this session alone (removed on dispose). */
  ownsWorkspace: boolean;
  /** Where the workspace archive is kept: outside the workspace. */
  archiveFile: string;
  archiveMaxBytes: number;
  /** How long a session waits for its DO to reconnect before it is cleaned up. */
  graceMs: number;
  /** The host's Anthropic settings; a session's own ANTHROPIC_API_KEY secret takes precedence. */
  anthropic?: { apiKey?: string; baseURL?: string; maxRetries?: number };
  offlineTokenDelayMs?: number;
  log(line: string): void;
  /** Settles once the previous session of this id has cleaned up; waited for before the workspace is touched. */
  previous: Promise<void>;
  /** Called once; `removal` settles when the session's files are gone. */
  onDisposed(session: Session, removal: Promise<void>): void;
}

/** `restoring`: waiting for the DO to PUT the saved workspace; `stopping`: saving it before `stopped`. */
type State = "restoring" | "provisioning" | "running" | "stopping" | "failed" | "finished";

export class RestoreRefused extends Error {}

export class Session {
  readonly id: string;
  readonly incarnation = randomUUID();
  readonly workspace: string;
  readonly archive: WorkspaceArchive;
  readonly #start: StartFrame;
  readonly #options: SessionOptions;
  readonly #redactor: Redactor;
  readonly #outbox: Outbox;
  readonly #inbox = new Inbox();
  readonly #abort = new AbortController();
  #loop: AgentLoop | null = null;
  #state: State;
  #busy = false;
  #stopRequested = false;
  #graceTimer: NodeJS.Timeout | undefined;
  #disposed = false;

  constructor(start: StartFrame, options: SessionOptions) {
    this.id = start.sessionId;
    this.workspace = options.workspace;
    this.archive = new WorkspaceArchive({ workspace: options.workspace, file: options.archiveFile, maxBytes: options.archiveMaxBytes });
    this.#start = start;
    this.#options = options;
    this.#state = start.restore ? "restoring" : "provisioning";
    const hostKey = options.anthropic?.apiKey || process.env.ANTHROPIC_API_KEY;
    this.#redactor = new Redactor([...Object.values(start.secrets), ...(hostKey ? [hostKey] : [])]);
    this.#outbox = new Outbox(this.#redactor);
  }

  get disposed(): boolean {
    return this.#disposed;
  }

  /** A new incarnation told to restore: it waits for the DO's PUT of the saved workspace. */
  get needsWorkspace(): boolean {
    return this.#state === "restoring";
  }

  /** What the room's git requests (changes, push) work on: only while the cloned or restored workspace is live. */
  get git(): PushContext | null {
    if (this.#state !== "running" || this.#disposed) return null;
    const { repos, secrets } = this.#start;
    return { workspace: this.workspace, repos, env: childEnv(secrets, this.workspace), secrets };
  }

  redact(text: string): string {
    return this.#redactor.text(text);
  }

  get socket(): WebSocket | null {
    return this.#outbox.socket;
  }

  /** Attaches the DO's (new) socket: hello first, then every frame it has not acknowledged. */
  attach(socket: WebSocket, ackedUpTo: number): void {
    clearTimeout(this.#graceTimer);
    const previous = this.#outbox.socket;
    if (previous && previous !== socket) previous.close(4000, "replaced by a newer connection");
    const hello: AgentHello = { type: "hello", incarnation: this.incarnation, needsWorkspace: this.needsWorkspace };
    socket.send(JSON.stringify(hello));
    this.#outbox.attach(socket, ackedUpTo);
  }

  /** A finished session goes once the DO closes normally; otherwise it waits for the DO to come back. */
  socketClosed(socket: WebSocket, code: number): void {
    if (!this.#outbox.detach(socket)) return;
    if ((this.#state === "finished" || this.#state === "failed") && code === 1000) return this.dispose();
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
        // Nothing was restored yet, so there is nothing newer than the saved workspace to keep.
        if (this.#state === "restoring") this.#finish({ type: "stopped" });
        else if (this.#state === "running" && !this.#busy) void this.#finishStop();
        return;
    }
  }

  /** Extracts the saved workspace the DO sent, then provisions without cloning. */
  async restore(body: Readable): Promise<void> {
    if (this.#state !== "restoring") throw new RestoreRefused(`session ${this.id} is not waiting for a workspace`);
    this.#state = "provisioning";
    try {
      await this.#options.previous;
      this.#send({ type: "progress", step: "restore", detail: "restoring the saved workspace" });
      await this.archive.restore(body);
    } catch (error) {
      this.#state = "restoring";
      throw error;
    }
    void this.provision(true);
  }

  /** Prepares the workspace (clones, unless restored), picks the model, and reports ready. */
  async provision(restored = false): Promise<void> {
    const { repos, secrets, workflow, history } = this.#start;
    const send = this.#send.bind(this);
    let dirs: string[];
    try {
      await this.#options.previous;
      const env = childEnv(secrets, this.workspace);
      if (restored) dirs = repoDirs(repos);
      else {
        // A container's /workspace may still hold an earlier run's files: never clone over them.
        await emptyDirectory(this.workspace);
        dirs = await cloneRepos(this.workspace, repos, env, (detail) => send({ type: "progress", step: "clone", detail }));
      }
      const instructions = await readRepoInstructions(this.workspace, repos, dirs);
      const from = instructions.map((i) => i.source).join(", ");
      send({ type: "progress", step: "agent", detail: from ? `starting agent with the instructions of ${from}` : "starting agent" });
      const artifacts = new ArtifactTracker(this.workspace);
      await artifacts.scan(); // files present before the agent ran are not its artifacts
      const model = this.#chooseModel();
      this.#loop = new AgentLoop({
        model,
        config: this.#start.config,
        system: systemPrompt({ workspace: this.workspace, repoDirs: dirs, workflow, instructions }),
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
      send({ type: "error", message });
      return;
    }
    if (this.#disposed) return;
    this.#state = "running";
    // What was just cloned is saved at once: a resumed agent never clones again.
    if (!restored && repos.length > 0) await this.#saveArchive();
    if (this.#disposed) return;
    send({ type: "ready", model: this.#loop.model });
    this.#loop.setStatus("idle");
    this.#options.log(`session ${this.id}: running (${this.#loop.model} model${restored ? ", workspace restored" : ""})`);
    if (this.#stopRequested) void this.#finishStop();
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

  /** Runs turns while messages are queued; one at a time, in order. The workspace is saved after each that touched it. */
  async #drain(): Promise<void> {
    const loop = this.#loop;
    if (!loop || this.#busy || this.#state !== "running") return;
    this.#busy = true;
    let fatal: string | null = null;
    let turns = 0;
    try {
      while (this.#inbox.pending && !this.#stopRequested && this.#state === "running") {
        turns++;
        const outcome = await loop.runTurn();
        if (loop.takeWorkspaceTouched() && !this.#disposed) await this.#saveArchive();
        if (outcome.kind === "fatal") fatal = outcome.message;
        if (outcome.kind === "fatal" || outcome.kind === "aborted") break;
      }
    } catch (error) {
      // A bug in one turn must not take down the host's other sessions: the turn fails, the session goes on.
      this.#options.log(this.#redactor.text(`session ${this.id}: turn failed: ${error instanceof Error ? error.stack : String(error)}`));
      this.#send({ type: "turn_error", message: `internal error in the agent: ${String(error)}` });
    } finally {
      this.#busy = false;
    }
    if (this.#disposed || this.#state !== "running") return;
    if (fatal !== null) {
      this.#state = "failed";
      this.#send({ type: "error", message: fatal });
      return;
    }
    if (this.#stopRequested) return void this.#finishStop();
    loop.setStatus("idle");
    // A non-interactive session is done when a turn ends with nothing queued.
    if (!this.#start.config.interactive && turns > 0 && !this.#inbox.pending) this.#finish({ type: "completed" });
  }

  /** Saves what changed since the last archive, then answers `stopped`. */
  async #finishStop(): Promise<void> {
    if (this.#state !== "running") return;
    this.#state = "stopping";
    if (this.#loop?.takeWorkspaceTouched()) await this.#saveArchive();
    if (!this.#disposed) this.#finish({ type: "stopped" });
  }

  /** The last frame of this incarnation: the DO saves what it needs and closes the socket. */
  #finish(frame: { type: "stopped" } | { type: "completed" }): void {
    this.#state = "finished";
    this.#loop?.setStatus("idle");
    this.#send(frame);
    this.#options.log(`session ${this.id}: ${frame.type}`);
  }

  async #saveArchive(): Promise<void> {
    // Said now and every few seconds while tar runs: a large workspace takes longer than a stop's deadline.
    const saying = () => this.#send({ type: "progress", step: SAVE_PROGRESS_STEP, detail: "saving the workspace" });
    saying();
    const heartbeat = setInterval(saying, SAVE_PROGRESS_EVERY_MS);
    try {
      const { size, overLimit } = await this.archive.save();
      // Disposed while tar ran: nobody will fetch it, and dispose has already removed the file it replaced.
      if (this.#disposed) return void (await this.archive.remove());
      this.#send({ type: "workspace_archive", size, overLimit });
    } catch (error) {
      this.#options.log(`session ${this.id}: workspace archive failed: ${String(error)}`);
      this.#send({ type: "turn_error", message: `the workspace could not be saved: ${String(error)}` });
    } finally {
      clearInterval(heartbeat);
    }
  }

  #send(frame: OutFrame): void {
    this.#outbox.send(frame);
  }

  dispose(): void {
    if (this.#disposed) return;
    this.#disposed = true;
    clearTimeout(this.#graceTimer);
    this.#abort.abort();
    this.#inbox.cancelWait();
    this.#outbox.socket?.close(1001, "session closed");
    const files = [this.archive.remove(), this.#options.ownsWorkspace ? rm(this.workspace, { recursive: true, force: true }) : Promise.resolve()];
    this.#options.onDisposed(this, Promise.all(files).then(() => undefined, () => undefined));
  }
}
