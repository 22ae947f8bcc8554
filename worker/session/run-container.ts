/**
 * The session's container across runs, as its room ends them: when a run is over (its workspace saved, or
 * its agent lost) the container stops, so nothing runs between runs and a Resume starts a new one from the
 * saved workspace; when the session is deleted it is destroyed with the key it was given, and nothing may
 * reach it again. One step at a time, and a new run waits for the previous run's container to be gone.
 */
import type { Env } from "../env";
import { sessionContainer, type SessionContainer } from "../container/session-container";
import type { RoomStore } from "./storage";

export class RunContainer {
  readonly #env: Env;
  readonly #ctx: DurableObjectState;
  readonly #store: RoomStore;
  #retiring: Promise<void> = Promise.resolve();
  #deleted = false;

  constructor(env: Env, ctx: DurableObjectState, store: RoomStore) {
    this.#env = env;
    this.#ctx = ctx;
    this.#store = store;
  }

  /** The session is being deleted: no request may start its container again (a queued save would). */
  get deleted(): boolean {
    return this.#deleted;
  }

  /** Resolves once the container's stop or destroy under way is done. */
  settled(): Promise<void> {
    return this.#retiring;
  }

  /** The run is over: the container stops. */
  stop(sessionId: string): void {
    this.#retire(sessionId, (container) => container.stop());
  }

  /** The session is deleted: the container is destroyed. */
  destroy(sessionId: string): Promise<void> {
    this.#deleted = true;
    this.#retire(sessionId, (container) => container.destroy());
    return this.#retiring;
  }

  /** A failure is an event, not an error: the container sleeps after its timeout in any case. */
  #retire(sessionId: string, step: (container: SessionContainer) => Promise<void>): void {
    const container = sessionContainer(this.#env, sessionId);
    if (!container) return;
    this.#retiring = this.#retiring
      .then(() => step(container))
      .catch((err: unknown) => {
        const reason = `the session's container was not stopped: ${err instanceof Error ? err.message : String(err)}`;
        if (!this.#deleted)
          this.#store.appendEvent({ at: Date.now(), type: "container_not_stopped", reason });
      });
    this.#ctx.waitUntil(this.#retiring);
  }
}
