/**
 * A session's state as the SessionRoom keeps it: the record, the events log, the input queue and the
 * mirror of it all in the Yjs document. Every change here is synchronous, so a state change, its event
 * and the Yjs update it causes are stored in one implicit transaction of the Durable Object.
 */
import type { PushResult } from "../protocol/git";
import { LIMITS, withoutCredentials, type Workflow } from "../protocol/session-config";
import { builtinWorkflow } from "../protocol/workflows";
import {
  ACTIVE_PHASES,
  AGENT_PHASES,
  transition,
  type LifecycleEvent,
  type Phase,
} from "../protocol/lifecycle";
import { activeMs, withDefaults, type Actor, type SessionRecord } from "./record";
import { NO_USAGE, type SessionUsage } from "../protocol/usage";
import { RunState } from "./run-state";
import { addUsage } from "./usage-ledger";
import type { Input, RoomStore } from "./storage";
import type { DecisionInput } from "./approvals";
import type { Transcript } from "./transcript-doc";

export type SessionInit = Omit<
  SessionRecord,
  | "phase"
  | "agentStatus"
  | "step"
  | "activeMs"
  | "activeSince"
  | "agentSeq"
  | "inputSeq"
  | "consumedSeq"
  | "updatedAt"
  | "runBaseMs"
  | "agentIncarnation"
  | "idleSince"
  | "idleStopMinutes"
  | "savedWorkspace"
  | "archivePending"
  | "ending"
  | "usage"
>;
export type SessionPatch = Partial<
  Pick<SessionRecord, "displayName" | "repos" | "workflow" | "workflowDefinition">
>;
/** What a PATCH may change while the session runs: from the agent's next call. */
export type SettingsPatch = Partial<Pick<SessionRecord["config"], "permissionMode" | "model">>;

export interface SessionStateHooks {
  /** After a phase change (also the first, to Pending), with whether time counted before and counts now. */
  phaseChanged(
    record: SessionRecord,
    change: { previousPhase?: Phase; wasActive: boolean; isActive: boolean; actor?: string; reason?: string },
  ): void;
  /** After anything the D1 index and the workspace's lists mirror (phase, agent status, name, pull request) changed. */
  indexChanged(record: SessionRecord): void;
  /** After the idle clock started or stopped (idle stop is timed from `record.idleSince`). */
  idleChanged(record: SessionRecord): void;
}

export class SessionState {
  #record: SessionRecord | null;
  readonly #store: RoomStore;
  readonly #hooks: SessionStateHooks;
  #transcript: Transcript | null = null;
  /** The current run's fields (incarnation, frames applied, archives, ending): changed only through it. */
  readonly run: RunState;

  constructor(store: RoomStore, hooks: SessionStateHooks) {
    this.#store = store;
    this.#hooks = hooks;
    const loaded = store.loadSession();
    this.#record = loaded && withDefaults(loaded, LIMITS.idleStopMinutes.default);
    this.run = new RunState(
      () => this.#record,
      () => this.save(),
    );
  }

  /** Read-only outside: a write goes through a named method here (or `run`), never straight to the record. */
  get record(): Readonly<SessionRecord> | null {
    return this.#record;
  }

  get transcript(): Transcript | null {
    return this.#transcript;
  }

  /** Called once the document is loaded. */
  attach(transcript: Transcript): void {
    this.#transcript = transcript;
  }

  create(init: SessionInit, now: number): SessionRecord {
    const record: SessionRecord = {
      ...init,
      updatedAt: now,
      phase: "Pending",
      agentStatus: "idle",
      step: null,
      activeMs: 0,
      activeSince: null,
      agentSeq: 0,
      inputSeq: 0,
      consumedSeq: 0,
      runBaseMs: 0,
      agentIncarnation: null,
      idleSince: null,
      // Read from the workspace whenever the idle clock starts.
      idleStopMinutes: LIMITS.idleStopMinutes.default,
      savedWorkspace: null,
      archivePending: false,
      ending: null,
      usage: { ...NO_USAGE },
    };
    this.#record = record;
    this.save();
    this.#store.appendEvent({ at: now, type: "created", phase: "Pending", actor: init.createdBy.name });
    this.publish();
    this.#hooks.phaseChanged(record, { wasActive: false, isActive: false, actor: init.createdBy.name });
    // The Worker wrote the index row; this tells the workspace's open lists (and stamps its activity).
    this.#hooks.indexChanged(record);
    return record;
  }

