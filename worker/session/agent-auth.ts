/**
 * The room's credentials on its agent link (the agent's side is containers/agent/link-auth.ts).
 * Locally the agent host has one key, AGENT_KEY, which `npm start` writes to .dev.vars for the Worker and
 * hands to the host. In production each session's room mints a key of its own, keeps it in its storage
 * and gives it to its container (the AgentContainer, or locally the Docker runner's), which starts with it:
 * a token opens one session only.
 */
import {
  AGENT_KEY_ENV,
  AGENT_PROOF_HEADER,
  LINK_NONCE_HEADER,
  MIN_AGENT_KEY_LENGTH,
  agentLinkToken,
  agentProof,
  newAgentKey,
  newNonce,
} from "../protocol/agent-auth";
import type { Env } from "../env";
import { sessionContainer } from "../container/session-container";

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

/** The key of this session's agent; in production the container is told it first. */
async function agentKey(env: Env, storage: DurableObjectStorage, sessionId: string): Promise<string> {
  if (env.AGENT_URL) {
    const key = env.AGENT_KEY?.trim();
    if (!key || key.length < MIN_AGENT_KEY_LENGTH) {
      throw new AgentAuthError(
        `${AGENT_KEY_ENV} is not configured (at least ${MIN_AGENT_KEY_LENGTH} characters): the agent host refuses an unauthenticated link`,
      );
    }
    return key;
  }
  const key = sessionAgentKey(storage);
  await sessionContainer(env, sessionId)?.useAgentKey(key);
  return key;
}

/** The Bearer token this session's room presents. */
export async function agentCredential(
  env: Env,
  storage: DurableObjectStorage,
  sessionId: string,
): Promise<string> {
  return agentLinkToken(await agentKey(env, storage, sessionId), sessionId);
}

/**
 * Sends one request to the session's agent with the room's token and a fresh nonce, and accepts the
 * answer only when it proves the agent holds the key: whatever else answers at the agent's address (a
 * process that took the port) gets no `start`, so no secrets, and is not believed.
 */
export async function signedAgentRequest(
  env: Env,
  storage: DurableObjectStorage,
  sessionId: string,
  init: RequestInit | undefined,
  send: (init: RequestInit) => Promise<Response>,
): Promise<Response> {
  const key = await agentKey(env, storage, sessionId);
  const nonce = newNonce();
  const headers = new Headers(init?.headers);
  headers.set("Authorization", `Bearer ${await agentLinkToken(key, sessionId)}`);
  headers.set(LINK_NONCE_HEADER, nonce);
  const response = await send({ ...init, headers });
  // A plain comparison: the nonce is never used again, so timing reveals nothing reusable.
  if (response.headers.get(AGENT_PROOF_HEADER) === (await agentProof(key, sessionId, nonce))) return response;
  if (response.webSocket) {
    response.webSocket.accept();
    response.webSocket.close(1008, "the agent did not prove its key");
  }
  throw new AgentAuthError(
    `the agent answered ${response.status} without proving it holds the session's key`,
  );
}
