/**
 * The agent link's credentials, derived the same way on both sides (Web Crypto: the Worker and Node).
 * The agent has a key. The room presents HMAC-SHA256(key, "tandem-agent-link:" + sessionId) as a Bearer
 * token on every request it makes to the agent, so a token opens one session's endpoints and nothing else.
 * The agent proves it holds the key too: the room sends a fresh nonce with each request and accepts the
 * answer (and only then sends secrets) when it carries HMAC(key, "tandem-agent-proof:" + sessionId + ":" +
 * nonce). The two messages never coincide, so one cannot stand in for the other.
 */

/** Keys shorter than this are refused: the token is only as strong as the key. */
export const MIN_AGENT_KEY_LENGTH = 32;

/** The agent's key in the environment of the agent host (locally) or of the session's container. */
export const AGENT_KEY_ENV = "AGENT_KEY";

/** The room's nonce on a request, and the agent's proof on its answer. */
export const LINK_NONCE_HEADER = "x-tandem-link-nonce";
export const AGENT_PROOF_HEADER = "x-tandem-agent-proof";
/** What a nonce looks like (newNonce makes 32 hex digits); anything else gets no proof. */
export const NONCE_PATTERN = /^[0-9a-f]{16,64}$/;

async function hmacHex(key: string, message: string): Promise<string> {
  const encoder = new TextEncoder();
  const hmac = await crypto.subtle.importKey(
    "raw",
    encoder.encode(key),
    { name: "HMAC", hash: "SHA-256" },
    false,
    ["sign"],
  );
  const mac = new Uint8Array(await crypto.subtle.sign("HMAC", hmac, encoder.encode(message)));
  return [...mac].map((byte) => byte.toString(16).padStart(2, "0")).join("");
}

export function agentLinkToken(key: string, sessionId: string): Promise<string> {
  return hmacHex(key, `tandem-agent-link:${sessionId}`);
}

export function agentProof(key: string, sessionId: string, nonce: string): Promise<string> {
  return hmacHex(key, `tandem-agent-proof:${sessionId}:${nonce}`);
}

export function newNonce(): string {
  return [...crypto.getRandomValues(new Uint8Array(16))]
    .map((byte) => byte.toString(16).padStart(2, "0"))
    .join("");
}

/** A new random key: 256 bits, base64url. */
export function newAgentKey(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(32));
  return btoa(String.fromCharCode(...bytes))
    .replace(/\+/g, "-")
    .replace(/\//g, "_")
    .replace(/=+$/, "");
}
