/**
 * The session's agent as its room sees it, from provisioning to the end of a run: it opens (and reopens)
 * the link, learns from each hello which agent incarnation answers, stores the workspace archives the
 * agent makes in R2, restores the saved workspace into a new incarnation, and ends the run (stop, idle
 * stop, timeout, completion, fatal error) only once the agent is done and its workspace is stored.
 */
import type { Env } from "../env";
import type { AgentHello, FromAgentFrame, HistoryMessage, StartFrame, ToAgentFrame } from "../protocol/agent";
import { loadWorkspaceSecrets } from "../secrets";
import { AgentLink, agentEndpoint, type AgentEndpoint } from "./agent-link";
import { FrameRedaction } from "./frame-redaction";
import { ENDING_DEADLINE_MS, ENDING_MAX_MS } from "./clock";
import type { Ending, SessionRecord } from "./record";
import type { SessionState } from "./state";
import type { RoomStore } from "./storage";
import { TURN_LOST_TEXT } from "./transcript";
import { WorkspaceArchiveError, formatBytes, restoreWorkspaceArchive, saveWorkspaceArchive, workspaceArchiveKey } from "./workspace-archive";
import { WORKSPACE_ARCHIVE_MAX_BYTES } from "../protocol/agent";

/** What the run needs from its room. */
export interface AgentRunHost {
  readonly env: Env;
  readonly ctx: DurableObjectState;
  readonly state: SessionState;
  readonly store: RoomStore;
  /** The transcript as the agent needs it to continue. */
  history(): HistoryMessage[];
  /** A numbered frame, in order: the room applies it (in batches). */
  onFrame(frame: FromAgentFrame): void;
  /**
   * Applies every frame received so far, before the run changes course. With `endOfStreams` the agent's
   * streams are over (it is gone, or a new incarnation answers), so text held back by redaction is shown.
   */
  flushFrames(endOfStreams: boolean): void;
  /** The agent is connected (again): unread input may go out. */
  onConnected(): void;
  scheduleAlarm(): void;
}

export class AgentRun {
  readonly #host: AgentRunHost;
  #link: AgentLink | null = null;
  #connecting: Promise<void> | null = null;
  #ackTimer: ReturnType<typeof setTimeout> | null = null;
  /** The workspace's secrets the agent was given, redacted from whatever it sends back (streamed text too). */
  readonly redaction = new FrameRedaction();
  /** Archive saves not finished yet; an ending waits for them. */
  #saves = 0;
  #saving: Promise<void> = Promise.resolve();

  constructor(host: AgentRunHost) {
    this.#host = host;
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

  /** Starts a new run (Pending → Creating): a new incarnation, which restores the saved workspace if there is one. */
  async provision(): Promise<void> {
    const record = this.#record;
    if (!record || !this.#host.state.apply("provision", {})) return;
    this.#host.state.run.begin();
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
      onInvalidFrame: (detail) => this.#host.store.appendEvent({ at: Date.now(), type: "invalid_frame", reason: detail }),
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
    const secrets = await loadWorkspaceSecrets(this.#host.env, record.workspaceId);
    this.redaction.setSecrets(Object.values(secrets));
    return {
      type: "start",
      sessionId: record.id,
      config: record.config,
      workflow: this.#host.state.workflow(),
      repos: record.repos,
      secrets,
      history: this.#host.history(),
      ackedUpTo: record.agentSeq,
      incarnation: record.agentIncarnation,
      restore: record.savedWorkspace !== null,
    };
  }

  #connected(): void {
    this.#host.onConnected();
    const ending = this.#record?.ending;
    if (ending && !ending.agentDone) this.send({ type: "stop" });
  }

  #hello(hello: AgentHello): void {
    const record = this.#record;
    if (!record) return;
    const fresh = hello.incarnation !== record.agentIncarnation;
    // A reattached incarnation continues its streams (held text may still become a secret); a new one does not.
    this.#host.flushFrames(fresh);
    if (fresh) {
      const previous = record.agentIncarnation;
      // A new incarnation numbers its frames from 1: nothing of it is a duplicate.
      this.#host.state.run.newIncarnation(hello.incarnation);
      if (previous !== null) this.#incarnationLost();
    } else if (record.archivePending && this.#saves === 0) {
      // A restart interrupted a save; the incarnation still has the archive.
      this.#queueSave();
    }
    if (record.ending?.agentDone) return this.#settle();
    if (hello.needsWorkspace) this.#host.ctx.waitUntil(this.#restore(hello.incarnation));
  }

  /** The incarnation the room knew is gone: what it was doing is reported, and the session goes on. */
  #incarnationLost(): void {
    const { state, store } = this.#host;
    const record = this.#record!;
    const now = Date.now();
    store.appendEvent({ at: now, type: "agent_restarted", reason: "a new agent process answered; the previous one is gone" });
    if (record.agentStatus !== "idle") {
      store.appendEvent({ at: now, type: "turn_lost", reason: "the turn in progress was lost with the previous agent process" });
      state.transcript?.addSystemError(`turn-lost-${now}`, TURN_LOST_TEXT, now);
    }
    state.transcript?.closeRunningTools("the agent restarted before this tool finished", now);
    state.setAgentStatus("idle");
    // An ending waited for that agent; it can save nothing newer now.
    state.run.agentGone();
  }

