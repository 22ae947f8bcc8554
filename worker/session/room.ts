/**
 * SessionRoom: one Durable Object per session, a state machine plus adapters. The room keeps only the
 * Durable Object's hooks (load, start, alarm, viewers joining) and the RPC surface the API calls (through
 * api/room.ts and sessions/rooms.ts, after checking the caller's role). The state machine is SessionState (state.ts, run-state.ts)
 * applying lifecycle.ts's table; the adapters are the agent run (agent-run.ts: link, frames, input;
 * workspace-saves.ts; run-ending.ts), the D1 index (session-index.ts), outgoing notifications, the
 * clocks (clock.ts) and the viewers (ViewerRoom: the read-only Yjs transcript and its shards).
 */

import type { Connection } from "partyserver";
import * as Y from "yjs";
import { idleStopMinutes } from "../db/workspaces";
import type { Env } from "../env";
import type { FromAgentFrame } from "../protocol/agent";
import { firstMessageFor } from "../protocol/workflows";
import { AgentRun } from "./agent-run";
import { pushChanges, sessionChanges, type GitRequester } from "./git-requests";
import { askWorkbench, workbenchLimit } from "./workbench";
import { keepSavedChanges, readSavedChanges } from "./saved-changes";
import type { Changes, PushBody, PushResult } from "../protocol/git";
import { deleteArtifacts } from "./artifacts";
import { dueAction, nextClockAt } from "./clock";
import { CallbackQueue, droppedReason } from "./callbacks";
import type { ConnectionIdentity } from "../viewers/connections";
import { AGENT_PHASES, canApply, INPUT_PHASES } from "../protocol/lifecycle";
import { sessionView, type Actor, type SessionRecord, type SessionView } from "./record";
import { reportUsage } from "./usage-ledger";
import { budgetStanding, newBudgetAlerts, stopRunningSessions } from "./budget";
import { SessionIndex } from "./session-index";
import { SessionState, type SessionInit, type SessionPatch, type SettingsPatch } from "./state";
import { decideApproval, type DecisionInput } from "./approvals";
import { gone, ok, refused, wrongPhase, type RoomResult } from "./room-result";
import { LeadingEdgeThrottle } from "../viewers/throttle";
import { ViewerRoom } from "../viewers/viewer-room";
import { RoomStore, type SessionEvent } from "./storage";
import { applyRoomSchema } from "./schema";
import { GuestViews } from "./guest-view";
import type { GuestView } from "../protocol/shares";
import {
  Transcript,
  settleMode,
  transcriptToHistory,
  transcriptToJSON,
  type TranscriptMessage,
} from "./transcript-doc";

export class SessionRoom extends ViewerRoom {
  static options = { hibernate: true };

  readonly #store: RoomStore;
  /** Outgoing callbacks on phase changes, sent (and retried) from the alarm. */
  readonly #callbacks: CallbackQueue;
  readonly #state: SessionState;
  /** Streamed deltas go out at once while the room is under its frame budget, together only under pressure. */
  readonly #throttle: LeadingEdgeThrottle<FromAgentFrame>;
  /** The agent of the current run (agent-run.ts): its link, frames, input, workspace archives and ending. */
  readonly #agent: AgentRun;
  /** The session's row in D1, kept in step with the record (and retried from the alarm until it lands). */
  readonly #index: SessionIndex;
  /** What guests with a share link read, kept per version of the document. */
  readonly #guests: GuestViews;
  /** The alarm's time as this object last wrote it (null: none); undefined when not known (a wake, a ring, a failed write). */
  #alarmAt: number | null | undefined = undefined;

