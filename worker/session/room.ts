/**
 * SessionRoom: one Durable Object per session. It owns the lifecycle, the events log, the input queue,
 * the Yjs transcript (server-authoritative: every browser connection is read-only) and the link to the
 * session's agent. The API calls its RPC methods after checking the caller's role.
 */

import type { Connection } from "partyserver";
import * as Y from "yjs";
import { idleStopMinutes } from "../db/workspaces";
import type { Env } from "../env";
import type { FromAgentFrame } from "../protocol/agent";
import { firstMessageFor } from "../protocol/workflows";
import { REDACTED } from "../secrets";
import { applyAgentFrame, type FrameEffects } from "./agent-frames";
import { agentEndpoint } from "./agent-link";
import { AgentRun } from "./agent-run";
import { ArtifactTooLarge, artifactKey, copyArtifact, deleteArtifacts, isSafeArtifactName } from "./artifacts";
import { dueAction, nextClockAt } from "./clock";
import { droppedReason, NotificationQueue } from "./notifications";
import type { ConnectionIdentity } from "./connections";
import { AGENT_PHASES, canApply, INPUT_PHASES } from "./lifecycle";
import { sessionView, type Actor, type SessionRecord, type SessionView } from "./record";
import { SessionIndex } from "./session-index";
import { SessionState, type SessionInit, type SessionPatch } from "./state";
import { gone, ok, refused, wrongPhase, type RoomResult } from "./room-result";
import { LeadingEdgeThrottle } from "./throttle";
import { ViewerRoom } from "./viewer-room";
import { RoomStore, type Input, type SessionEvent } from "./storage";
import { Transcript, transcriptToHistory, transcriptToJSON, type TranscriptMessage } from "./transcript";


export class SessionRoom extends ViewerRoom {
  static options = { hibernate: true };