  async #restore(incarnation: string): Promise<void> {
    const record = this.#record;
    if (!record) return;
    // A save of the previous run may still be streaming into R2 (its run ended while it did): the new
    // agent starts from that, the newest workspace, not from the one before it. Bounded, like a stop.
    if (this.#saves > 0) await within(this.#saving, ENDING_MAX_MS);
    try {
      await restoreWorkspaceArchive(this.#host.env.ARTIFACTS, this.#endpoint(record), record.id, incarnation);
    } catch (err) {
      // Another incarnation answers now; its own hello says what it needs.
      if (err instanceof WorkspaceArchiveError && err.detail.status === 409) return;
      const reason = `the saved workspace could not be restored: ${message(err)}`;
      this.#host.store.appendEvent({ at: Date.now(), type: "workspace_restore_failed", reason });
      if (err instanceof WorkspaceArchiveError && err.detail.missing) this.#host.state.run.setSavedWorkspace(null);
      if (this.#record?.agentIncarnation === incarnation) this.#giveUp(reason, null);
    }
  }

  /** The agent archived its workspace: stored in R2 in order, and an ending waits for it. */
  workspaceArchived(size: number, overLimit: boolean): void {
    const record = this.#record;
    if (!record) return;
    if (overLimit) {
      const reason = `the workspace archive is ${formatBytes(size)}, over the ${formatBytes(WORKSPACE_ARCHIVE_MAX_BYTES)} cap: not saved; a resume restores the last saved workspace`;
      this.#host.store.appendEvent({ at: Date.now(), type: "workspace_not_saved", reason });
      return;
    }
    this.#host.state.run.setArchivePending(true);
    this.#queueSave();
  }

  #queueSave(): void {
    const incarnation = this.#record?.agentIncarnation;
    if (!incarnation) return;
    this.#saves++;
    this.#saving = this.#saving.then(() => this.#save(incarnation));
    this.#host.ctx.waitUntil(this.#saving);
  }

  async #save(incarnation: string): Promise<void> {
    const record = this.#record;
    try {
      if (!record) return;
      const size = await saveWorkspaceArchive(this.#host.env.ARTIFACTS, this.#endpoint(record), record.id, incarnation);
      // Deleted while it streamed: the session's prefix is already gone, so this archive goes too.
      if (!this.#host.state.record) return void (await this.#host.env.ARTIFACTS.delete(workspaceArchiveKey(record.id)));
      this.#host.state.run.setSavedWorkspace({ size, savedAt: Date.now() });
    } catch (err) {
      this.#host.store.appendEvent({ at: Date.now(), type: "workspace_not_saved", reason: `the workspace was not saved: ${message(err)}` });
    } finally {
      this.#saves--;
      if (this.#saves === 0) this.#host.state.run.setArchivePending(false);
      this.#settle();
    }
  }

  /** Asks the agent to stop; `request.event` applies once it is done and its workspace stored. */
  end(request: Pick<Ending, "event" | "reason">): void {
    const record = this.#record;
    if (!record || record.ending) return;
    const now = Date.now();
    this.#host.state.run.beginEnding(request, now, now + ENDING_DEADLINE_MS);
    this.#host.scheduleAlarm();
    if (!this.#link) return this.#finish("no agent connected");
    // Sent now, or by #connected once a link that is (re)connecting is up.
    this.send({ type: "stop" });
  }

  /** The agent's last frame (stopped, completed, error): its event applies unless the room was already ending the run. */
  agentDone(event: Ending["event"], reason: string): void {
    if (!this.#record) return;
    this.#host.state.run.agentDone(event, reason, Date.now());
    this.#settle();
  }

  /**
   * The agent says it is archiving its workspace: while a run ends, that is an agent at work, not a hung
   * one (a large workspace takes longer to archive than the stop's deadline), so the deadline moves, up to
   * ENDING_MAX_MS after the ending began.
   */
  agentSaving(): void {
    const ending = this.#record?.ending;
    if (!ending || ending.agentDone) return;
    const now = Date.now();
    const deadline = Math.min(now + ENDING_DEADLINE_MS, (ending.since ?? ending.deadline - ENDING_DEADLINE_MS) + ENDING_MAX_MS);
    if (deadline <= ending.deadline) return;
    this.#host.state.run.extendEnding(deadline);
    this.#host.scheduleAlarm();
  }

  /** The agent did not answer a stop in time: the run ends with what was saved. */
  endingOverdue(): void {
    const seconds = ENDING_DEADLINE_MS / 1000;
    this.#host.store.appendEvent({ at: Date.now(), type: "agent_unresponsive", reason: `the agent did not stop within ${seconds} s; the workspace is as it was last saved` });
    this.#finish();
  }

  #settle(): void {
    if (this.#record?.ending?.agentDone && this.#saves === 0) this.#finish();
  }

  /** Applies the ending (Stopped, Completed or Failed) and lets the agent go. */
  #finish(reason?: string): void {
    const { state } = this.#host;
    const ending = state.run.takeEnding();
    if (!ending) return;
    // Acknowledged before the socket closes, so the agent does not replay what was applied.
    this.#sendAck();
    this.release(reason ?? ending.reason);
    state.setAgentStatus("idle");
    const detail = { reason: reason ?? ending.reason };
    // An ending the phase refuses (a completion while Creating, a timeout while Stopping) is an agent lost.
    if (!state.apply(ending.event, detail)) state.apply("agent_lost", detail);
    state.save();
  }

  /** The agent is gone or unusable: an ending applies now, otherwise the run fails. */
  #giveUp(reason: string, eventType: "agent_lost" | null): void {
    const { state, store } = this.#host;
    const record = this.#record;
    this.release(reason);
    if (!record) return;
    if (eventType) store.appendEvent({ at: Date.now(), type: eventType, reason });
    if (record.ending) return this.#finish(reason);
    state.setAgentStatus("idle");
    state.apply("agent_lost", { reason });
  }

  /** Lets the agent go: told to stop (it kills what still runs), then the socket closes. */
  release(reason: string): void {
    this.#host.flushFrames(true);
    const link = this.#link;
    this.#link = null;
    link?.send({ type: "stop" });
    link?.close(reason);
  }

  scheduleAck(): void {
    this.#ackTimer ??= setTimeout(() => this.#sendAck(), 20);
  }

  #sendAck(): void {
    if (this.#ackTimer) clearTimeout(this.#ackTimer);
    this.#ackTimer = null;
    const record = this.#record;
    if (record) this.send({ type: "ack", upTo: record.agentSeq });
  }

  #endpoint(record: SessionRecord): AgentEndpoint {
    return agentEndpoint(this.#host.env, record.id, record.config.timeoutSeconds, this.#host.ctx.storage);
  }
}

/** Waits for `work`, or for `ms` at most. */
async function within(work: Promise<unknown>, ms: number): Promise<void> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  await Promise.race([work, new Promise((resolve) => (timer = setTimeout(resolve, ms)))]);
  clearTimeout(timer);
}

const message = (err: unknown) => (err instanceof Error ? err.message : String(err));
