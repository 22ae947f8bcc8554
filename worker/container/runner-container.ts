/**
 * The session's container on the local Docker runner (containers/runner), which stands where Cloudflare
 * Containers stand in production: the same calls as the AgentContainer Durable Object, over the runner's
 * HTTP API on 127.0.0.1. A request the runner could not bring to a container (it could not start: the image
 * is missing, Docker is gone) throws with the runner's reason, as a container that cannot start does in
 * production, so the session fails with it.
 */
import type { Env } from "../env";
import {
  RUNNER_ERROR_HEADER,
  RUNNER_KEY_HEADER,
  runnerContainerPath,
  runnerSessionPath,
  type RunnerSessionPatch,
} from "../protocol/runner";
import { AGENT_KEY_ENV } from "../protocol/agent-auth";
import { CONTAINER_GRACE_SECONDS } from "./agent-container";
import type { SessionContainer } from "./session-container";

export class ContainerUnavailable extends Error {}

async function runnerFailure(response: Response): Promise<ContainerUnavailable> {
  const body = (await response.json().catch(() => null)) as { error?: { message?: string } } | null;
  return new ContainerUnavailable(body?.error?.message ?? `the container runner answered ${response.status}`);
}

export function runnerContainer(env: Env, sessionId: string): SessionContainer {
  const runner = env.CONTAINER_RUNNER_URL.replace(/\/+$/, "");
  const key = env.CONTAINER_RUNNER_KEY ?? "";
  const call = async (path: string, init: RequestInit): Promise<void> => {
    const headers = new Headers(init.headers);
    headers.set(RUNNER_KEY_HEADER, key);
    const response = await fetch(`${runner}${path}`, { ...init, headers });
    if (!response.ok) throw await runnerFailure(response);
  };
  const configure = (patch: RunnerSessionPatch) =>
    call(runnerSessionPath(sessionId), {
      method: "PATCH",
      headers: { "content-type": "application/json" },
      body: JSON.stringify(patch),
    });
  return {
    useAgentKey: (agentKey) => configure({ env: { [AGENT_KEY_ENV]: agentKey } }),
    setSessionTimeout: (timeoutSeconds) =>
      configure({ sleepAfterSeconds: timeoutSeconds + CONTAINER_GRACE_SECONDS }),
    async fetch(request) {
      const url = new URL(request.url);
      const forwarded = new Request(
        `${runner}${runnerContainerPath(sessionId, url.pathname + url.search)}`,
        request,
      );
      forwarded.headers.set(RUNNER_KEY_HEADER, key);
      const response = await fetch(forwarded);
      if (response.headers.has(RUNNER_ERROR_HEADER)) throw await runnerFailure(response);
      return response;
    },
    stop: () => call(`${runnerSessionPath(sessionId)}/stop`, { method: "POST" }),
    destroy: () => call(runnerSessionPath(sessionId), { method: "DELETE" }),
  };
}
