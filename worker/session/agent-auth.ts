/**
 * The room's credential on its agent link (the agent's side is containers/agent/link-auth.ts).
 * Locally the agent host has one key, AGENT_KEY, which `npm start` writes to .dev.vars for the Worker and
 * hands to the host. In production each session's room mints a key of its own, keeps it in its storage
 * and gives it to its AgentContainer, which starts the container with it: a token opens one session only.
 */
import { AGENT_KEY_ENV, MIN_AGENT_KEY_LENGTH, agentLinkToken, newAgentKey } from "../protocol/agent-auth";
import type { Env } from "../env";

const STORAGE_KEY = "agentLinkKey";

export class AgentAuthError extends Error {}

/** This session's key in production: minted once, kept in the room's storage (gone with the session). */
function sessionAgentKey(storage: DurableObjectStorage): string {
  const stored = storage.kv.get<string>(STORAGE_KEY);
  if (stored) return stored;
  const key = newAgentKey();
  storage.kv.put(STORAGE_KEY, key);
  return key;
}

/** The Bearer token for this session's agent; in production the container is told the key first. */
export async function agentCredential(env: Env, storage: DurableObjectStorage, sessionId: string): Promise<string> {
  if (env.AGENT_URL) {
    const key = env.AGENT_KEY?.trim();
    if (!key || key.length < MIN_AGENT_KEY_LENGTH) {
      throw new AgentAuthError(`${AGENT_KEY_ENV} is not configured (at least ${MIN_AGENT_KEY_LENGTH} characters): the agent host refuses an unauthenticated link`);
    }
    return agentLinkToken(key, sessionId);
  }
  const key = sessionAgentKey(storage);
  await env.AgentContainer.get(env.AgentContainer.idFromName(sessionId)).useAgentKey(key);
  return agentLinkToken(key, sessionId);
}
