/**
 * SessionRoom: one Durable Object per session. It owns the lifecycle, the events log, the input queue,
 * the Yjs transcript (server-authoritative: every browser connection is read-only) and the link to the
 * session's agent. The API calls its RPC methods after checking the caller's role.
 */
import * as Y from "yjs";
import type { Env } from "../env";
import type { FromAgentFrame } from "../protocol/agent";
import { firstMessageFor } from "../protocol/workflows";
import { loadWorkspaceSecrets, redactDeep } from "../secrets";
import { applyAgentFrame, type FrameEffects } from "./agent-frames";
import { AgentLink, agentEndpoint } from "./agent-link";
import { copyArtifact, deleteArtifacts, isSafeArtifactName } from "./artifacts";
import { NotificationQueue } from "./notifications";
import { ACTIVE_PHASES, AGENT_PHASES, INPUT_PHASES, type LifecycleEvent, type Phase } from "./lifecycle";
import { remainingMs, sessionView, type Actor, type SessionRecord, type SessionView } from "./record";
import { SessionState, type SessionInit, type SessionPatch } from "./state";
import { LeadingEdgeThrottle } from "./throttle";
import { ViewerRoom } from "./viewer-room";
import { RoomStore, type Input, type SessionEvent } from "./storage";
import { Transcript, transcriptToHistory, transcriptToJSON, type TranscriptMessage } from "./transcript";

export type { SessionInit, SessionPatch } from "./state";
export type RoomError = { status: 404 | 409; code: string; message: string; phase?: Phase };
export type RoomResult<T> = { ok: true; value: T } | { ok: false; error: RoomError };

const ok = <T>(value: T): RoomResult<T> => ({ ok: true, value });
const gone: RoomResult<never> = { ok: false, error: { status: 404, code: "not_found", message: "session not found" } };
const wrongPhase = (phase: Phase, action: string): RoomResult<never> => ({
  ok: false,
  error: { status: 409, code: "invalid_transition", message: `cannot ${action} a session that is ${phase}`, phase },
});

export class SessionRoom extends ViewerRoom {
  static options = { hibernate: true };