  /** Forgets the session (its storage is being deleted). */
  forget(): void {
    this.#record = null;
  }

  save(): void {
    if (this.#record) this.#store.saveSession(this.#record);
  }

  /** Applies a lifecycle event; false when the current phase does not allow it. */
  apply(event: LifecycleEvent, detail: { actor?: string; reason?: string }): boolean {
    const record = this.#record;
    if (!record) return false;
    const next = transition(record.phase, event);
    if (!next.ok) return false;
    const now = Date.now();
    const previousPhase = record.phase;
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
    // A run begins at Creating: its timeout counts from here.
    if (event === "provision") record.runBaseMs = record.activeMs;
    if (next.phase !== "Creating") record.step = null;
    if (!AGENT_PHASES.has(next.phase)) record.agentStatus = "idle";
    this.#trackIdle(now);
    this.save();
    this.#store.appendEvent({ at: now, type: "phase", phase: next.phase, ...detail });
    this.publish();
    this.#hooks.phaseChanged(record, { previousPhase, wasActive, isActive, ...detail });
    this.#hooks.indexChanged(record);
    return true;
  }

  /** Lets a session that waits for approval be provisioned; the event names who approved. */
  approve(actor: Actor): void {
    const record = this.#record;
    if (!record) return;
    record.awaitingApproval = false;
    record.updatedAt = Date.now();
    this.save();
    this.#store.appendEvent({ at: record.updatedAt, type: "approved", actor: actor.name });
    this.publish();
  }

  update(patch: SessionPatch, actor: Actor): void {
    const record = this.#record;
    if (!record) return;
    Object.assign(record, patch, { updatedAt: Date.now() });
    this.save();
    this.#store.appendEvent({
      at: record.updatedAt,
      type: "updated",
      actor: actor.name,
      reason: Object.keys(patch)
        .filter((key) => key !== "workflowDefinition")
        .join(", "),
    });
    this.publish();
    this.#hooks.indexChanged(record);
  }

  /** A push went out: the event names branch, commit and pull request; the pull request is shown from now on. */
  recordPush(result: PushResult, actor: Actor): void {
    const record = this.#record;
    if (!record) return;
    if (result.pullRequestUrl) record.pullRequestUrl = result.pullRequestUrl;
    this.save();
    const pr = result.pullRequestUrl ? `, pull request ${result.pullRequestUrl}` : "";
    this.#store.appendEvent({
      at: Date.now(),
      type: "pushed",
      actor: actor.name,
      reason: `${result.repo}: branch ${result.branch}, commit ${result.commit}${pr}`,
    });
    if (result.pullRequestUrl) this.#transcript?.setInfo({ pullRequestUrl: result.pullRequestUrl });
    // The list shows the pull request.
    if (result.pullRequestUrl) this.#hooks.indexChanged(record);
  }

  setAgentStatus(state: SessionRecord["agentStatus"]): void {
    const record = this.#record;
    if (!record || record.agentStatus === state) return;
    record.agentStatus = state;
    this.#trackIdle(Date.now());
    this.save();
    this.#transcript?.setInfo({ agentStatus: state });
    this.#hooks.indexChanged(record);
  }

  /** The idle clock runs while a Running agent is idle or waits for input; `restart` starts it again (a person spoke). */
  #trackIdle(now: number, restart = false): void {
    const record = this.#record;
    if (!record) return;
    // A wait for an approval is not idleness: the team has to answer, and idle stop would lose the call.
    const idle =
      record.phase === "Running" && record.agentStatus !== "working" && !this.#transcript?.awaitingDecision;
    const since = idle ? (restart ? now : (record.idleSince ?? now)) : null;
    if (since === record.idleSince) return;
    record.idleSince = since;
    this.#hooks.idleChanged(record);
  }

  /** The workspace's idle stop setting, read again each time the idle clock starts (it may have changed). */
  setIdleStopMinutes(minutes: number): void {
    if (!this.#record) return;
    this.#record.idleStopMinutes = minutes;
    this.save();
  }

  setStep(step: string): void {
    if (!this.#record) return;
    this.#record.step = step;
    this.#store.appendEvent({ at: Date.now(), type: "progress", reason: step });
    this.publish();
  }

  /** Adds a turn's priced usage to the session's totals, shown to viewers at once. */
  addUsage(turn: SessionUsage): void {
    if (!this.#record) return;
    this.#record.usage = addUsage(this.#record.usage, turn);
    this.publish();
  }

  /**
   * Decides a pending approval (the first answer wins: the caller checked it is pending) and queues the
   * decision for the agent in the input queue, so a reconnect or a restart sends it again until read.
   */
  decideApproval(approvalId: string, decision: DecisionInput, author: Actor): Input {
    const record = this.#record!;
    const now = Date.now();
    this.#transcript?.decideApproval(approvalId, {
      decision: decision.decision,
      by: author.name,
      at: now,
      ...(decision.message ? { message: decision.message } : {}),
      ...(decision.mode ? { mode: decision.mode } : {}),
    });
    const input: Input = {
      seq: ++record.inputSeq,
      kind: "decision",
      text: JSON.stringify({ approvalId, ...decision }),
      authorId: author.id,
      authorName: author.name,
      consumed: false,
    };
    this.#store.addInput(input);
    const said = decision.message ? `: ${decision.message}` : "";
    this.#store.appendEvent({
      at: now,
      type: "approval_decided",
      actor: author.name,
      reason:
        `${decision.decision} ${approvalId}${decision.mode ? ` (continues in ${decision.mode})` : ""}${said}`.slice(
          0,
          1000,
        ),
    });
    // A plan approved into a mode: the session's mode is that one from now on.
    // A new object: the document's `session` map holds the old one, and an equal value is not published.
    if (decision.mode && decision.decision !== "deny")
      record.config = { ...record.config, permissionMode: decision.mode };
    this.#trackIdle(now, true);
    this.save();
    this.publish();
    return input;
  }

  /** The permission mode or the model changed while the session runs (or not): an event names who, and what. */
  updateSettings(change: SettingsPatch, actor: Actor): void {
    const record = this.#record;
    if (!record) return;
    const now = Date.now();
    if (change.permissionMode && change.permissionMode !== record.config.permissionMode) {
      this.#store.appendEvent({
        at: now,
        type: "permission_mode_changed",
        actor: actor.name,
        reason: `${record.config.permissionMode} → ${change.permissionMode}`,
      });
      record.config = { ...record.config, permissionMode: change.permissionMode };
    }
    if (change.model && change.model !== record.config.model) {
      this.#store.appendEvent({
        at: now,
        type: "model_switched",
        actor: actor.name,
        reason: `${record.config.model} → ${change.model}`,
      });
      record.config = { ...record.config, model: change.model };
    }
    record.updatedAt = now;
    this.save();
    this.publish();
    this.#hooks.indexChanged(record);
  }

  /** Queues a person's input: persisted and shown (as queued) before it is sent to the agent. */
  enqueueInput(text: string, author: Actor): Input {
    const record = this.#record!;
    const input: Input = {
      seq: ++record.inputSeq,
      kind: record.agentStatus === "waiting_input" ? "answer" : "message",
      text,
      authorId: author.id,
      authorName: author.name,
      consumed: false,
    };
    this.#store.addInput(input);
    this.#trackIdle(Date.now(), true);
    this.save();
    this.#transcript?.addPersonMessage({
      id: `input-${input.seq}`,
      author: author.name,
      text,
      createdAt: Date.now(),
      seq: input.seq,
    });
    return input;
  }

  markConsumed(upTo: number): void {
    const record = this.#record;
    if (!record) return;
    record.consumedSeq = Math.max(record.consumedSeq, upTo);
    this.#store.markInputsConsumed(upTo);
    this.#transcript?.markConsumed(upTo);
  }

  workflow(): Workflow | null {
    const record = this.#record;
    if (!record?.workflow) return null;
    return record.workflowDefinition ?? builtinWorkflow(record.workflow);
  }

  /** Mirrors the session into the document's `session` map, which every viewer watches. */
  publish(): void {
    const record = this.#record;
    if (!record || !this.#transcript) return;
    this.#transcript.setInfo({
      id: record.id,
      name: record.displayName,
      phase: record.phase,
      agentStatus: record.agentStatus,
      step: record.step,
      config: record.config,
      // Every viewer (a share link's guest too) sees the repositories: never with credentials.
      repos: record.repos.map((repo) => ({ ...repo, url: withoutCredentials(repo.url) })),
      workflow: record.workflow,
      origin: record.origin,
      timeoutSeconds: record.config.timeoutSeconds,
      activeMs: record.activeMs,
      activeSince: record.activeSince,
      awaitingApproval: record.awaitingApproval === true,
      // The timeout counts from here: the active time when the current run began.
      runBaseMs: record.runBaseMs,
      usage: record.usage,
    });
  }
}
