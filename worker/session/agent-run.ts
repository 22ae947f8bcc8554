/**
 * The session's agent as its room sees it, from provisioning to the end of a run: it opens (and reopens)
 * the link (what it says on it: agent-start.ts), learns from each hello which agent incarnation answers,
 * applies the agent's frames, sends people's input, and acknowledges what was applied. Its workspace
 * archives are workspace-saves.ts's; how the run ends (only once the agent is done and its workspace
 * stored) is run-ending.ts's.
 */
import type { Env } from "../env";
import type { AgentHello, FromAgentFrame, HistoryMessage, StartFrame, ToAgentFrame } from "../protocol/agent";
import { AGENT_PHASES } from "../protocol/lifecycle";
import { inputFrame, startFrame } from "./agent-start";
import { EnvironmentCache } from "./environment-cache";
import { incarnationLost } from "./incarnation-lost";
import { applyAgentFrame, type FrameEffects } from "./agent-frames";
import { pricedRequest } from "./usage-ledger";
import { AgentLink, agentEndpoint, type AgentEndpoint } from "./agent-link";
import { RunContainer } from "./run-container";
import { keepChangesFromAgent } from "./saved-changes";
import { FrameRedaction } from "./frame-redaction";
import { keepArtifact } from "./keep-artifact";
import type { Actor, SessionRecord } from "./record";
import { RunEnding } from "./run-ending";
import type { SessionState } from "./state";
import type { Input, RoomStore } from "./storage";
import { WorkspaceSaves, message } from "./workspace-saves";

/** What the run needs from its room. */
export interface AgentRunHost {
  readonly env: Env;
  readonly ctx: DurableObjectState;
  readonly state: SessionState;
  readonly store: RoomStore;
  /** The transcript as the agent needs it to continue. */
  history(): HistoryMessage[];
  /** A numbered frame, in order: the room batches frames and hands them back to applyFrames. */
  onFrame(frame: FromAgentFrame): void;
  /** Hands every frame received so far to applyFrames now, before the run changes course. */
  flushFrames(): void;
  /** Runs `change` in one transaction of the session's Yjs document. */
  transact(change: () => void): void;
  scheduleAlarm(): void;
  /** A turn's usage was kept: report it to the workspace (and check its budget). */
  usageRecorded(): void;
}

export class AgentRun {
  readonly #host: AgentRunHost;
  #link: AgentLink | null = null;
  #connecting: Promise<void> | null = null;
  /** The session's container between runs: stopped when a run ends, destroyed with the session. */
  readonly #container: RunContainer;
  #ackTimer: ReturnType<typeof setTimeout> | null = null;
  /** The workspace's secrets the agent was given, redacted from whatever it sends back (streamed text too). */
  readonly redaction = new FrameRedaction();
  readonly #saves: WorkspaceSaves;
  /** Warm starts: the environment a setup left, asked for and kept while the run is in Creating. */
  readonly #environments: EnvironmentCache;
  /** How the run ends: the room's stop, idle stop and timeout go through it too. */
  readonly ending: RunEnding;

