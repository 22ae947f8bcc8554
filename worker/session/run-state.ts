/**
 * The part of a session's record that belongs to its current run: which agent incarnation answers, the
 * last frame applied, the workspace archives, and the ending in progress. The agent run (agent-run.ts)
 * and the room change these only through the methods here; each change is saved with the record.
 */
import type { Ending, SessionRecord } from "./record";

export class RunState {
  readonly #record: () => SessionRecord | null;
  readonly #save: () => void;

  constructor(record: () => SessionRecord | null, save: () => void) {
    this.#record = record;
    this.#save = save;
  }

  /** A new run (Pending → Creating): no incarnation yet, nothing applied, no archive pending, no ending. */
  begin(): void {
    this.#change({ agentSeq: 0, agentIncarnation: null, archivePending: false, ending: null });
  }

  /** A new agent incarnation answered: it numbers its frames from 1 and has no archive of its own yet. */
  newIncarnation(incarnation: string): void {
    this.#change({ agentIncarnation: incarnation, agentSeq: 0, archivePending: false });
  }

  /**
   * Takes frame `seq` as applied unless it was applied before (seq ≤ the last applied). Not saved here:
   * the room applies frames in batches and saves once a batch.
   */
  acceptFrame(seq: number): boolean {
    const record = this.#record();
    if (!record || seq <= record.agentSeq) return false;
    record.agentSeq = seq;
    return true;
  }

  /** The agent announced an archive not stored yet (true), or every announced archive is settled (false). */
  setArchivePending(pending: boolean): void {
    this.#change({ archivePending: pending });
  }

  /** The latest workspace archive stored in R2, or null when the stored one is gone. */
  setSavedWorkspace(saved: SessionRecord["savedWorkspace"]): void {
    this.#change({ savedWorkspace: saved });
  }

  /** The run begins to end: `event` applies once the agent is done and its workspace stored, or at `deadline`. */
  beginEnding(request: Pick<Ending, "event" | "reason">, now: number, deadline: number): void {
    this.#change({ ending: { ...request, agentDone: false, deadline, since: now } });
  }

  /**
   * The agent sent its last frame (or is gone): an ending in progress keeps its event; without one, the
   * agent's own `event` ends the run.
   */
  agentDone(event: Ending["event"], reason: string, now: number): void {
    const ending = this.#record()?.ending;
    this.#change({
      ending: ending ? { ...ending, agentDone: true } : { event, reason, agentDone: true, deadline: now },
    });
  }

  /** An ending waited for an agent that is gone: it can save nothing newer now. */
  agentGone(): void {
    const ending = this.#record()?.ending;
    if (ending) this.#change({ ending: { ...ending, agentDone: true } });
  }

  /** Moves the ending's deadline (an agent still saving its workspace). */
  extendEnding(deadline: number): void {
    const ending = this.#record()?.ending;
    if (ending) this.#change({ ending: { ...ending, deadline } });
  }

  /** The ending in progress, removed from the record: the caller applies it. */
  takeEnding(): Ending | null {
    const ending = this.#record()?.ending ?? null;
    if (ending) this.#change({ ending: null });
    return ending;
  }

  #change(
    fields: Partial<
      Pick<SessionRecord, "agentSeq" | "agentIncarnation" | "archivePending" | "savedWorkspace" | "ending">
    >,
  ): void {
    const record = this.#record();
    if (!record) return;
    Object.assign(record, fields);
    this.#save();
  }
}