  constructor(ctx: DurableObjectState, env: Env) {
    // Before the viewer side reads its table: every table first (schema.ts).
    applyRoomSchema(ctx.storage);
    super(ctx, env);
    this.#store = new RoomStore(ctx.storage);
    this.#callbacks = new CallbackQueue(ctx.storage.sql);
    this.#index = new SessionIndex(env.DB, ctx.storage.sql, () => this.ctx.waitUntil(this.#scheduleAlarm()));
    this.#state = new SessionState(this.#store, {
      phaseChanged: (record, change) => {
        // Queued in the same synchronous turn as the change: a phase change is never announced twice or lost.
        this.#callbacks.enqueue({
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
    this.#guests = new GuestViews({
      env,
      record: () => this.#state.record,
      events: () => this.#store.events(),
      messages: () => transcriptToJSON(this.document),
    });
    // One flush costs a frame per viewer socket of the room and a relay per shard (ViewerRoom.fanOut).
    this.#throttle = new LeadingEdgeThrottle(
      (frames) => this.#agent.applyFrames(frames),
      () => this.fanOut(),
      this.frameBudget(),
    );
    this.#agent = new AgentRun({
      env,
      ctx,
      state: this.#state,
      store: this.#store,
      history: () => transcriptToHistory(this.document),
      onFrame: (frame) =>
        this.#throttle.push(frame, frame.type === "text_delta" || frame.type === "thinking_delta"),
      flushFrames: () => this.#throttle.flush(),
      transact: (change) => this.document.transact(change),
      scheduleAlarm: () => this.ctx.waitUntil(this.#scheduleAlarm()),
      usageRecorded: () => this.ctx.waitUntil(this.#reportUsage()),
    });
  }

  #git(): GitRequester {
    return {
      record: this.#state.record,
      request: (path, init) => this.#agent.request(path, init),
      redact: (text) => this.#agent.redaction.secrets.text(text),
      redactDeep: (value) => this.#agent.redaction.secrets.deep(value),
      workbench: (action, push) => askWorkbench(this.env, this.ctx.storage, this.#state.record, action, push),
      workbenchLimit: (actor) => workbenchLimit(this.env, actor, this.#state.record),
      workbenchDone: () => this.#agent.benchDone(),
      keptChanges: async () => {
        const record = this.#state.record;
        return record?.savedWorkspace
          ? readSavedChanges(this.env.ARTIFACTS, record.id, record.savedWorkspace.savedAt)
          : null;
      },
      keepChanges: async (changes) => {
        const record = this.#state.record;
        if (record?.savedWorkspace)
          await keepSavedChanges(this.env.ARTIFACTS, record.id, record.savedWorkspace.savedAt, changes);
      },
      sessionURL: (record) =>
        `${this.env.PUBLIC_URL.replace(/\/+$/, "")}/w/${record.workspaceId}/s/${record.id}`,
    };
  }

  // ---- YServer hooks ----------------------------------------------------------------------------

  async onLoad(): Promise<Y.Doc> {
    const doc = new Y.Doc();
    for (const update of this.#store.document.updates()) Y.applyUpdate(doc, update);
    return doc;
  }

  async onStart(): Promise<void> {
    await super.onStart();
    this.#state.attach(new Transcript(this.document, { settle: settleMode(this.env.TRANSCRIPT_SETTLE) }));
    // Appended in the same synchronous turn as the change that caused it: no window in which it can be lost.
    this.document.on("update", (update: Uint8Array) => {
      this.#guests.changed();
      this.#store.document.append(update);
      if (this.#store.document.needsCompaction()) this.#store.document.compact(this.document);
    });
    const record = this.#state.record;
    // After a restart the agent may still be working: reattach; it replays what was not acknowledged.
    if (record && AGENT_PHASES.has(record.phase)) this.ctx.waitUntil(this.#agent.connect());
    // Usage a report missed before the restart goes now.
    if (record) this.ctx.waitUntil(this.#reportUsage());
  }

  /** A viewer's lease (and a credential's expiry, an Access JWT's) moves the alarm: its socket closes then. */
  protected viewerJoined(connection: Connection, identity: ConnectionIdentity): void {
    super.viewerJoined(connection, identity);
    // Written only when the new socket's end comes before the alarm: a thousand joins wrote it a thousand
    // times (the agent watch moves it with the clock). An alarm that rings early only sets the next.
    const expiry = this.connections.nextExpiry();
    if (this.#alarmAt != null && (expiry === null || expiry >= this.#alarmAt)) return;
    this.ctx.waitUntil(this.#scheduleAlarm());
  }

  /** One alarm serves the session's clocks (clock.ts: timeout, idle stop, a stop's deadline), the callbacks due, the D1 index retry and the sockets' credentials. */
  async onAlarm(): Promise<void> {
    this.#alarmAt = undefined; // it rang: no alarm is set until the next is written
    this.connections.closeExpired(Date.now());
    await this.#index.retryIfDue(this.#state.record, Date.now());
    const { dropped } = await this.#callbacks.flush(this.env);
    for (const entry of dropped)
      this.#store.appendEvent({ at: Date.now(), type: "callback_dropped", reason: droppedReason(entry) });
    this.#runDueClock();
    await this.#scheduleAlarm();
  }

  /**
   * Turns' usage to D1 (usage-ledger.ts); one that fails stays unreported and goes with the next. Then the
   * workspace's budget (budget.ts): alerts to its callback, and at 100% its running sessions stop.
   */
  async #reportUsage(): Promise<void> {
    const record = this.#state.record;
    if (!record) return;
    try {
      if (!(await reportUsage(this.env.DB, this.#store.usage, record))) return;
      const now = Date.now();
      const standing = await budgetStanding(this.env.DB, record.workspaceId, now);
      const alerts = await newBudgetAlerts(this.env.DB, standing, record.workspaceId, record.id, now);
      for (const alert of alerts) this.#callbacks.enqueue(alert);
      if (alerts.length) await this.#scheduleAlarm();
      if (standing.level !== "reached") return;
      this.stopForBudget();
      await stopRunningSessions(this.env, record.workspaceId, record.id);
    } catch (err) {
      console.error("usage report or budget check failed", err);
    }
  }

  // ---- RPC (called by the API after authorization) -------------------------------------------

  create(init: SessionInit & { prompt?: string; modelNote?: string }): RoomResult<SessionView> {
    if (this.#state.record) return refused("exists", "session exists");
    const { prompt, modelNote, ...fields } = init;
    const record = this.#state.create(fields, Date.now());
    // A trigger's or schedule's stored model retired: the session runs as its successor, and says so.
    if (modelNote) this.#store.appendEvent({ at: Date.now(), type: "model_succeeded", reason: modelNote });
    const first = firstMessageFor(this.#state.workflow(), prompt);
    const author =
      init.origin.kind === "trigger"
        ? { id: `trigger:${init.origin.triggerId}`, name: init.origin.triggerName }
        : init.createdBy;
    if (first) this.#agent.queueInput(first, author);
    const view = sessionView(record, Date.now());
    if (record.awaitingApproval)
      this.#store.appendEvent({
        at: Date.now(),
        type: "awaiting_approval",
        reason: "an owner or editor must approve it before it starts",
      });
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

  /** A guest's view of the session (a share link's): guest-view.ts. */
  async guestView(): Promise<RoomResult<GuestView>> {
    const view = await this.#guests.view(Date.now());
    return view ? ok(view) : gone;
  }

  artifacts(): RoomResult<{ name: string; size: number; updatedAt: number }[]> {
    return this.#state.record ? ok(this.#store.artifacts()) : gone;
  }

  update(patch: SessionPatch & SettingsPatch, actor: Actor): RoomResult<SessionView> {
    const record = this.#state.record;
    if (!record) return gone;
    const { permissionMode, model, ...fields } = patch;
    const changesSetup = fields.repos !== undefined || fields.workflow !== undefined;
    if (changesSetup && AGENT_PHASES.has(record.phase))
      return wrongPhase(record.phase, "change repositories or workflow of");
    if (Object.keys(fields).length > 0) this.#state.update(fields, actor);
    if (permissionMode !== undefined || model !== undefined) {
      this.#state.updateSettings(
        { ...(permissionMode ? { permissionMode } : {}), ...(model ? { model } : {}) },
        actor,
      );
      // A Running agent takes them from its next call; one (re)connecting gets them in its start.
      this.#agent.sendSettings();
    }
    return ok(sessionView(record, record.updatedAt));
  }

  /** An owner's or editor's decision on an approval (approvals.ts): first answer wins, then the agent hears it. */
  decide(
    approvalId: string,
    body: DecisionInput,
    actor: Actor,
  ): RoomResult<{ approvalId: string; decision: string; decidedBy: string }> {
    const result = decideApproval(this.#state, approvalId, body, actor);
    if (!result.ok) return result;
    const { input, ...decided } = result.value;
    this.#agent.sendDecision(input);
    return ok({ approvalId: decided.approvalId, decision: decided.decision, decidedBy: decided.decidedBy });
  }

  /** The agent's changes against the cloned commits (git-requests.ts): from its agent, or its saved workspace. */
  async changes(actor: Actor): Promise<RoomResult<Changes>> {
    return sessionChanges(this.#git(), actor);
  }

  /** Commits and pushes the agent's changes (and opens a pull request), recorded as an event. */
  async push(body: PushBody, actor: Actor): Promise<RoomResult<PushResult>> {
    const result = await pushChanges(this.#git(), body, actor);
    if (result.ok) this.#state.recordPush(result.value, actor);
    return result;
  }

  postMessage(text: string, author: Actor): RoomResult<{ seq: number; queued: boolean }> {
    const record = this.#state.record;
    if (!record) return gone;
    if (!INPUT_PHASES.has(record.phase)) return wrongPhase(record.phase, "send a message to");
    const input = this.#agent.queueInput(text, author);
    return ok({
      seq: input.seq,
      queued: record.phase !== "Running" || record.agentStatus === "working" || !this.#agent.connected,
    });
  }

  /** The workspace's budget is spent: a Running session stops gracefully, reason `budget`. */
  stopForBudget(): boolean {
    if (!this.#state.apply("stop", { reason: "budget" })) return false;
    this.#agent.ending.end({ event: "stopped", reason: "budget" });
    return true;
  }

  stop(actor: Actor): RoomResult<SessionView> {
    const record = this.#state.record;
    if (!record) return gone;
    if (!this.#state.apply("stop", { actor: actor.name })) return wrongPhase(record.phase, "stop");
    // The agent cancels what runs, saves the workspace and answers `stopped`; without an agent nothing waits.
    this.#agent.ending.end({ event: "stopped", reason: "agent stopped" });
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
    await this.#agent.forget();
    await this.closeViewers(4404, "session deleted");
    const id = this.#state.record?.id;
    this.#state.forget();
    if (id) await deleteArtifacts(this.env.ARTIFACTS, id);
    await this.ctx.storage.deleteAlarm();
    this.#alarmAt = null;
    await this.ctx.storage.deleteAll();
  }

  // ---- time and the index ---------------------------------------------------------------------

  /** The alarm rings at the earliest of the session's clocks, the next callback due, the index retry and the next socket's expiry. */
  async #scheduleAlarm(): Promise<void> {
    const now = Date.now();
    const times = [
      nextClockAt(this.#state.record, now),
      this.#callbacks.nextDueAt(),
      this.#index.nextDueAt(),
      this.connections.nextExpiry(),
    ].filter((at): at is number => at !== null);
    const at = times.length > 0 ? Math.min(...times) : null;
    this.#alarmAt = at;
    try {
      if (at !== null) await this.ctx.storage.setAlarm(at);
      else await this.ctx.storage.deleteAlarm();
    } catch (err) {
      this.#alarmAt = undefined;
      throw err;
    }
  }

  /** Timeout: the agent stops, its workspace is saved, then Failed. Idle stop: Stopping → Stopped, reason idle. */
  #runDueClock(): void {
    const record = this.#state.record;
    // The watch: a room that restarted with nobody watching reattaches to its agent.
    if (record && AGENT_PHASES.has(record.phase) && !this.#agent.linked)
      this.ctx.waitUntil(this.#agent.connect());
    switch (dueAction(record, Date.now())) {
      case "ending_overdue":
        return this.#agent.ending.overdue();
      case "timeout":
        return this.#agent.ending.end({ event: "fail", reason: "timeout" });
      case "idle_stop":
        if (this.#state.apply("stop", { reason: "idle" }))
          this.#agent.ending.end({ event: "stopped", reason: "idle" });
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
