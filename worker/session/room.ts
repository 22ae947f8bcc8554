/**
 * SessionRoom: one Durable Object per session. It owns the lifecycle, the events log, the input queue,
 * the Yjs transcript (server-authoritative: every browser connection is read-only) and the link to the
 * session's agent. The API calls its RPC methods after checking the caller's role.
 */
import type { Connection, ConnectionContext } from "partyserver";
import { YServer } from "y-partyserver";
import * as Y from "yjs";
import type { Env } from "../env";
import type { FromAgentFrame } from "../protocol/agent";
import type { Workflow } from "../protocol/session-config";
import { BUILTIN_WORKFLOW_DEFINITIONS, firstMessageFor } from "../protocol/workflows";
import { AgentLink, agentEndpoint } from "./agent-link";
import { copyArtifact, deleteArtifacts, isSafeArtifactName } from "./artifacts";
import { DeltaBatcher } from "./batcher";
import { ACTIVE_PHASES, AGENT_PHASES, transition, type LifecycleEvent, type Phase } from "./lifecycle";
import { activeMs, remainingMs, sessionView, type Actor, type SessionRecord, type SessionView } from "./record";
import { RoomStore, type SessionEvent } from "./storage";
import { Transcript, transcriptToHistory, transcriptToJSON, type TranscriptMessage } from "./transcript";

export type RoomError = { status: 404 | 409; code: string; message: string; phase?: Phase };
export type RoomResult<T> = { ok: true; value: T } | { ok: false; error: RoomError };

export type SessionInit = Omit<
  SessionRecord,
  "phase" | "agentStatus" | "step" | "activeMs" | "activeSince" | "agentSeq" | "inputSeq" | "consumedSeq" | "updatedAt"
> & { prompt?: string };

export type SessionPatch = Partial<Pick<SessionRecord, "displayName" | "repos" | "workflow">>;

const ok = <T>(value: T): RoomResult<T> => ({ ok: true, value });
const gone: RoomResult<never> = { ok: false, error: { status: 404, code: "not_found", message: "session not found" } };
const wrongPhase = (phase: Phase, action: string): RoomResult<never> => ({
  ok: false,
  error: { status: 409, code: "invalid_transition", message: `cannot ${action} a session that is ${phase}`, phase },
});

export class SessionRoom extends YServer<Env> {
  static options = { hibernate: true };

