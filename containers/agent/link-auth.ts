/**
 * Who may talk to the agent host: only the session's room. Every request but the liveness probe must
 * carry the room's Bearer token for the session its path names; a request from a browser (any Origin
 * header) is refused whatever it carries, so no web page open beside `npm start` can drive an agent.
 * An accepted request gets the agent's proof for the room's nonce (the room trusts no answer without it).
 * One check for the HTTP handler and the WebSocket upgrade alike, so every endpoint is covered.
 */
import { timingSafeEqual } from "node:crypto";
import type { IncomingMessage } from "node:http";
import {
  LINK_NONCE_HEADER,
  MIN_AGENT_KEY_LENGTH,
  NONCE_PATTERN,
  agentLinkToken,
  agentProof,
} from "@tandem/protocol/agent-auth";

export type LinkCheck =
  /** `proof` answers the room's nonce: the value of the AGENT_PROOF_HEADER response header. */
  | { ok: true; sessionId: string; proof: string | null }
  | {
      ok: false;
      status: 401 | 403 | 404;
      code: "unauthenticated" | "forbidden" | "not_found";
      message: string;
    };

/** Every session endpoint lives under /sessions/<id>/. */
const SESSION_PATH = /^\/sessions\/([^/]+)\//;

export class AgentKeyError extends Error {}

/** Refuses to run with a missing or weak key: an agent host without one would answer anybody. */
export function requireAgentKey(key: string | undefined): string {
  if (!key || key.length < MIN_AGENT_KEY_LENGTH) {
    throw new AgentKeyError(
      `the agent host needs AGENT_KEY (at least ${MIN_AGENT_KEY_LENGTH} characters): the room's key for its link`,
    );
  }
  return key;
}

function sessionIdOf(pathname: string): string | null {
  const segment = SESSION_PATH.exec(pathname)?.[1];
  if (!segment) return null;
  try {
    return decodeURIComponent(segment);
  } catch {
    return null;
  }
}

/** Compares in constant time for tokens of the expected length (the length itself is public). */
function sameToken(given: string, expected: string): boolean {
  const a = Buffer.from(given, "utf8");
  const b = Buffer.from(expected, "utf8");
  return a.length === b.length && timingSafeEqual(a, b);
}

export async function checkAgentRequest(req: IncomingMessage, key: string): Promise<LinkCheck> {
  if (req.headers.origin !== undefined) {
    return { ok: false, status: 403, code: "forbidden", message: "the agent does not answer browsers" };
  }
  const sessionId = sessionIdOf(new URL(req.url ?? "/", "http://agent-host").pathname);
  if (sessionId === null) return { ok: false, status: 404, code: "not_found", message: "not found" };
  const given = /^Bearer ([0-9a-f]+)$/i.exec(req.headers.authorization?.trim() ?? "")?.[1];
  if (!given || !sameToken(given.toLowerCase(), await agentLinkToken(key, sessionId))) {
    return {
      ok: false,
      status: 401,
      code: "unauthenticated",
      message: "the agent link needs the session's token",
    };
  }
  const nonce = req.headers[LINK_NONCE_HEADER];
  const proof =
    typeof nonce === "string" && NONCE_PATTERN.test(nonce) ? await agentProof(key, sessionId, nonce) : null;
  return { ok: true, sessionId, proof };
}

/** The refusal as a JSON error body, the shape every error of the project has. */
export function refusalBody(check: Extract<LinkCheck, { ok: false }>): string {
  return JSON.stringify({ error: { code: check.code, message: check.message } });
}