  readonly #store: RoomStore;
  /** Outgoing callbacks on phase changes, sent (and retried) from the alarm. */
  readonly #notifications: NotificationQueue;
  readonly #state: SessionState;
  /** Streamed deltas go out at once while the room is under its frame budget, together only under pressure. */
  readonly #throttle: LeadingEdgeThrottle<FromAgentFrame>;
  #link: AgentLink | null = null;
  /** The agent connection being opened, if any: a stop must wait for it rather than be lost. */
  #connecting: Promise<void> | null = null;
  #ackTimer: ReturnType<typeof setTimeout> | null = null;
  /** The workspace's secret values the agent was given: redacted from whatever it sends back. */
  #secretValues: string[] = [];
  #indexWrites: Promise<unknown> = Promise.resolve();

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    this.#store = new RoomStore(ctx.storage.sql);
    this.#notifications = new NotificationQueue(ctx.storage.sql);
    this.#state = new SessionState(this.#store, {
      phaseChanged: (record, change) => {
        // Queued in the same synchronous turn as the change: a phase change is never announced twice or lost.
        this.#notifications.enqueue({
          sessionId: record.id,
          workspaceId: record.workspaceId,
          triggerId: record.origin.kind === "trigger" ? record.origin.triggerId : null,
          phase: record.phase,
          previousPhase: change.previousPhase,
          at: record.updatedAt,
          reason: change.reason,
          actor: change.actor,
        });
        this.ctx.waitUntil(this.#scheduleAlarm());
      },
      indexChanged: (record) => this.#syncIndex(record),
    });
    // One flush costs a frame per viewer socket of the room and a relay per shard (ViewerRoom.fanOut).
    this.#throttle = new LeadingEdgeThrottle((frames) => this.#applyFrames(frames), () => this.fanOut(), this.frameBudget());
  }

  // ---- YServer hooks ----------------------------------------------------------------------------

  async onLoad(): Promise<Y.Doc> {
    const doc = new Y.Doc();
    for (const update of this.#store.document.updates()) Y.applyUpdate(doc, update);
    return doc;
  }

  async onStart(): Promise<void> {
    await super.onStart();
    this.#state.attach(new Transcript(this.document));
    // Appended in the same synchronous turn as the change that caused it: no window in which it can be lost.
    this.document.on("update", (update: Uint8Array) => {
      this.#store.document.append(update);
      if (this.#store.document.needsCompaction()) this.#store.document.compact(this.document);
    });
    const record = this.#state.record;
    // After a restart the agent may still be working: reattach; it replays what was not acknowledged.
    if (record && AGENT_PHASES.has(record.phase)) this.ctx.waitUntil(this.#connectAgent());
  }

  /** One alarm serves two clocks: the timeout budget and the callbacks due. */
  async onAlarm(): Promise<void> {
    const { dropped } = await this.#notifications.flush(this.env);
    for (const entry of dropped) {
      this.#store.appendEvent({ at: Date.now(), type: "notification_dropped", reason: `gave up on ${new URL(entry.url).host} after ${entry.attempts + 1} attempts` });
    }
    const record = this.#state.record;
    if (record && ACTIVE_PHASES.has(record.phase) && remainingMs(record, Date.now()) <= 0) {
      await this.#connecting;
      this.#link?.send({ type: "stop" });
      this.#closeAgent("timeout");
      this.#state.setAgentStatus("idle");
      this.#state.apply(record.phase === "Stopping" ? "stopped" : "fail", { reason: "timeout" });
    }
    await this.#scheduleAlarm();
  }

  // ---- RPC (called by the API after authorization) -------------------------------------------

  create(init: SessionInit & { prompt?: string }): RoomResult<SessionView> {
    if (this.#state.record) return { ok: false, error: { status: 409, code: "exists", message: "session exists" } };
    const { prompt, ...fields } = init;
    const record = this.#state.create(fields, Date.now());
    const first = firstMessageFor(this.#state.workflow(), prompt);
    const author = init.origin.kind === "trigger" ? { id: `trigger:${init.origin.triggerId}`, name: init.origin.triggerName } : init.createdBy;
    if (first) this.#queueInput(first, author);
    const view = sessionView(record, Date.now());
    this.ctx.waitUntil(this.#provision());
    return ok(view);
  }

  get(): RoomResult<SessionView> {
    const record = this.#state.record;
    return record ? ok(sessionView(record, Date.now())) : gone;
  }

  events(): RoomResult<SessionEvent[]> {
    return this.#state.record ? ok(this.#store.events()) : gone;
  }

  transcript(): RoomResult<TranscriptMessage[]> {
    return this.#state.record ? ok(transcriptToJSON(this.document)) : gone;
  }

  artifacts(): RoomResult<{ name: string; size: number; updatedAt: number }[]> {
    return this.#state.record ? ok(this.#store.artifacts()) : gone;
  }

  update(patch: SessionPatch, actor: Actor): RoomResult<SessionView> {
    const record = this.#state.record;
    if (!record) return gone;
    const changesSetup = patch.repos !== undefined || patch.workflow !== undefined;
    if (changesSetup && AGENT_PHASES.has(record.phase)) return wrongPhase(record.phase, "change repositories or workflow of");
    this.#state.update(patch, actor);
    return ok(sessionView(record, record.updatedAt));
  }

  postMessage(text: string, author: Actor): RoomResult<{ seq: number; queued: boolean }> {
    const record = this.#state.record;
    if (!record) return gone;
    if (!INPUT_PHASES.has(record.phase)) return wrongPhase(record.phase, "send a message to");
    const input = this.#queueInput(text, author);
    return ok({ seq: input.seq, queued: record.phase !== "Running" || record.agentStatus === "working" || !this.#link?.connected });
  }

  stop(actor: Actor): RoomResult<SessionView> {
    const record = this.#state.record;
    if (!record) return gone;
    if (!this.#state.apply("stop", { actor: actor.name })) return wrongPhase(record.phase, "stop");
    // The agent finishes its current turn and answers `stopped`; without an agent there is nothing to wait for.
    if (!this.#link?.send({ type: "stop" })) {
      this.#closeAgent("stopped");
      this.#state.apply("stopped", { reason: "no agent connected" });
    }
    return ok(sessionView(record, Date.now()));
  }

  resume(actor: Actor): RoomResult<SessionView> {
    const record = this.#state.record;
    if (!record) return gone;
    if (!this.#state.apply("resume", { actor: actor.name })) return wrongPhase(record.phase, "resume");
    const view = sessionView(record, Date.now());
    this.ctx.waitUntil(this.#provision());
    return ok(view);
  }

  /** Removes everything of the session this object holds: agent, sockets (shards' too), artifacts, alarm, storage. */
  async destroy(): Promise<void> {
    this.#closeAgent("session deleted");
    await this.closeViewers(4404, "session deleted");
    const id = this.#state.record?.id;
    this.#state.forget();
    if (id) await deleteArtifacts(this.env.ARTIFACTS, id);
    await this.ctx.storage.deleteAlarm();
    await this.ctx.storage.deleteAll();
  }

  // ---- the agent ------------------------------------------------------------------------------

  async #provision(): Promise<void> {
    const record = this.#state.record;
    if (!record || !this.#state.apply("provision", {})) return;
    // A fresh agent run numbers its frames from 1 again.
    record.agentSeq = 0;
    this.#state.save();
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
    const record = this.#state.record;
    if (!record) return;
    this.#link?.close();
    const link = new AgentLink(agentEndpoint(this.env, record.id, record.config.timeoutSeconds).openSocket, {
      startFrame: async () => {
        const secrets = await loadWorkspaceSecrets(this.env, record.workspaceId);
        this.#secretValues = Object.values(secrets);
        return {
          type: "start",
          sessionId: record.id,
          config: record.config,
          workflow: this.#state.workflow(),
          repos: record.repos,
          secrets,
          history: transcriptToHistory(this.document),
          ackedUpTo: record.agentSeq,
        };
      },
      onFrame: (frame) => this.#throttle.push(frame, frame.type === "text_delta" || frame.type === "thinking_delta"),
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
    const record = this.#state.record;
    this.#closeAgent(reason);
    if (!record) return;
    this.#store.appendEvent({ at: Date.now(), type: "agent_lost", reason });
    this.#state.apply(record.phase === "Stopping" ? "stopped" : "fail", { reason });
  }

  #closeAgent(reason: string): void {
    this.#throttle.flush();
    this.#link?.close(reason);
    this.#link = null;
  }

  #applyFrames(frames: FromAgentFrame[]): void {
    const record = this.#state.record;
    if (!record) return;
    const now = Date.now();
    this.document.transact(() => {
      for (const frame of frames) {
        if (frame.seq <= record.agentSeq) continue;
        record.agentSeq = frame.seq;
        // The agent redacts too; this is the line a secret must never cross whatever the agent does.
        applyAgentFrame(redactDeep(frame, this.#secretValues), this.#state, this.#store, this.#frameEffects, now);
      }
    });
    this.#state.save();
    this.#scheduleAck();
  }

  readonly #frameEffects: FrameEffects = {
    agentReady: () => this.#sendPendingInputs(),
    agentFinished: (event, reason) => this.#finishAgent(event, reason),
    artifactWritten: (name, size) => {
      if (isSafeArtifactName(name)) this.ctx.waitUntil(this.#keepArtifact(name, size));
      else this.#store.appendEvent({ at: Date.now(), type: "invalid_frame", reason: `artifact name refused: ${name.slice(0, 100)}` });
    },
  };

  #finishAgent(event: LifecycleEvent, reason: string): void {
    this.#state.setAgentStatus("idle");
    this.#state.apply(event, { reason });
    // Closed after the applied frames are acknowledged, so the agent does not replay them.
    this.#sendAck();
    const link = this.#link;
    this.#link = null;
    link?.close(reason);
  }

  /** Listed once its bytes are in R2, so a listed artifact can always be downloaded. */
  async #keepArtifact(name: string, reportedSize: number): Promise<void> {
    const record = this.#state.record;
    if (!record) return;
    try {
      const size = await copyArtifact(this.env.ARTIFACTS, agentEndpoint(this.env, record.id, record.config.timeoutSeconds), record.id, name);
      this.#store.putArtifact(name, size, Date.now());
      this.#state.transcript?.setInfo({ artifacts: this.#store.artifacts() });
    } catch (err) {
      const reason = `artifact ${name} (${reportedSize} bytes) not kept: ${err instanceof Error ? err.message : String(err)}`;
      this.#store.appendEvent({ at: Date.now(), type: "artifact_error", reason });
    }
  }

  #scheduleAck(): void {
    this.#ackTimer ??= setTimeout(() => this.#sendAck(), 20);
  }

  #sendAck(): void {
    if (this.#ackTimer) clearTimeout(this.#ackTimer);
    this.#ackTimer = null;
    const record = this.#state.record;
    if (record) this.#link?.send({ type: "ack", upTo: record.agentSeq });
  }

  // ---- input ----------------------------------------------------------------------------------

  #queueInput(text: string, author: Actor): Input {
    const input = this.#state.enqueueInput(text, author);
    if (this.#state.record?.phase === "Running") this.#sendInput(input);
    return input;
  }

  #sendPendingInputs(): void {
    if (this.#state.record?.phase !== "Running") return;
    for (const input of this.#store.pendingInputs()) this.#sendInput(input);
  }

  #sendInput({ seq, kind, text, authorName: author }: Input): void {
    if (kind === "answer") this.#link?.send({ type: "answer", seq, text, author });
    else this.#link?.send({ type: "user_message", seq, text, author });
  }

  // ---- time and the index ---------------------------------------------------------------------

  /** The alarm rings at the earlier of the end of the timeout budget (active phases only) and the next callback due. */
  async #scheduleAlarm(): Promise<void> {
    const record = this.#state.record;
    const now = Date.now();
    const timeoutAt = record && ACTIVE_PHASES.has(record.phase) ? now + Math.max(0, remainingMs(record, now)) : null;
    const times = [timeoutAt, this.#notifications.nextDueAt()].filter((at): at is number => at !== null);
    if (times.length > 0) await this.ctx.storage.setAlarm(Math.min(...times));
    else await this.ctx.storage.deleteAlarm();
  }

  /** The D1 index follows the DO (the truth); writes are chained so they land in order. */
  #syncIndex(record: SessionRecord): void {
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
