/**
 * One session on the agent host: its workspace, its Claude Code, and the link to its DO. Each Session is
 * one agent incarnation (a fresh id, frames numbered from 1). It outlives its socket: frames are
 * buffered while the DO reconnects, for a grace period.
 */
import { randomUUID } from "node:crypto";
import { rm } from "node:fs/promises";
import type { Readable } from "node:stream";
import type { WebSocket } from "ws";
import {
  type AgentHello,
  SAVE_PROGRESS_EVERY_MS,
  SAVE_PROGRESS_STEP,
  type StartFrame,
  type ToAgentFrame,
} from "@tandem/protocol/agent";
import { CATALOG, entryOf } from "@tandem/protocol/models";
import { WorkspaceArchive } from "./archive";
import { ClaudeDriver, type TurnOutcome } from "./claude/driver";
import type { GatewayRoute, ModelGateway } from "./gateway";
import { type SessionMcp, sessionMcp } from "./claude/mcp";
import type { McpProxy, McpRoute } from "./mcp-proxy";
import { cliEnvironment, sessionHome } from "./claude/options";
import type { Containment, RunAs } from "./claude/process";
import { type HostState, STATE_MEMBER, type SessionPaths, writeHostState } from "./claude/state";
import { prepareWorkspace } from "./claude/workspace-state";
import { authored, historyAsContext } from "./history";
import { Inbox } from "./inbox";
import { type OutFrame, Outbox } from "./outbox";
import { tandemAppend } from "./prompt";
import type { PushContext } from "./push";
import { withGitConfig } from "./git-auth";
import { Redactor, childEnv } from "./secrets";
import { ArtifactTracker, CloneError } from "./workspace";
import { EnvironmentSetup } from "./environment";

export interface SessionOptions {
  workspace: string;
  /** Whether the workspace belongs to this session alone (removed on dispose). */
  ownsWorkspace: boolean;
  /** The session's own directories beside the workspace (claude/state.ts); removed on dispose. */
  paths: SessionPaths;
  /** Where the workspace archive is kept: outside the workspace. */
  archiveFile: string;
  archiveMaxBytes: number;
  /** How long a session waits for its DO to reconnect before it is cleaned up. */
  graceMs: number;
  gateway: ModelGateway;
  /** The proxy every connection of Claude Code's to a workspace's MCP server goes through (one route per incarnation). */
  mcpProxy: McpProxy;
  /** The host's Anthropic settings; a session's own ANTHROPIC_API_KEY secret takes precedence. */
  anthropic?: { apiKey?: string; baseURL?: string };
  containment: Containment;
  /** The CLI dies with the host (setpriv --pdeathsig). */
  orphanKill: boolean;
  runAs?: RunAs;
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
  /** Each message pushed to Claude Code (by the uuid its echo carries) → its seq. */
  readonly #pushed = new Map<string, number>();
  #driver: ClaudeDriver | null = null;
  #route: GatewayRoute | null = null;
  #mcpRoute: McpRoute | null = null;
  #artifacts: ArtifactTracker | null = null;
  /** The setup in Creating (a fresh run's, after the clone); null before and after. */
  #setup: EnvironmentSetup | null = null;
  #turns = 0;
  /** The save in flight and the turns it covers: a stop with nothing run since waits for it, not for a second tar. */
  #saving: { done: Promise<void>; turns: number } | null = null;
  #state: State;
  #stopRequested = false;
  #graceTimer: NodeJS.Timeout | undefined;
  #disposed = false;