  readonly #store: RoomStore;
  /** Outgoing callbacks on phase changes, sent (and retried) from the alarm. */
  readonly #notifications: NotificationQueue;
  readonly #state: SessionState;
  /** Streamed deltas go out at once while the room is under its frame budget, together only under pressure. */
  readonly #throttle: LeadingEdgeThrottle<FromAgentFrame>;
  /** The agent of the current run: its link, its workspace archives, its redaction, and how its run ends. */
  readonly #agent: AgentRun;
  /** The session's row in D1, kept in step with the record (and retried from the alarm until it lands). */
  readonly #index: SessionIndex;

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    this.#store = new RoomStore(ctx.storage);
    this.#notifications = new NotificationQueue(ctx.storage.sql);
    this.#index = new SessionIndex(env.DB, ctx.storage.sql, () => this.ctx.waitUntil(this.#scheduleAlarm()));
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
      indexChanged: (record) => this.ctx.waitUntil(this.#index.write(record)),
      idleChanged: (record) => this.ctx.waitUntil(this.#idleClockChanged(record)),
    });
    // One flush costs a frame per viewer socket of the room and a relay per shard (ViewerRoom.fanOut).
    this.#throttle = new LeadingEdgeThrottle((frames) => this.#applyFrames(frames), () => this.fanOut(), this.frameBudget());
    this.#agent = new AgentRun({
      env,
      ctx,
      state: this.#state,
      store: this.#store,
      history: () => transcriptToHistory(this.document),
      onFrame: (frame) => this.#throttle.push(frame, frame.type === "text_delta" || frame.type === "thinking_delta"),
      flushFrames: (endOfStreams) => {
        this.#throttle.flush();
        if (endOfStreams) this.#applyHeldText();
      },
      onConnected: () => this.#sendPendingInputs(),
      scheduleAlarm: () => this.ctx.waitUntil(this.#scheduleAlarm()),
    });
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
    if (record && AGENT_PHASES.has(record.phase)) this.ctx.waitUntil(this.#agent.connect());
  }

  /** A viewer whose credential expires (an Access JWT) moves the alarm: its socket closes then. */
  protected viewerJoined(connection: Connection, identity: ConnectionIdentity): void {
    super.viewerJoined(connection, identity);
    if (identity.expiresAt !== null) this.ctx.waitUntil(this.#scheduleAlarm());
  }

  /** One alarm serves the session's clocks (clock.ts: timeout, idle stop, a stop's deadline), the callbacks due, the D1 index retry and the sockets' credentials. */
  async onAlarm(): Promise<void> {
    this.connections.closeExpired(Date.now());
    await this.#index.retryIfDue(this.#state.record, Date.now());
    const { dropped } = await this.#notifications.flush(this.env);
    for (const entry of dropped) this.#store.appendEvent({ at: Date.now(), type: "notification_dropped", reason: droppedReason(entry) });
    this.#runDueClock();
    await this.#scheduleAlarm();
  }

  // ---- RPC (called by the API after authorization) -------------------------------------------

  create(init: SessionInit & { prompt?: string }): RoomResult<SessionView> {
    if (this.#state.record) return refused("exists", "session exists");
    const { prompt, ...fields } = init;
    const record = this.#state.create(fields, Date.now());
    const first = firstMessageFor(this.#state.workflow(), prompt);
    const author = init.origin.kind === "trigger" ? { id: `trigger:${init.origin.triggerId}`, name: init.origin.triggerName } : init.createdBy;
    if (first) this.#queueInput(first, author);
    const view = sessionView(record, Date.now());
    if (record.awaitingApproval) this.#store.appendEvent({ at: Date.now(), type: "awaiting_approval", reason: "an owner or editor must approve it before it starts" });
    else this.ctx.waitUntil(this.#agent.provision());
    return ok(view);
  }

  /** Starts a session that waits for approval (a trigger's, with `requireApproval`). */
  approve(actor: Actor): RoomResult<SessionView> {
    const record = this.#state.record;
    if (!record) return gone;
    if (!canApply(record.phase, "provision")) return wrongPhase(record.phase, "approve");
    if (!record.awaitingApproval) {
      return refused("not_awaiting_approval", "this session does not wait for approval", record.phase);
    }
    this.#state.approve(actor);
    const view = sessionView(record, Date.now());
    this.ctx.waitUntil(this.#agent.provision());
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
    return ok({ seq: input.seq, queued: record.phase !== "Running" || record.agentStatus === "working" || !this.#agent.connected });
  }

  stop(actor: Actor): RoomResult<SessionView> {
    const record = this.#state.record;
    if (!record) return gone;
    if (!this.#state.apply("stop", { actor: actor.name })) return wrongPhase(record.phase, "stop");
    // The agent cancels what runs, saves the workspace and answers `stopped`; without an agent nothing waits.
    this.#agent.end({ event: "stopped", reason: "agent stopped" });
    return ok(sessionView(record, Date.now()));
  }

  /** A new run from Stopped, Failed or Completed: same transcript, and the saved workspace instead of a clone. */
  resume(actor: Actor): RoomResult<SessionView> {
    const record = this.#state.record;
    if (!record) return gone;
    if (!this.#state.apply("resume", { actor: actor.name })) return wrongPhase(record.phase, "resume");
    const view = sessionView(record, Date.now());
    this.ctx.waitUntil(this.#agent.provision());
    return ok(view);
  }

  /** Removes everything of the session this object holds: agent, sockets (shards' too), artifacts and archives, alarm, storage. */
  async destroy(): Promise<void> {
    this.#agent.release("session deleted");
    await this.closeViewers(4404, "session deleted");
    const id = this.#state.record?.id;
    this.#state.forget();
    if (id) await deleteArtifacts(this.env.ARTIFACTS, id);
    await this.ctx.storage.deleteAlarm();
    await this.ctx.storage.deleteAll();
  }

  // ---- the agent's frames --------------------------------------------------------------------

  #applyFrames(frames: FromAgentFrame[]): void {
    const record = this.#state.record;
    if (!record) return;
    const now = Date.now();
    this.document.transact(() => {
      for (const frame of frames) {
        if (!this.#state.run.acceptFrame(frame.seq)) continue;
        // The agent redacts too; this is the line a secret must never cross whatever the agent does.
        for (const redacted of this.#agent.redaction.frames(frame)) applyAgentFrame(redacted, this.#state, this.#store, this.#frameEffects, now);
      }
    });
    this.#state.save();
    this.#agent.scheduleAck();
  }

  /** Streamed text the redaction held back (it could have become a secret): the agent is gone, so it is shown. */
  #applyHeldText(): void {
    const held = this.#agent.redaction.release();
    if (held.length === 0) return;
    const now = Date.now();
    this.document.transact(() => {
      for (const frame of held) applyAgentFrame(frame, this.#state, this.#store, this.#frameEffects, now);
    });
  }

  readonly #frameEffects: FrameEffects = {
    agentReady: () => this.#sendPendingInputs(),
    agentFinished: (event, reason) => this.#agent.agentDone(event, reason),
    artifactWritten: (name, size) => {
      if (isSafeArtifactName(name)) this.ctx.waitUntil(this.#keepArtifact(name, size));
      else this.#store.appendEvent({ at: Date.now(), type: "invalid_frame", reason: `artifact name refused: ${name.slice(0, 100)}` });
    },
    workspaceArchived: (size, overLimit) => this.#agent.workspaceArchived(size, overLimit),
    agentSaving: () => this.#agent.agentSaving(),
  };

  /** Listed once its bytes are in R2, so a listed artifact can always be downloaded. */
  async #keepArtifact(name: string, reportedSize: number): Promise<void> {
    const record = this.#state.record;
    if (!record) return;
    try {
      const agent = agentEndpoint(this.env, record.id, record.config.timeoutSeconds, this.ctx.storage);
      const copy = await copyArtifact(this.env.ARTIFACTS, agent, record.id, name, this.#agent.redaction.secrets);
      // Deleted while it streamed: the session's prefix is already gone, so this copy goes too.
      if (!this.#state.record) return void (copy.kept && (await this.env.ARTIFACTS.delete(artifactKey(record.id, name))));
      if (!copy.kept) {
        this.#store.appendEvent({ at: Date.now(), type: copy.code, reason: copy.reason });
        return;
      }
      if (copy.redacted) this.#store.appendEvent({ at: Date.now(), type: "artifact_redacted", reason: `artifact ${name}: workspace secrets replaced by ${REDACTED}` });
      this.#store.putArtifact(name, copy.size, Date.now());
      this.#state.transcript?.setInfo({ artifacts: this.#store.artifacts() });
    } catch (err) {
      const reason = `artifact ${name} (${reportedSize} bytes) not kept: ${err instanceof Error ? err.message : String(err)}`;
      this.#store.appendEvent({ at: Date.now(), type: err instanceof ArtifactTooLarge ? "artifact_too_large" : "artifact_error", reason });
    }
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
    if (kind === "answer") this.#agent.send({ type: "answer", seq, text, author });
    else this.#agent.send({ type: "user_message", seq, text, author });
  }

  // ---- time and the index ---------------------------------------------------------------------

  /** The alarm rings at the earliest of the session's clocks, the next callback due, the index retry and the next socket's expiry. */
  async #scheduleAlarm(): Promise<void> {
    const now = Date.now();
    const times = [nextClockAt(this.#state.record, now), this.#notifications.nextDueAt(), this.#index.nextDueAt(), this.connections.nextExpiry()].filter(
      (at): at is number => at !== null,
    );
    if (times.length > 0) await this.ctx.storage.setAlarm(Math.min(...times));
    else await this.ctx.storage.deleteAlarm();
  }

  /** Timeout: the agent stops, its workspace is saved, then Failed. Idle stop: Stopping → Stopped, reason idle. */
  #runDueClock(): void {
    const record = this.#state.record;
    // The watch: a room that restarted with nobody watching reattaches to its agent.
    if (record && AGENT_PHASES.has(record.phase) && !this.#agent.linked) this.ctx.waitUntil(this.#agent.connect());
    switch (dueAction(record, Date.now())) {
      case "ending_overdue":
        return this.#agent.endingOverdue();
      case "timeout":
        return this.#agent.end({ event: "fail", reason: "timeout" });
      case "idle_stop":
        if (this.#state.apply("stop", { reason: "idle" })) this.#agent.end({ event: "stopped", reason: "idle" });
        return;
    }
  }

  /** The idle clock started (the workspace's idleStopMinutes is read again, it may have changed) or stopped. */
  async #idleClockChanged(record: SessionRecord): Promise<void> {
    if (record.idleSince !== null) {
      try {
        this.#state.setIdleStopMinutes(await idleStopMinutes(this.env.DB, record.workspaceId));
      } catch (err) {
        console.error("idle stop setting not read", err);
      }
    }
    await this.#scheduleAlarm();
  }
}
