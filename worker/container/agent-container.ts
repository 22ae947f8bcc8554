import { Container } from "@cloudflare/containers";
import type { Env } from "../env";
import { AGENT_KEY_ENV } from "../protocol/agent-auth";

/** Beyond the session's budget: time for a graceful stop and the final frames. */
export const CONTAINER_GRACE_SECONDS = 60;
const SLEEP_AFTER_KEY = "sleepAfterSeconds";
const AGENT_KEY = "agentKey";

/**
 * The per-session container running containers/agent (production; AGENT_URL replaces it locally).
 * It sleeps once idle for the session's timeout: no session may use it longer than that.
 */
export class AgentContainer extends Container<Env> {
  defaultPort = 8788;
  #deleted = false;
  /** Until the room says otherwise: the longest timeout a session may have (1800 s), plus the grace. */
  sleepAfter: string | number = 1800 + CONTAINER_GRACE_SECONDS;

  constructor(ctx: DurableObjectState<{}>, env: Env) {
    super(ctx, env);
    void ctx.blockConcurrencyWhile(async () => {
      const stored = await ctx.storage.get<number>(SLEEP_AFTER_KEY);
      if (stored) this.sleepAfter = stored;
      const agentKey = await ctx.storage.get<string>(AGENT_KEY);
      if (agentKey) this.envVars = { [AGENT_KEY_ENV]: agentKey };
    });
  }

  /**
   * Called by the SessionRoom before every request: the key its link tokens are made with, which the
   * container is started with (the agent refuses to run without one). Kept, so a restart uses it too.
   */
  async useAgentKey(key: string): Promise<void> {
    if (this.#deleted) throw new Error("the session was deleted");
    if (this.envVars?.[AGENT_KEY_ENV] === key) return;
    this.envVars = { [AGENT_KEY_ENV]: key };
    await this.ctx.storage.put(AGENT_KEY, key);
  }

  /** Called by the SessionRoom before it connects: ties the container's lifetime to the session's timeout. */
  async setSessionTimeout(timeoutSeconds: number): Promise<void> {
    this.sleepAfter = timeoutSeconds + CONTAINER_GRACE_SECONDS;
    await this.ctx.storage.put(SLEEP_AFTER_KEY, this.sleepAfter);
    this.renewActivityTimeout();
  }

  override async fetch(request: Request): Promise<Response> {
    if (this.#deleted)
      return Response.json(
        { error: { code: "not_found", message: "the session was deleted" } },
        { status: 410 },
      );
    return super.fetch(request);
  }

  /** The run is over (Stopped, Completed, Failed) and its workspace saved: SIGTERM, as the platform stops it. */
  async stopRun(): Promise<void> {
    if (this.ctx.container?.running) await this.stop();
  }

  /**
   * The session is deleted: the container is killed and nothing of the session stays here. A request
   * still in flight at the delete (a workspace save) would start a new one: this instance refuses them.
   */
  async forgetSession(): Promise<void> {
    this.#deleted = true;
    if (this.ctx.container?.running) await this.destroy();
    this.envVars = {};
    await this.ctx.storage.delete([AGENT_KEY, SLEEP_AFTER_KEY]);
  }
}
