/**
 * The sessions' containers, as Cloudflare Containers keeps them for AgentContainer: at most one per
 * session, started from the agent image with the environment the session's room gave (`configure`) on the
 * first request that needs it, kept while requests or sockets are open, stopped when idle past its sleep
 * time, when the room stops it (the run is over) and when the session is deleted. A session's starts and
 * stops run one at a time, in the order asked.
 */
import { AGENT_CONTAINER_PORT, type RunnerSession, type RunnerSessionPatch } from "@tandem/protocol/runner";
import { Docker, DockerError } from "./docker";

export class ContainerStartError extends Error {}
/** A request for a session deleted here: it never gets a container again (a request in flight at the delete would start one). */
export class SessionDeleted extends Error {}

export interface SessionContainersOptions {
  docker: Docker;
  /** The agent image (scripts/containers/agent-image.sh). */
  image: string;
  /** Labels every container of this runner, so a restarted runner (or a test's teardown) finds its own. */
  runnerName: string;
  /** The container's memory limit (`docker run --memory`), as the instance type bounds it in production. */
  memory?: string;
  /** Until the room says otherwise (AgentContainer's default: the longest timeout plus its grace). */
  sleepAfterSeconds?: number;
  startTimeoutMs?: number;
  log?: (line: string) => void;
}

interface Running {
  id: string;
  port: number;
}

interface Slot {
  env: Record<string, string>;
  sleepAfterMs: number;
  container: Running | null;
  /** The session's starts and stops, one after another. */
  queue: Promise<unknown>;
  /** Requests and sockets open through the runner: a container with any is never idle. */
  open: number;
  lastActivity: number;
  lastStartMs: number | null;
}

export const SESSION_LABEL = "dev.tandem.session";
export const RUNNER_LABEL = "dev.tandem.runner";
const STOP_GRACE_SECONDS = 3;

export class SessionContainers {
  readonly #slots = new Map<string, Slot>();
  /** Sessions deleted while this runner ran (ids are never reused). */
  readonly #deleted = new Set<string>();
  readonly #options: SessionContainersOptions;
  readonly #sweeper: ReturnType<typeof setInterval>;
  readonly #log: (line: string) => void;

  constructor(options: SessionContainersOptions) {
    this.#options = options;
    this.#log = options.log ?? ((line) => console.log(`[runner] ${line}`));
    this.#sweeper = setInterval(() => this.#sleepIdle(), 1000);
    this.#sweeper.unref();
  }

  /** The image new containers start from (a rebuilt image takes effect at the next start). */
  get image(): string {
    return this.#options.image;
  }

  set image(image: string) {
    this.#options.image = image;
  }

  /** The engine new containers start on (the container suite points it at one that is gone). */
  set docker(docker: Docker) {
    this.#options.docker = docker;
  }

  #slot(sessionId: string): Slot {
    let slot = this.#slots.get(sessionId);
    if (!slot) {
      slot = {
        env: {},
        sleepAfterMs: (this.#options.sleepAfterSeconds ?? 1860) * 1000,
        container: null,
        queue: Promise.resolve(),
        open: 0,
        lastActivity: Date.now(),
        lastStartMs: null,
      };
      this.#slots.set(sessionId, slot);
    }
    return slot;
  }