  constructor(host: AgentRunHost) {
    this.#host = host;
    const { env, ctx, state, store } = host;
    this.#container = new RunContainer(env, ctx, store);
    this.#saves = new WorkspaceSaves({
      env,
      ctx,
      state,
      store,
      endpoint: (record) => this.#endpoint(record),
      stored: (record, savedAt) =>
        keepChangesFromAgent(
          env.ARTIFACTS,
          record.id,
          savedAt,
          (path, init) => this.request(path, init),
          this.redaction.secrets,
        ),
      settled: () => this.ending.settle(),
      restoreFailed: (reason) => this.#giveUp(reason, null),
      redact: (text) => this.redaction.secrets.text(text),
    });
    this.#environments = new EnvironmentCache({
      bucket: env.ARTIFACTS,
      creatingAgent: () => {
        const record = this.#record;
        if (!record || record.phase !== "Creating" || !record.agentIncarnation || !this.connected)
          return null;
        return {
          sessionId: record.id,
          workspaceId: record.workspaceId,
          incarnation: record.agentIncarnation,
          endpoint: this.#endpoint(record),
        };
      },
      event: (type, reason) => {
        if (this.#record) store.appendEvent({ at: Date.now(), type, reason });
      },
    });
    this.ending = new RunEnding({
      state,
      store,
      scheduleAlarm: () => host.scheduleAlarm(),
      linked: () => this.linked,
      // Sent now, or by #connected once a link that is (re)connecting is up.
      sendStop: () => void this.send({ type: "stop" }),
      saving: () => this.#saves.busy,
      sendAck: () => this.#sendAck(),
      release: (reason) => this.release(reason),
    });
  }

  get #record(): SessionRecord | null {
    return this.#host.state.record;
  }

  get connected(): boolean {
    return this.#link?.connected ?? false;
  }

  /** Whether a link is open or being (re)opened. */
  get linked(): boolean {
    return this.#link !== null;
  }

  send(frame: ToAgentFrame): boolean {
    return this.#link?.send(frame) ?? false;
  }

  /** A signed HTTP request to the agent of this run (its changes, a push); null without one. */
  request(path: string, init?: RequestInit): Promise<Response> | null {
    const record = this.#record;
    return record && this.connected ? this.#endpoint(record).fetch(path, init) : null;
  }

  /** Starts a new run (Pending → Creating): a new incarnation, which restores the saved workspace if there is one. */
  async provision(): Promise<void> {
    const record = this.#record;
    if (!record || !this.#host.state.apply("provision", {})) return;
    this.#host.state.run.begin();
    // The previous run's container goes first: the new run's is a new one.
    await this.#container.settled();
    await this.connect();
  }

  /** Opens the link: a reattach to the incarnation the record names, or a fresh one. */
  connect(): Promise<void> {
    const connecting = this.#open().finally(() => {
      if (this.#connecting === connecting) this.#connecting = null;
    });
    this.#connecting = connecting;
    return connecting;
  }

  async #open(): Promise<void> {
    const record = this.#record;
    if (!record) return;
    this.#link?.close();
    const link = new AgentLink(this.#endpoint(record).openSocket, {
      startFrame: () => this.#startFrame(),
      onHello: (hello) => this.#hello(hello),
      onFrame: (frame) => this.#host.onFrame(frame),
      onConnected: () => this.#connected(),
      onLost: (reason) => this.#giveUp(reason, "agent_lost"),
      onInvalidFrame: (detail) =>
        this.#host.store.appendEvent({ at: Date.now(), type: "invalid_frame", reason: detail }),
    });
    this.#link = link;
    try {
      await link.connect();
    } catch (err) {
      if (this.#link === link) this.#giveUp(`agent unreachable: ${message(err)}`, "agent_lost");
    }
  }

  async #startFrame(): Promise<StartFrame> {
    const record = this.#record;
    if (!record) throw new Error("the session was deleted");
    return startFrame(this.#host.env, record, {
      workflow: this.#host.state.workflow(),
      history: this.#host.history(),
      redaction: this.redaction,
    });
  }

  #connected(): void {
    this.#sendPendingInputs();
    const ending = this.#record?.ending;
    if (ending && !ending.agentDone) this.send({ type: "stop" });
  }

  #hello(hello: AgentHello): void {
    const record = this.#record;
    if (!record) return;
    const fresh = hello.incarnation !== record.agentIncarnation;
    // A reattached incarnation continues its streams (held text may still become a secret); a new one does not.
    this.#flushFrames(fresh);
    if (fresh) {
      const previous = record.agentIncarnation;
      // A new incarnation numbers its frames from 1: nothing of it is a duplicate.
      this.#host.state.run.newIncarnation(hello.incarnation);
      if (previous !== null) incarnationLost(this.#host.state, this.#host.store);
    } else {
      // A restart interrupted a save; the incarnation still has the archive.
      this.#saves.resumeInterrupted();
    }
    if (record.ending?.agentDone) return this.ending.settle();
    if (hello.needsWorkspace) this.#host.ctx.waitUntil(this.#saves.restore(hello.incarnation));
  }

  /** The agent is gone or unusable: an ending applies now, otherwise the run ends as lost (lifecycle.ts). */
  #giveUp(reason: string, eventType: "agent_lost" | null): void {
    const { state, store } = this.#host;
    const record = this.#record;
    this.release(reason);
    if (!record) return;
    if (eventType) store.appendEvent({ at: Date.now(), type: eventType, reason });
    if (record.ending) return this.ending.finish(reason);
    state.setAgentStatus("idle");
    state.apply("agent_lost", { reason });
  }

  /**
   * Lets the agent go: told to stop (it kills what still runs), then the socket closes. The run is over
   * (its workspace saved, or the agent lost), so its container stops too: a Resume starts a new one from
   * the saved workspace, and nothing runs or is billed meanwhile.
   */
  release(reason: string, container: "stop" | "destroy" = "stop"): void {
    this.#flushFrames(true);
    const link = this.#link;
    this.#link = null;
    this.#host.state.transcript?.closePendingApprovals("the run ended before anyone answered");
    link?.send({ type: "stop" });
    link?.close(reason);
    const record = this.#record;
    if (!record) return;
    if (container === "stop") this.#container.stop(record.id);
    else void this.#container.destroy(record.id);
  }

  /** The workbench answered (the container was started for it alone): it stops again unless a run began meanwhile. */
  benchDone(): void {
    const record = this.#record;
    if (record && !this.linked && !AGENT_PHASES.has(record.phase)) this.#container.stop(record.id);
  }

  /** The session is deleted: its agent goes, and its container is destroyed with the key it was given. */
  async forget(): Promise<void> {
    this.release("session deleted", "destroy");
    await this.#container.settled();
  }

  // ---- the agent's frames --------------------------------------------------------------------

  /** A batch of frames, in one Yjs transaction; frames applied before (a replay) are skipped. */
  applyFrames(frames: FromAgentFrame[]): void {
    if (!this.#record) return;
    const now = Date.now();
    this.#host.transact(() => {
      for (const frame of frames) {
        if (!this.#host.state.run.acceptFrame(frame.seq)) continue;
        // The agent redacts too; this is the line a secret must never cross whatever the agent does.
        for (const redacted of this.redaction.frames(frame)) this.#apply(redacted, now);
      }
    });
    this.#host.state.save();
    this.#ackTimer ??= setTimeout(() => this.#sendAck(), 20);
  }

  /**
   * Applies every frame received so far. With `endOfStreams` the agent's streams are over (it is gone, or
   * a new incarnation answers), so streamed text redaction held back (it could have become a secret) is shown.
   */
  #flushFrames(endOfStreams: boolean): void {
    this.#host.flushFrames();
    if (!endOfStreams) return;
    const held = this.redaction.release();
    if (held.length === 0) return;
    const now = Date.now();
    this.#host.transact(() => {
      for (const frame of held) this.#apply(frame, now);
    });
  }

  #apply(frame: FromAgentFrame, now: number): void {
    applyAgentFrame(frame, this.#host.state, this.#host.store, this.#frameEffects, now);
  }

  readonly #frameEffects: FrameEffects = {
    agentReady: () => this.#sendPendingInputs(),
    agentFinished: (event, reason) => this.ending.agentDone(event, reason),
    artifactWritten: (name, size) => {
      const record = this.#record;
      if (!record) return;
      const { env, state, store } = this.#host;
      const keeper = { env, state, store, agent: this.#endpoint(record), secrets: this.redaction.secrets };
      this.#host.ctx.waitUntil(keepArtifact(keeper, name, size));
    },
    workspaceArchived: (size, overLimit) => this.#saves.archived(size, overLimit),
    agentSaving: () => this.ending.agentSaving(),
    environmentWanted: (key) => this.#host.ctx.waitUntil(this.#environments.wanted(key)),
    environmentArchived: (key, size, overLimit) =>
      this.#host.ctx.waitUntil(this.#environments.archived(key, size, overLimit)),
    modelUsed: (usage) => {
      if (!this.#record) return;
      const { env, state, store } = this.#host;
      // Applied once (the frame's seq is saved in the same write), so the room's own counter numbers it.
      const request = pricedRequest(env, usage, Date.now());
      store.usage.record(request);
      state.addUsage(request.usage);
      this.#host.usageRecorded();
    },
  };

  #sendAck(): void {
    if (this.#ackTimer) clearTimeout(this.#ackTimer);
    this.#ackTimer = null;
    const record = this.#record;
    if (record) this.send({ type: "ack", upTo: record.agentSeq });
  }

  // ---- people's input -------------------------------------------------------------------------

  /** Queues a person's message (persisted and shown first); a Running agent gets it at once. */
  queueInput(text: string, author: Actor): Input {
    const input = this.#host.state.enqueueInput(text, author);
    if (this.#record?.phase === "Running") this.#sendInput(input);
    return input;
  }

  #sendPendingInputs(): void {
    if (this.#record?.phase !== "Running") return;
    for (const input of this.#host.store.pendingInputs()) this.#sendInput(input);
  }

  #sendInput(input: Input): void {
    this.send(inputFrame(input));
  }

  /** Queues an approval's decision (the room decided it: first answer wins); a Running agent gets it at once. */
  sendDecision(input: Input): void {
    if (this.#record?.phase === "Running") this.#sendInput(input);
  }

  /** The session's mode and model changed while Running: the agent takes them from its next call (a reattach, from `start`). */
  sendSettings(): void {
    const record = this.#record;
    if (record)
      this.send({
        type: "settings",
        permissionMode: record.config.permissionMode,
        model: record.config.model,
      });
  }

  #endpoint(record: SessionRecord): AgentEndpoint {
    if (this.#container.deleted) {
      const deleted = () => Promise.reject(new Error("the session was deleted"));
      return { fetch: deleted, openSocket: deleted };
    }
    return agentEndpoint(this.#host.env, record.id, record.config.timeoutSeconds, this.#host.ctx.storage);
  }
}