  constructor(start: StartFrame, options: SessionOptions) {
    this.id = start.sessionId;
    this.workspace = options.workspace;
    this.archive = new WorkspaceArchive({
      workspace: options.workspace,
      file: options.archiveFile,
      maxBytes: options.archiveMaxBytes,
      member: { parent: options.paths.root, name: STATE_MEMBER },
    });
    this.#start = start;
    this.#options = options;
    this.#state = start.restore ? "restoring" : "provisioning";
    const hostKey = options.anthropic?.apiKey || process.env.ANTHROPIC_API_KEY;
    const mcpHeaderValues = start.mcpServers.flatMap((server) => Object.values(server.headers));
    this.#redactor = new Redactor([
      ...Object.values(start.secrets),
      ...mcpHeaderValues,
      ...(hostKey ? [hostKey] : []),
    ]);
    this.#outbox = new Outbox(this.#redactor);
  }

  get disposed(): boolean {
    return this.#disposed;
  }

  /** A new incarnation told to restore: it waits for the DO's PUT of the saved workspace. */
  get needsWorkspace(): boolean {
    return this.#state === "restoring";
  }

  /** The session's agent secrets over the workspace's variables (a secret wins a name both have). */
  get #secretsAndVariables(): Record<string, string> {
    return { ...(this.#start.environment?.env ?? {}), ...this.#start.secrets };
  }

  /** The archive of the workspace as the setup left it, once a setup succeeded. */
  get environmentArchive(): WorkspaceArchive | null {
    return this.#setup?.archive ?? null;
  }

  /** The setup waiting for the room's answer to its warm-start key, if any. */
  get environment(): EnvironmentSetup | null {
    return this.#setup?.waiting ? this.#setup : null;
  }

  /** What the room's git requests (changes, push) work on: only while the cloned or restored workspace is live. */
  get git(): PushContext | null {
    if (this.#state !== "running" || this.#disposed) return null;
    const { repos, secrets } = this.#start;
    const env = childEnv(secrets, this.workspace);
    // The repositories belong to Claude Code's user when it runs as another: the host's git may still use them.
    return {
      workspace: this.workspace,
      repos,
      env: this.#options.runAs ? withGitConfig(env, "safe.directory", "*") : env,
      secrets,
    };
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
    const hello: AgentHello = {
      type: "hello",
      incarnation: this.incarnation,
      needsWorkspace: this.needsWorkspace,
    };
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
        if (this.#state === "failed" || this.#state === "finished" || this.#stopRequested) return;
        if (this.#inbox.accept({ seq: frame.seq, text: frame.text, author: frame.author })) this.#deliver();
        return;
      case "decision":
        if (!this.#inbox.acceptOnce(frame.seq)) return;
        // A decision for a call this incarnation no longer waits for (stopped, interrupted) is read all the same.
        this.#driver?.decide(frame.approvalId, {
          decision: frame.decision,
          author: frame.author,
          ...(frame.message ? { message: frame.message } : {}),
          ...(frame.mode ? { mode: frame.mode } : {}),
        });
        this.#reportConsumed([frame.seq]);
        return;
      case "settings":
        return this.settings(frame);
      case "stop":
        this.#stopRequested = true;
        // Nothing was restored yet, so there is nothing newer than the saved workspace to keep.
        if (this.#state === "restoring") this.#finish({ type: "stopped" });
        else if (this.#state === "running") void this.#finishStop();
        // In Creating: the setup's process tree goes now; provision answers `stopped` once it has.
        else if (this.#state === "provisioning") void this.#setup?.stop();
        return;
    }
  }

  /**
   * The session's permission mode and model as the room has them now (a PATCH while Running, or the start of
   * a reattach): the mode from Claude Code's next tool call, the model from its next request (the gateway's
   * route forces it; Claude Code is told too, so its own requests name it).
   */
  settings(next: {
    permissionMode: StartFrame["config"]["permissionMode"];
    model: StartFrame["config"]["model"];
  }): void {
    const config = this.#start.config;
    const modelChanged = next.model !== config.model;
    config.permissionMode = next.permissionMode;
    config.model = next.model;
    if (modelChanged) this.#route?.update({ model: next.model });
    const driver = this.#driver;
    if (!driver) return;
    driver
      .setPermissionMode(next.permissionMode)
      .catch((error: unknown) =>
        this.#options.log(`session ${this.id}: permission mode not set: ${String(error)}`),
      );
    if (modelChanged)
      driver
        .setModel(next.model)
        .catch((error: unknown) => this.#options.log(`session ${this.id}: model not set: ${String(error)}`));
  }

  /** Extracts the saved workspace the DO sent, then provisions without cloning. */
  async restore(body: Readable): Promise<void> {
    if (this.#state !== "restoring")
      throw new RestoreRefused(`session ${this.id} is not waiting for a workspace`);
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

  /** Prepares the workspace (clones, unless restored), starts Claude Code, and reports ready. */
  async provision(restored = false): Promise<void> {
    const { repos, workflow, history, config } = this.#start;
    const { paths } = this.#options;
    const send = this.#send.bind(this);
    let model: "anthropic" | "offline";
    try {
      await this.#options.previous;
      const env = childEnv(this.#secretsAndVariables, this.workspace);
      const start = await prepareWorkspace({
        workspace: this.workspace,
        paths,
        repos,
        restored,
        env,
        runAs: this.#options.runAs,
        progress: (detail) => send({ type: "progress", step: "clone", detail }),
      });
      // A restored workspace was set up in its first run; a fresh one is set up (or restored warm) now.
      const setup = restored ? { kind: "ready" as const } : await this.#runSetup(start.dirs, env);
      if (this.#disposed) return;
      if (setup.kind === "stopped" || this.#stopRequested) return this.#finish({ type: "stopped" });
      if (setup.kind === "failed") {
        this.#state = "failed";
        send({ type: "error", message: setup.message });
        return;
      }
      const from = start.state.instructions.map((i) => i.source).join(", ");
      send({
        type: "progress",
        step: "agent",
        detail: from ? `starting Claude Code with the instructions of ${from}` : "starting Claude Code",
      });
      this.#artifacts = new ArtifactTracker(this.workspace);
      await this.#artifacts.scan(); // files present before the agent ran are not its artifacts
      if (this.#disposed) return;
      const upstream = this.#upstream();
      model = upstream ? "anthropic" : "offline";
      this.#route = this.#options.gateway.open({
        settings: {
          model: config.model,
          maxTokens: config.maxTokens,
          thinking: config.thinking,
          ...(config.effort ? { effort: config.effort } : {}),
        },
        upstream,
        workspace: this.workspace,
        onUsage: (usage) => send({ type: "usage", ...usage }),
        onError: (error) => this.#driver?.noteApiError(error),
        log: (line) => this.#options.log(this.redact(`session ${this.id}: gateway: ${line}`)),
      });
      // With no Claude conversation to resume, the transcript so far is context in Tandem's append.
      const earlier = start.resume ? null : historyAsContext(history);
      const mcp = sessionMcp(this.#start.mcpServers, this.#options.mcpProxy, (line) =>
        this.#options.log(this.redact(`session ${this.id}: mcp: ${line}`)),
      );
      this.#mcpRoute = mcp.route;
      this.#driver = this.#startDriver(
        start.resume,
        mcp,
        tandemAppend({ repoDirs: start.dirs, workflow, instructions: start.state.instructions, earlier }),
        start.state,
      );
    } catch (error) {
      if (this.#disposed) return;
      const message = error instanceof CloneError ? error.message : `provisioning failed: ${String(error)}`;
      this.#state = "failed";
      send({ type: "error", message });
      return;
    }
    this.#state = "running";
    // What was just cloned is saved at once: a resumed agent never clones again.
    if (!restored && repos.length > 0) await this.#saveArchive();
    if (this.#disposed) return;
    send({ type: "ready", model });
    this.#sayEndOfLife(model);
    this.#driver.setStatus("idle");
    this.#options.log(
      `session ${this.id}: running (${model} model${restored ? ", workspace restored" : ""})`,
    );
    if (this.#stopRequested) void this.#finishStop();
    else this.#deliver();
  }

  #runSetup(dirs: string[], env: NodeJS.ProcessEnv): ReturnType<EnvironmentSetup["run"]> {
    const { repos, environment } = this.#start;
    const { containment, orphanKill, runAs, paths } = this.#options;
    this.#setup = new EnvironmentSetup({
      workspace: this.workspace,
      repos,
      dirs,
      environment,
      env: { ...env, ...sessionHome(env, paths) },
      launch: { containment, orphanKill, runAs, tag: this.incarnation },
      archiveFile: `${this.#options.archiveFile}.environment`,
      archiveMaxBytes: this.#options.archiveMaxBytes,
      send: (frame) => this.#send(frame),
    });
    if (this.#stopRequested) void this.#setup.stop();
    return this.#setup.run();
  }

  /** The model endpoint's upstream: the session's own key (with its base URL), else the host's, else the offline model. */
  #upstream(): { apiKey: string; baseURL?: string } | null {
    const { secrets } = this.#start;
    const host = this.#options.anthropic;
    // A workspace's ANTHROPIC_BASE_URL goes only with the workspace's own key: the host's key is sent to
    // the host's base URL (its option, else its environment, else Anthropic's), never to one a secret names.
    if (secrets.ANTHROPIC_API_KEY)
      return {
        apiKey: secrets.ANTHROPIC_API_KEY,
        baseURL: secrets.ANTHROPIC_BASE_URL || host?.baseURL || process.env.ANTHROPIC_BASE_URL,
      };
    const apiKey = host?.apiKey || process.env.ANTHROPIC_API_KEY;
    return apiKey ? { apiKey, baseURL: host?.baseURL || process.env.ANTHROPIC_BASE_URL } : null;
  }

  #startDriver(resume: string | null, mcp: SessionMcp, append: string, state: HostState): ClaudeDriver {
    const { config } = this.#start;
    const { paths } = this.#options;
    const route = this.#route!;
    const driver = new ClaudeDriver({
      workspace: this.workspace,
      paths,
      config,
      env: cliEnvironment({
        secrets: this.#secretsAndVariables,
        workspace: this.workspace,
        paths,
        baseURL: route.baseURL,
        config,
      }),
      append,
      resume,
      mcp,
      launch: {
        containment: this.#options.containment,
        orphanKill: this.#options.orphanKill,
        runAs: this.#options.runAs,
        tag: this.incarnation,
      },
      idPrefix: this.incarnation.slice(0, 8),
      emit: (frame) => this.#send(frame),
      cut: (head) => this.#redactor.cut(head),
      sessionId: (id) => {
        if (state.claudeSessionId === id) return;
        state.claudeSessionId = id;
        writeHostState(paths, state).catch((error: unknown) =>
          this.#options.log(`session ${this.id}: could not keep Claude's session id: ${String(error)}`),
        );
      },
      consumed: (uuid) => this.#consumed(uuid),
      answered: (answer) => this.#reportConsumed([answer.seq]),
      turnEnded: (outcome) => this.#turnEnded(outcome),
      lost: (reason, started) => this.#lost(reason, started),
      stderr: (line) => this.#options.log(this.redact(`session ${this.id}: claude: ${line.trimEnd()}`)),
      log: this.#options.log,
    });
    return driver;
  }

  /** Hands queued messages to Claude Code (or, while it asks, the next one answers the question). */
  #deliver(): void {
    const driver = this.#driver;
    if (!driver || this.#state !== "running") return;
    for (const input of this.#inbox.takeAll()) {
      if (driver.waitingForAnswer) {
        driver.answer(input);
        continue;
      }
      this.#pushed.set(driver.send(authored(input.author, input.text)), input.seq);
    }
  }

  #consumed(uuid: string): void {
    const seq = this.#pushed.get(uuid);
    if (seq === undefined) return;
    this.#pushed.delete(uuid);
    this.#turns++;
    this.#reportConsumed([seq]);
  }

  #reportConsumed(seqs: number[]): void {
    const upTo = this.#inbox.markConsumed(seqs);
    if (upTo !== null) this.#send({ type: "input_consumed", upTo });
  }

  /** After each turn: what it changed is saved, new artifacts reported; a non-interactive session with nothing queued is done. */
  async #turnEnded(outcome: TurnOutcome): Promise<void> {
    if (outcome.touched && !this.#disposed) {
      await this.#saveArchive();
      for (const artifact of (await this.#artifacts?.scan()) ?? [])
        this.#send({ type: "artifact", ...artifact });
    }
    if (this.#disposed || this.#state !== "running" || this.#stopRequested) return;
    if (
      !this.#start.config.interactive &&
      this.#turns > 0 &&
      outcome.queued === 0 &&
      this.#inbox.pending === 0
    ) {
      await this.#driver?.dispose();
      this.#finish({ type: "completed" });
    }
  }

  /** Claude Code ended on its own: before it started, the session cannot run; after, the incarnation is lost. */
  #lost(reason: string, started: boolean): void {
    if (this.#disposed || this.#state !== "running") return;
    this.#options.log(this.redact(`session ${this.id}: ${reason}`));
    if (!started) {
      this.#state = "failed";
      this.#send({ type: "error", message: `Claude Code could not start: ${reason}` });
      return;
    }
    // The room sees its agent gone, starts a new incarnation from the last saved workspace and says the turn was lost.
    this.dispose();
  }

  /** A model with an end-of-life date is said once, as an event (the room keeps one per session). */
  #sayEndOfLife(model: "anthropic" | "offline"): void {
    const entry = entryOf(CATALOG, this.#start.config.model);
    if (model !== "anthropic" || entry.endOfLife === null) return;
    const successor = entry.successor ? `; its successor is ${entry.successor}` : "";
    this.#send({
      type: "notice",
      kind: "model_deprecated",
      detail: `${entry.id} is deprecated and reaches its end of life on ${entry.endOfLife}${successor}`,
    });
  }

  /** Interrupts the turn, kills Claude Code and what it started, saves what changed, then answers `stopped`. */
  async #finishStop(): Promise<void> {
    if (this.#state !== "running") return;
    this.#state = "stopping";
    const { touched } = (await this.#driver?.stop()) ?? { touched: false };
    this.#route?.close();
    this.#mcpRoute?.close();
    // Claude's own files changed with every turn: the archive is what a resume continues from. A save that
    // began after the last turn (the turn's own, still running) already holds it all: the stop waits for it.
    const saving = this.#saving;
    if (!touched && saving && saving.turns === this.#turns) await saving.done;
    else if (touched || this.#turns > 0) await this.#saveArchive();
    if (!this.#disposed) this.#finish({ type: "stopped" });
  }

  /** The last frame of this incarnation: the DO saves what it needs and closes the socket. */
  #finish(frame: { type: "stopped" } | { type: "completed" }): void {
    this.#state = "finished";
    this.#driver?.setStatus("idle");
    this.#send(frame);
    this.#options.log(`session ${this.id}: ${frame.type}`);
  }

  async #saveArchive(): Promise<void> {
    const saving = { done: this.#writeArchive(), turns: this.#turns };
    this.#saving = saving;
    try {
      await saving.done;
    } finally {
      if (this.#saving === saving) this.#saving = null;
    }
  }

  async #writeArchive(): Promise<void> {
    // Said now and every few seconds while tar runs: a large workspace takes longer than a stop's deadline.
    const saying = () =>
      this.#send({ type: "progress", step: SAVE_PROGRESS_STEP, detail: "saving the workspace" });
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
    const stopped = this.#driver?.dispose() ?? Promise.resolve();
    this.#route?.close();
    this.#mcpRoute?.close();
    this.#outbox.socket?.close(1001, "session closed");
    const setupStopped = this.#setup?.stop() ?? Promise.resolve();
    const files = Promise.all([stopped, setupStopped]).then(() =>
      Promise.all([
        this.archive.remove(),
        this.#setup?.archive.remove(),
        rm(this.#options.paths.root, { recursive: true, force: true }),
        this.#options.ownsWorkspace
          ? rm(this.workspace, { recursive: true, force: true })
          : Promise.resolve(),
      ]),
    );
    this.#options.onDisposed(
      this,
      files.then(
        () => undefined,
        () => undefined,
      ),
    );
  }
}
