/**
 * The agent link's credential, derived the same way on both sides (Web Crypto: the Worker and Node).
 * The agent has a key; the room presents HMAC-SHA256(key, "tandem-agent-link:" + sessionId) as a Bearer
 * token on every request it makes to the agent, so a token opens one session's endpoints and nothing else.
 */

/** Keys shorter than this are refused: the token is only as strong as the key. */
export const MIN_AGENT_KEY_LENGTH = 32;

/** The agent's key in the environment of the agent host (locally) or of the session's container. */
export const AGENT_KEY_ENV = "AGENT_KEY";

export async function agentLinkToken(key: string, sessionId: string): Promise<string> {
  const encoder = new TextEncoder();
  const hmac = await crypto.subtle.importKey("raw", encoder.encode(key), { name: "HMAC", hash: "SHA-256" }, false, ["sign"]);
  const mac = new Uint8Array(await crypto.subtle.sign("HMAC", hmac, encoder.encode(`tandem-agent-link:${sessionId}`)));
  return [...mac].map((byte) => byte.toString(16).padStart(2, "0")).join("");
}

/** A new random key: 256 bits, base64url. */
export function newAgentKey(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(32));
  return btoa(String.fromCharCode(...bytes)).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}
