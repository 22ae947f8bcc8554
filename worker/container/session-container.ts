/**
 * The session's container as its room uses it, whoever runs it: the AgentContainer Durable Object
 * (Cloudflare Containers, production) or the local Docker runner (containers/runner). The room's code is
 * the same for both.
 */
import type { Env } from "../env";
import { runnerContainer } from "./runner-container";

export interface SessionContainer {
  /** The key the container starts with (`AGENT_KEY`): the room's link tokens are made with it. */
  useAgentKey(key: string): Promise<void>;
  /** The container sleeps once idle for the session's timeout plus a grace. */
  setSessionTimeout(timeoutSeconds: number): Promise<void>;
  /** A request to the agent on port 8788; the container starts on the first one that needs it. */
  fetch(request: Request): Promise<Response>;
  /** The run is over and its workspace is in R2: the container stops (a Resume starts a new one). */
  stop(): Promise<void>;
  /** The session is deleted: its container is killed, and the key it was given forgotten. */
  destroy(): Promise<void>;
}

/**
 * The session's container: null with a local agent host (AGENT_URL, no container at all), the Docker
 * runner's when CONTAINER_RUNNER_URL is set, else the AgentContainer Durable Object.
 */
export function sessionContainer(env: Env, sessionId: string): SessionContainer | null {
  if (env.AGENT_URL) return null;
  if (env.CONTAINER_RUNNER_URL) return runnerContainer(env, sessionId);
  const stub = () => env.AgentContainer.get(env.AgentContainer.idFromName(sessionId));
  return {
    useAgentKey: (key) => stub().useAgentKey(key),
    setSessionTimeout: (timeoutSeconds) => stub().setSessionTimeout(timeoutSeconds),
    fetch: (request) => stub().fetch(request),
    stop: () => stub().stopRun(),
    destroy: () => stub().forgetSession(),
  };
}
