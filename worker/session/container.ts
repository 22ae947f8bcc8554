import { Container } from "@cloudflare/containers";
import type { Env } from "../env";

/** Beyond the session's budget: time for a graceful stop and the final frames. */
const GRACE_SECONDS = 60;
const SLEEP_AFTER_KEY = "sleepAfterSeconds";

/**
 * The per-session container running containers/agent (production; AGENT_URL replaces it locally).
 * It sleeps once idle for the session's timeout: no session may use it longer than that.
 */
export class AgentContainer extends Container<Env> {
  defaultPort = 8788;
  /** Until the room says otherwise: the longest timeout SPEC §2 allows (1800 s), plus the grace. */
  sleepAfter: string | number = 1800 + GRACE_SECONDS;

  constructor(ctx: DurableObjectState<{}>, env: Env) {
    super(ctx, env);
    void ctx.blockConcurrencyWhile(async () => {
      const stored = await ctx.storage.get<number>(SLEEP_AFTER_KEY);
      if (stored) this.sleepAfter = stored;
    });
  }

  /** Called by the SessionRoom before it connects: ties the container's lifetime to the session's timeout. */
  async setSessionTimeout(timeoutSeconds: number): Promise<void> {
    this.sleepAfter = timeoutSeconds + GRACE_SECONDS;
    await this.ctx.storage.put(SLEEP_AFTER_KEY, this.sleepAfter);
    this.renewActivityTimeout();
  }
}
