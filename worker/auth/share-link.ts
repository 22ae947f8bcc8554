/**
 * Share-link tokens: `tds_` and 32 random bytes in hex, shown once; only their SHA-256 is stored. The
 * token is a guest's whole credential (API and socket), for one session.
 */
import { sha256Hex } from "./api-token";
import { shareByHash } from "../db/shares";
import type { Env } from "../env";
import { ShareTokenSchema } from "../protocol/shares";

const SHARE_TOKEN_PREFIX = "tds_";

export function generateShareToken(): string {
  return (
    SHARE_TOKEN_PREFIX +
    [...crypto.getRandomValues(new Uint8Array(32))].map((b) => b.toString(16).padStart(2, "0")).join("")
  );
}

export const hashShareToken = (token: string) => sha256Hex(token);

/** The live link a token names (not revoked, not expired, its session not deleted), or null. */
export async function shareOfToken(
  env: Env,
  token: string,
): Promise<{ id: string; sessionId: string; expiresAt: number | null } | null> {
  if (!ShareTokenSchema.safeParse(token).success) return null;
  return shareByHash(env.DB, await hashShareToken(token), Date.now());
}