  #store: RoomStore;
  #record: SessionRecord | null;
  #transcript: Transcript | null = null;
  #link: AgentLink | null = null;
  /** The agent connection being opened, if any: a stop must wait for it rather than be lost. */
  #connecting: Promise<void> | null = null;
  #batcher: DeltaBatcher<FromAgentFrame>;
  #ackTimer: ReturnType<typeof setTimeout> | null = null;
  #indexWrites: Promise<unknown> = Promise.resolve();

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    this.#store = new RoomStore(ctx.storage.sql);
    this.#record = this.#store.loadSession();
    this.#batcher = new DeltaBatcher((frames) => this.#applyFrames(frames), () => this.#viewerCount());
  }

  // ---- YServer hooks ----------------------------------------------------------------------------

  async onLoad(): Promise<Y.Doc> {
    const doc = new Y.Doc();
    for (const update of this.#store.updates()) Y.applyUpdate(doc, update);
    return doc;
  }

  async onStart(): Promise<void> {
    await super.onStart();
    this.#transcript = new Transcript(this.document);
    // Appended in the same synchronous turn as the change that caused it: no window in which it can be lost.
    this.document.on("update", (update: Uint8Array) => {
      this.#store.appendUpdate(update);
      if (this.#store.needsCompaction()) this.#store.compact(Y.encodeStateAsUpdate(this.document));
    });
    const record = this.#record;
    // After an eviction the agent may still be working: reattach; it replays what we did not acknowledge.
    if (record && AGENT_PHASES.has(record.phase)) this.ctx.waitUntil(this.#connectAgent());
  }

  isReadOnly(): boolean {
    return true;
  }

  onConnect(connection: Connection, ctx: ConnectionContext): void {
    connection.setState({ userId: ctx.request.headers.get("x-tandem-user-id") });
    super.onConnect(connection, ctx);
  }

  async onAlarm(): Promise<void> {
    const record = this.#record;
    if (!record || !ACTIVE_PHASES.has(record.phase)) return;
    const left = remainingMs(record, Date.now());
    if (left > 0) {
      await this.ctx.storage.setAlarm(Date.now() + left);
      return;
    }
    await this.#connecting;
    this.#link?.send({ type: "stop" });
    this.#closeAgent("timeout");
    this.#setAgentStatus("idle");
    this.#apply(record.phase === "Stopping" ? "stopped" : "fail", { reason: "timeout" });
  }

  // ---- RPC (called by the API after authorization) -------------------------------------------

  create(init: SessionInit): RoomResult<SessionView> {
    if (this.#record) return { ok: false, error: { status: 409, code: "exists", message: "session exists" } };
    const { prompt, ...fields } = init;
    const now = Date.now();
    const record: SessionRecord = {
      ...fields,
      updatedAt: now,
      phase: "Pending",
      agentStatus: "idle",
      step: null,
      activeMs: 0,
      activeSince: null,
      agentSeq: 0,
      inputSeq: 0,
      consumedSeq: 0,
    };
    this.#record = record;
    this.#store.saveSession(record);
    this.#store.appendEvent({ at: now, type: "created", phase: "Pending", actor: init.createdBy.name });
    this.#publishInfo();
    const first = firstMessageFor(this.#workflow(), prompt);
    const author = init.origin.kind === "trigger" ? { id: `trigger:${init.origin.triggerId}`, name: init.origin.triggerName } : init.createdBy;
    if (first) this.#enqueueInput(first, author);
    const view = sessionView(record, now);
    this.ctx.waitUntil(this.#provision());
    return ok(view);
  }

  get(): RoomResult<SessionView> {
    return this.#record ? ok(sessionView(this.#record, Date.now())) : gone;
  }

  events(): RoomResult<SessionEvent[]> {
    return this.#record ? ok(this.#store.events()) : gone;
  }

  transcript(): RoomResult<TranscriptMessage[]> {
    return this.#record ? ok(transcriptToJSON(this.document)) : gone;
  }

  artifacts(): RoomResult<{ name: string; size: number; updatedAt: number }[]> {
    return this.#record ? ok(this.#store.artifacts()) : gone;
  }

  update(patch: SessionPatch, actor: Actor): RoomResult<SessionView> {
    const record = this.#record;
    if (!record) return gone;
    const changesSetup = patch.repos !== undefined || patch.workflow !== undefined;
    if (changesSetup && AGENT_PHASES.has(record.phase)) return wrongPhase(record.phase, "change repositories or workflow of");
    Object.assign(record, patch, { updatedAt: Date.now() });
    this.#store.saveSession(record);
    this.#store.appendEvent({ at: record.updatedAt, type: "updated", actor: actor.name, reason: Object.keys(patch).join(", ") });
    this.#publishInfo();
    this.#syncIndex();
    return ok(sessionView(record, record.updatedAt));
  }

  postMessage(text: string, author: Actor): RoomResult<{ seq: number; queued: boolean }> {
    const record = this.#record;
    if (!record) return gone;
    if (!["Pending", "Creating", "Running"].includes(record.phase)) return wrongPhase(record.phase, "send a message to");
    const seq = this.#enqueueInput(text, author);
    return ok({ seq, queued: record.phase !== "Running" || record.agentStatus === "working" || !this.#link?.connected });
  }

  stop(actor: Actor): RoomResult<SessionView> {
    const record = this.#record;
    if (!record) return gone;
    if (!this.#apply("stop", { actor: actor.name })) return wrongPhase(record.phase, "stop");
    // The agent finishes its current turn and answers `stopped`; without an agent there is nothing to wait for.
    if (!this.#link?.send({ type: "stop" })) {
      this.#closeAgent("stopped");
      this.#apply("stopped", { reason: "no agent connected" });
    }
    return ok(sessionView(record, Date.now()));
  }

  resume(actor: Actor): RoomResult<SessionView> {
    const record = this.#record;
    if (!record) return gone;
    if (!this.#apply("resume", { actor: actor.name })) return wrongPhase(record.phase, "resume");
    const view = sessionView(record, Date.now());
    this.ctx.waitUntil(this.#provision());
    return ok(view);
  }

  /** Removes everything of the session this object holds: agent, sockets, alarm, storage. */
  async destroy(): Promise<void> {
    this.#closeAgent("session deleted");
    for (const connection of this.getConnections()) connection.close(4404, "session deleted");
    const id = this.#record?.id;
    this.#record = null;
    if (id) await deleteArtifacts(this.env.ARTIFACTS, id);
    await this.ctx.storage.deleteAlarm();
    await this.ctx.storage.deleteAll();
  }

  // ---- lifecycle ------------------------------------------------------------------------------

  /** Applies a lifecycle event; false when the current phase does not allow it. */
  #apply(event: LifecycleEvent, detail: { actor?: string; reason?: string }): boolean {
    const record = this.#record;
    if (!record) return false;
    const next = transition(record.phase, event);
    if (!next.ok) return false;
    const now = Date.now();
    const wasActive = ACTIVE_PHASES.has(record.phase);
    const isActive = ACTIVE_PHASES.has(next.phase);
    if (wasActive && !isActive) {
      record.activeMs = activeMs(record, now);
      record.activeSince = null;
    } else if (!wasActive && isActive) {
      record.activeSince = now;
    }
    record.phase = next.phase;
    record.updatedAt = now;
    if (next.phase !== "Creating") record.step = null;
    if (!AGENT_PHASES.has(next.phase)) record.agentStatus = "idle";
    this.#store.saveSession(record);
    this.#store.appendEvent({ at: now, type: "phase", phase: next.phase, ...detail });
    this.#publishInfo();
    this.#syncIndex();
    if (isActive) this.ctx.waitUntil(this.ctx.storage.setAlarm(now + Math.max(0, remainingMs(record, now))));
    else if (wasActive) this.ctx.waitUntil(this.ctx.storage.deleteAlarm());
    return true;
  }

  async #provision(): Promise<void> {
    const record = this.#record;
    if (!record || !this.#apply("provision", {})) return;
    // A fresh agent run numbers its frames from 1 again.
    record.agentSeq = 0;
    this.#store.saveSession(record);
    await this.#connectAgent();
  }

  #connectAgent(): Promise<void> {
    const connecting = this.#openAgentLink().finally(() => {
      if (this.#connecting === connecting) this.#connecting = null;
    });
    this.#connecting = connecting;
    return connecting;
  }

  async #openAgentLink(): Promise<void> {
    const record = this.#record;
    if (!record) return;
    this.#link?.close();
    const link = new AgentLink(agentEndpoint(this.env, record.id).openSocket, {
      startFrame: () => ({
        type: "start",
        sessionId: record.id,
        config: record.config,
        workflow: this.#workflow(),
        repos: record.repos,
        secrets: {},
        history: transcriptToHistory(this.document),
        ackedUpTo: record.agentSeq,
      }),
      onFrame: (frame) => this.#batcher.push(frame, frame.type === "text_delta" || frame.type === "thinking_delta"),
      onConnected: () => this.#sendPendingInputs(),
      onLost: (reason) => this.#agentLost(reason),
      onInvalidFrame: (detail) => this.#store.appendEvent({ at: Date.now(), type: "invalid_frame", reason: detail }),
    });
    this.#link = link;
    try {
      await link.connect();
    } catch (err) {
      if (this.#link === link) this.#agentLost(`agent unreachable: ${err instanceof Error ? err.message : String(err)}`);
    }
  }

  #agentLost(reason: string): void {
    const record = this.#record;
    this.#closeAgent(reason);
    if (!record) return;
    this.#store.appendEvent({ at: Date.now(), type: "agent_lost", reason });
    this.#apply(record.phase === "Stopping" ? "stopped" : "fail", { reason });
  }

  #closeAgent(reason: string): void {
    this.#batcher.flush();
    this.#link?.close(reason);
    this.#link = null;
  }

  // ---- agent frames ---------------------------------------------------------------------------

  #applyFrames(frames: FromAgentFrame[]): void {
    const record = this.#record;
    const transcript = this.#transcript;
    if (!record || !transcript) return;
    const now = Date.now();
    this.document.transact(() => {
      for (const frame of frames) {
        if (frame.seq <= record.agentSeq) continue;
        record.agentSeq = frame.seq;
        this.#applyFrame(frame, record, transcript, now);
      }
    });
    this.#store.saveSession(record);
    this.#scheduleAck();
  }

  #applyFrame(frame: FromAgentFrame, record: SessionRecord, transcript: Transcript, now: number): void {
    switch (frame.type) {
      case "progress":
        record.step = frame.detail ?? frame.step;
        this.#store.appendEvent({ at: now, type: "progress", reason: record.step });
        this.#publishInfo();
        return;
      case "ready":
        this.#apply("ready", { reason: `agent ready (${frame.model} model)` });
        transcript.setInfo({ agentModel: frame.model });
        this.#sendPendingInputs();
        return;
      case "status":
        this.#setAgentStatus(frame.state);
        return;
      case "input_consumed":
        record.consumedSeq = Math.max(record.consumedSeq, frame.upTo);
        this.#store.markInputsConsumed(frame.upTo);
        transcript.markConsumed(frame.upTo);
        return;
      case "artifact":
        if (!isSafeArtifactName(frame.name)) {
          this.#store.appendEvent({ at: now, type: "invalid_frame", reason: `artifact name refused: ${frame.name.slice(0, 100)}` });
          return;
        }
        this.ctx.waitUntil(this.#keepArtifact(frame.name, frame.size));
        return;
      case "turn_end":
        return;
      case "turn_error":
        transcript.applyAgentFrame(frame, now);
        this.#store.appendEvent({ at: now, type: "turn_error", reason: frame.message });
        return;
      case "stopped":
        this.#finishAgent("stopped", "agent stopped");
        return;
      case "completed":
        this.#finishAgent("complete", "agent finished");
        return;
      case "error":
        this.#store.appendEvent({ at: now, type: "error", reason: frame.message });
        this.#finishAgent(record.phase === "Stopping" ? "stopped" : "fail", frame.message);
        return;
      default:
        transcript.applyAgentFrame(frame, now);
    }
  }

  #finishAgent(event: LifecycleEvent, reason: string): void {
    this.#setAgentStatus("idle");
    this.#apply(event, { reason });
    // Closed after the current frames are acknowledged, so the agent does not replay them.
    this.#sendAck();
    const link = this.#link;
    this.#link = null;
    link?.close(reason);
  }

  /** Listed once its bytes are in R2, so a listed artifact can always be downloaded. */
  async #keepArtifact(name: string, reportedSize: number): Promise<void> {
    const record = this.#record;
    if (!record) return;
    try {
      const size = await copyArtifact(this.env.ARTIFACTS, agentEndpoint(this.env, record.id), record.id, name);
      this.#store.putArtifact(name, size, Date.now());
      this.#transcript?.setInfo({ artifacts: this.#store.artifacts() });
    } catch (err) {
      const reason = `artifact ${name} (${reportedSize} bytes) not kept: ${err instanceof Error ? err.message : String(err)}`;
      this.#store.appendEvent({ at: Date.now(), type: "artifact_error", reason });
    }
  }

  #setAgentStatus(state: SessionRecord["agentStatus"]): void {
    const record = this.#record;
    if (!record || record.agentStatus === state) return;
    record.agentStatus = state;
    this.#store.saveSession(record);
    this.#transcript?.setInfo({ agentStatus: state });
    this.#syncIndex();
  }

  #scheduleAck(): void {
    this.#ackTimer ??= setTimeout(() => this.#sendAck(), 20);
  }

  #sendAck(): void {
    if (this.#ackTimer) clearTimeout(this.#ackTimer);
    this.#ackTimer = null;
    if (this.#record) this.#link?.send({ type: "ack", upTo: this.#record.agentSeq });
  }

  // ---- input queue ----------------------------------------------------------------------------

  #enqueueInput(text: string, author: Actor): number {
    const record = this.#record!;
    const seq = ++record.inputSeq;
    const kind = record.agentStatus === "waiting_input" ? "answer" : "message";
    const now = Date.now();
    this.#store.addInput({ seq, kind, text, authorId: author.id, authorName: author.name, consumed: false });
    this.#store.saveSession(record);
    this.#transcript?.addPersonMessage({ id: `input-${seq}`, author: author.name, text, createdAt: now, seq });
    if (record.phase === "Running") this.#sendInput(seq, kind, text, author.name);
    return seq;
  }

  #sendPendingInputs(): void {
    if (this.#record?.phase !== "Running") return;
    for (const input of this.#store.pendingInputs()) this.#sendInput(input.seq, input.kind, input.text, input.authorName);
  }

  #sendInput(seq: number, kind: "message" | "answer", text: string, author: string): void {
    if (kind === "answer") this.#link?.send({ type: "answer", seq, text, author });
    else this.#link?.send({ type: "user_message", seq, text, author });
  }

  // ---- helpers --------------------------------------------------------------------------------

  #workflow(): Workflow | null {
    const name = this.#record?.workflow;
    return name ? (BUILTIN_WORKFLOW_DEFINITIONS[name] ?? null) : null;
  }

  #viewerCount(): number {
    let count = 0;
    for (const _ of this.getConnections()) count++;
    return count;
  }

  /** Mirrors the session's state into the document's `session` map, which every viewer watches. */
  #publishInfo(): void {
    const record = this.#record;
    if (!record || !this.#transcript) return;
    this.#transcript.setInfo({
      id: record.id,
      name: record.displayName,
      phase: record.phase,
      agentStatus: record.agentStatus,
      step: record.step,
      config: record.config,
      repos: record.repos,
      workflow: record.workflow,
      origin: record.origin,
      timeoutSeconds: record.config.timeoutSeconds,
      activeMs: record.activeMs,
      activeSince: record.activeSince,
    });
  }

  /** The D1 index follows the DO (the truth); writes are chained so they land in order. */
  #syncIndex(): void {
    const record = this.#record;
    if (!record) return;
    const { phase, agentStatus, displayName, updatedAt, id } = record;
    this.#indexWrites = this.#indexWrites.then(() =>
      this.env.DB.prepare(`UPDATE sessions SET phase = ?, agent_status = ?, name = ?, updated_at = ? WHERE id = ?`)
        .bind(phase, agentStatus, displayName, updatedAt, id)
        .run()
        .catch((err: unknown) => console.error("session index update failed", err)),
    );
    this.ctx.waitUntil(this.#indexWrites);
  }
}
