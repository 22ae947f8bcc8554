/**
 * Cloudflare Access for the attack suite: the Worker called directly with AUTH_MODE=access, and JWTs
 * signed with a key the stubbed team key set serves (the Worker runs in the test's isolate, so jose's
 * JWKS request reaches the stub).
 */
import { createExecutionContext, env } from "cloudflare:test";
import { exportJWK, generateKeyPair, SignJWT } from "jose";
import { vi } from "vitest";
import worker from "../../worker/index";

const team = "tandem-attack.cloudflareaccess.com";
const audience = "tandem-attack-audience";
export const accessEnv = {
  ...env,
  AUTH_MODE: "access" as const,
  ACCESS_TEAM_DOMAIN: team,
  ACCESS_AUDIENCE: audience,
};

let signingKey: CryptoKey | null = null;
/**
 * One team key for the whole suite: its files share one workerd and so one Worker, whose key-set cache
 * (worker/auth/access.ts) keeps the first key it fetched; a new key per file would be refused as unknown.
 */
let teamKey: Promise<CryptoKeyPair> | null = null;

/** Serves the team's key set from a fetch stub; call once per file (before the first JWT). */
export async function stubAccessKeys(): Promise<void> {
  teamKey ??= generateKeyPair("RS256", { extractable: true });
  const pair = await teamKey;
  signingKey = pair.privateKey;
  const publicJwk = { ...(await exportJWK(pair.publicKey)), kid: "attack-key", alg: "RS256", use: "sig" };
  const realFetch = globalThis.fetch;
  vi.spyOn(globalThis, "fetch").mockImplementation(async (input, init) => {
    const url = input instanceof Request ? input.url : String(input);
    if (url !== `https://${team}/cdn-cgi/access/certs`) return realFetch(input, init);
    return Response.json({ keys: [publicJwk] });
  });
}

/** A JWT for `email` expiring at `expiresAt` (seconds since the epoch). */
export function accessJwt(email: string, expiresAt: number): Promise<string> {
  if (!signingKey) throw new Error("stubAccessKeys() first");
  return new SignJWT({ email })
    .setProtectedHeader({ alg: "RS256", kid: "attack-key" })
    .setIssuer(`https://${team}`)
    .setAudience(audience)
    .setIssuedAt(Math.min(Math.floor(Date.now() / 1000), expiresAt - 1))
    .setExpirationTime(expiresAt)
    .sign(signingKey);
}

/** The Worker as it runs with Cloudflare Access in front of it. */
export function accessFetch(path: string, init: RequestInit = {}): Promise<Response> {
  return worker.fetch(new Request(`http://localhost:8787${path}`, init), accessEnv, createExecutionContext());
}
