import { Container } from "@cloudflare/containers";
import type { Env } from "../env";
import { AGENT_KEY_ENV } from "../protocol/agent-auth";

/** Beyond the session's budget: time for a graceful stop and the final frames. */
const GRACE_SECONDS = 60;
const SLEEP_AFTER_KEY = "sleepAfterSeconds";
const AGENT_KEY = "agentKey";

/**
 * The per-session container running containers/agent (production; AGENT_URL replaces it locally).
 * It sleeps once idle for the session's timeout: no session may use it longer than that.
 */
export class AgentContainer extends Container<Env> {
  defaultPort = 8788;
  /** Until the room says otherwise: the longest timeout a session may have (1800 s), plus the grace. */
  sleepAfter: string | number = 1800 + GRACE_SECONDS;

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
    if (this.envVars?.[AGENT_KEY_ENV] === key) return;
    this.envVars = { [AGENT_KEY_ENV]: key };
    await this.ctx.storage.put(AGENT_KEY, key);
  }

  /** Called by the SessionRoom before it connects: ties the container's lifetime to the session's timeout. */
  async setSessionTimeout(timeoutSeconds: number): Promise<void> {
    this.sleepAfter = timeoutSeconds + GRACE_SECONDS;
    await this.ctx.storage.put(SLEEP_AFTER_KEY, this.sleepAfter);
    this.renewActivityTimeout();
  }
}