  #serial<T>(slot: Slot, step: () => Promise<T>): Promise<T> {
    const next = slot.queue.then(step, step);
    slot.queue = next.catch(() => undefined);
    return next;
  }

  /** What the session's next container starts with; a running one keeps its own until it stops. */
  configure(sessionId: string, patch: RunnerSessionPatch): void {
    const slot = this.#slot(sessionId);
    if (patch.env) slot.env = { ...patch.env };
    if (patch.sleepAfterSeconds) slot.sleepAfterMs = patch.sleepAfterSeconds * 1000;
    slot.lastActivity = Date.now();
  }

  describe(sessionId: string): RunnerSession {
    const slot = this.#slots.get(sessionId);
    return {
      running: Boolean(slot?.container),
      containerId: slot?.container?.id ?? null,
      lastStartMs: slot?.lastStartMs ?? null,
    };
  }

  /**
   * The session's container for one request or socket, started first if none runs; `release` when the
   * request or socket is over. Throws ContainerStartError with the reason when it cannot start.
   */
  async acquire(sessionId: string, purpose: string): Promise<{ port: number; release: () => void }> {
    if (this.#deleted.has(sessionId)) throw new SessionDeleted("the session was deleted");
    const slot = this.#slot(sessionId);
    slot.open += 1;
    slot.lastActivity = Date.now();
    let released = false;
    const release = () => {
      if (released) return;
      released = true;
      slot.open -= 1;
      slot.lastActivity = Date.now();
    };
    try {
      const container =
        slot.container ?? (await this.#serial(slot, () => this.#start(sessionId, slot, purpose)));
      return { port: container.port, release };
    } catch (error) {
      release();
      throw error;
    }
  }

  /** A request could not reach the container: if it is gone, the next request starts a new one. */
  async lost(sessionId: string): Promise<void> {
    const slot = this.#slots.get(sessionId);
    const container = slot?.container;
    if (!slot || !container) return;
    if (await this.#options.docker.running(container.id)) return;
    if (slot.container === container) slot.container = null;
    await this.#options.docker.remove(container.id).catch(() => undefined);
  }

  /** The run is over: the container stops (SIGTERM, then SIGKILL) and is removed; the environment is kept. */
  stop(sessionId: string, reason = "stopped"): Promise<void> {
    const slot = this.#slots.get(sessionId);
    if (!slot) return Promise.resolve();
    return this.#serial(slot, async () => {
      const container = slot.container;
      slot.container = null;
      if (!container) return;
      await this.#options.docker.stop(container.id, STOP_GRACE_SECONDS);
      this.#log(`session ${sessionId}: container ${container.id.slice(0, 12)} ${reason}`);
    });
  }

  /** The session is deleted: its container is killed and removed, and nothing of it is kept. */
  async destroy(sessionId: string): Promise<void> {
    this.#deleted.add(sessionId);
    const slot = this.#slot(sessionId);
    await this.#serial(slot, async () => {
      slot.container = null;
      this.#log(`session ${sessionId}: deleted, its containers removed`);
      // Whatever this runner ever started for the session, under any name.
      for (const id of await this.#options.docker.withLabels({
        [SESSION_LABEL]: sessionId,
        [RUNNER_LABEL]: this.#options.runnerName,
      })) {
        await this.#options.docker.remove(id);
      }
    });
    if (this.#slots.get(sessionId) === slot) this.#slots.delete(sessionId);
  }

  /** Removes every container of this runner's name: at start, what a runner that died left; at shutdown, its own. */
  async removeAll(): Promise<void> {
    this.#slots.clear();
    for (const id of await this.#options.docker.withLabels({ [RUNNER_LABEL]: this.#options.runnerName }))
      await this.#options.docker.remove(id);
  }

  async close(): Promise<void> {
    clearInterval(this.#sweeper);
    await this.removeAll();
  }

  async #start(sessionId: string, slot: Slot, purpose: string): Promise<Running> {
    if (slot.container) return slot.container;
    const started = Date.now();
    const { docker } = this.#options;
    const name = `tandem-${this.#options.runnerName}-${sessionId.replace(/[^A-Za-z0-9_.-]/g, "_")}`.slice(
      0,
      120,
    );
    let id: string | null = null;
    this.#log(`session ${sessionId}: starting a container for ${purpose}`);
    try {
      // A container of an earlier run that was not removed (a runner that died) would hold the name.
      await docker.remove(name);
      id = await docker.start({
        name,
        image: this.#options.image,
        labels: { [SESSION_LABEL]: sessionId, [RUNNER_LABEL]: this.#options.runnerName },
        env: slot.env,
        port: AGENT_CONTAINER_PORT,
        memory: this.#options.memory,
      });
      const port = await docker.hostPort(id, AGENT_CONTAINER_PORT);
      await this.#untilReady(id, port);
      slot.container = { id, port };
      slot.lastStartMs = Date.now() - started;
      slot.lastActivity = Date.now();
      this.#log(
        `session ${sessionId}: container ${id.slice(0, 12)} ready in ${slot.lastStartMs} ms on 127.0.0.1:${port} (for ${purpose})`,
      );
      return slot.container;
    } catch (error) {
      const reason =
        error instanceof DockerError || error instanceof ContainerStartError ? error.message : String(error);
      if (id) await docker.remove(id).catch(() => undefined);
      throw new ContainerStartError(`the session's container could not start: ${reason}`);
    }
  }

  /** Until the agent answers its health check (as the image's HEALTHCHECK asks it); a container that exits fails with its log's end. */
  async #untilReady(id: string, port: number): Promise<void> {
    const deadline = Date.now() + (this.#options.startTimeoutMs ?? 60_000);
    let nextLivenessCheck = Date.now() + 500;
    while (Date.now() < deadline) {
      try {
        const response = await fetch(`http://127.0.0.1:${port}/health`, {
          signal: AbortSignal.timeout(1000),
        });
        if (response.ok) return;
      } catch {
        // not listening yet
      }
      if (Date.now() >= nextLivenessCheck) {
        nextLivenessCheck = Date.now() + 500;
        if (!(await this.#options.docker.running(id))) {
          throw new ContainerStartError(
            `the agent exited before it was ready: ${(await this.#options.docker.logsTail(id, 5)) || "no output"}`,
          );
        }
      }
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
    throw new ContainerStartError(
      `the agent did not answer within ${Math.round((this.#options.startTimeoutMs ?? 60_000) / 1000)} s`,
    );
  }

  #sleepIdle(): void {
    const now = Date.now();
    for (const [sessionId, slot] of this.#slots) {
      if (slot.container && slot.open === 0 && now - slot.lastActivity > slot.sleepAfterMs) {
        slot.lastActivity = now;
        void this.stop(sessionId, `slept after ${Math.round(slot.sleepAfterMs / 1000)} s idle`).catch(
          (error: unknown) => this.#log(`session ${sessionId}: sleep failed: ${String(error)}`),
        );
      }
    }
  }
}
