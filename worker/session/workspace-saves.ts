/**
 * A run's workspace archives: each one the agent announces is streamed into R2 in order (an ending waits
 * for them), and a new incarnation gets the saved workspace back before it starts.
 */
import type { Env } from "../env";
import { WORKSPACE_ARCHIVE_MAX_BYTES } from "../protocol/agent";
import type { AgentEndpoint } from "./agent-link";
import { ENDING_MAX_MS } from "./clock";
import type { SessionRecord } from "./record";
import type { SessionState } from "./state";
import type { RoomStore } from "./storage";
import {
  WorkspaceArchiveError,
  formatBytes,
  restoreWorkspaceArchive,
  saveWorkspaceArchive,
  workspaceArchiveKey,
} from "./workspace-archive";

/** What the saves need from the run. */
export interface WorkspaceSavesHost {
  readonly env: Env;
  readonly ctx: DurableObjectState;
  readonly state: SessionState;
  readonly store: RoomStore;
  endpoint(record: SessionRecord): AgentEndpoint;
  /** An archive is stored: its changes are kept beside it (saved-changes.ts) before the save settles. */
  stored(record: SessionRecord, savedAt: number): Promise<void>;
  /** A save settled (stored or not): an ending that waited for it may apply now. */
  settled(): void;
  /** The saved workspace cannot be restored into the incarnation that answers: the run cannot go on. */
  restoreFailed(reason: string): void;
  /** The workspace's secrets out of a reason: the agent's answer may quote tar, and tar quotes file names. */
  redact(text: string): string;
}

export class WorkspaceSaves {
  readonly #host: WorkspaceSavesHost;
  /** Archive saves not finished yet; an ending waits for them. */
  #saves = 0;
  #saving: Promise<void> = Promise.resolve();

  constructor(host: WorkspaceSavesHost) {
    this.#host = host;
  }

  /** Whether a save is still streaming into R2. */
  get busy(): boolean {
    return this.#saves > 0;
  }

  /** The agent archived its workspace: stored in R2 in order, and an ending waits for it. */
  archived(size: number, overLimit: boolean): void {
    if (!this.#host.state.record) return;
    if (overLimit) {
      const reason = `the workspace archive is ${formatBytes(size)}, over the ${formatBytes(WORKSPACE_ARCHIVE_MAX_BYTES)} cap: not saved; a resume restores the last saved workspace`;
      this.#host.store.appendEvent({ at: Date.now(), type: "workspace_not_saved", reason });
      return;
    }
    this.#host.state.run.setArchivePending(true);
    this.#queue();
  }

  /** The same incarnation answered again: a save a restart interrupted is fetched again (the agent still has it). */
  resumeInterrupted(): void {
    if (this.#host.state.record?.archivePending && this.#saves === 0) this.#queue();
  }

  #queue(): void {
    const incarnation = this.#host.state.record?.agentIncarnation;
    if (!incarnation) return;
    this.#saves++;
    this.#saving = this.#saving.then(() => this.#save(incarnation));
    this.#host.ctx.waitUntil(this.#saving);
  }

  async #save(incarnation: string): Promise<void> {
    const { env, state, store } = this.#host;
    const record = state.record;
    try {
      if (!record) return;
      const size = await saveWorkspaceArchive(
        env.ARTIFACTS,
        this.#host.endpoint(record),
        record.id,
        incarnation,
      );
      // Deleted while it streamed: the session's prefix is already gone, so this archive goes too.
      if (!state.record) return void (await env.ARTIFACTS.delete(workspaceArchiveKey(record.id)));
      const savedAt = Date.now();
      state.run.setSavedWorkspace({ size, savedAt });
      await this.#host.stored(record, savedAt);
    } catch (err) {
      // A session deleted meanwhile has no events to add to.
      if (state.record)
        store.appendEvent({
          at: Date.now(),
          type: "workspace_not_saved",
          reason: this.#host.redact(`the workspace was not saved: ${message(err)}`),
        });
    } finally {
      this.#saves--;
      if (this.#saves === 0) state.run.setArchivePending(false);
      this.#host.settled();
    }
  }

  /** Streams the saved workspace into a new incarnation that asked for it. */
  async restore(incarnation: string): Promise<void> {
    const { env, state, store } = this.#host;
    const record = state.record;
    if (!record) return;
    // A save of the previous run may still be streaming into R2 (its run ended while it did): the new
    // agent starts from that, the newest workspace, not from the one before it. Bounded, like a stop.
    if (this.#saves > 0) await within(this.#saving, ENDING_MAX_MS);
    try {
      await restoreWorkspaceArchive(env.ARTIFACTS, this.#host.endpoint(record), record.id, incarnation);
    } catch (err) {
      // Another incarnation answers now; its own hello says what it needs.
      if (err instanceof WorkspaceArchiveError && err.detail.status === 409) return;
      const reason = this.#host.redact(`the saved workspace could not be restored: ${message(err)}`);
      store.appendEvent({ at: Date.now(), type: "workspace_restore_failed", reason });
      if (err instanceof WorkspaceArchiveError && err.detail.missing) state.run.setSavedWorkspace(null);
      if (state.record?.agentIncarnation === incarnation) this.#host.restoreFailed(reason);
    }
  }
}

/** Waits for `work`, or for `ms` at most. */
async function within(work: Promise<unknown>, ms: number): Promise<void> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  await Promise.race([work, new Promise((resolve) => (timer = setTimeout(resolve, ms)))]);
  clearTimeout(timer);
}

export const message = (err: unknown) => (err instanceof Error ? err.message : String(err));
