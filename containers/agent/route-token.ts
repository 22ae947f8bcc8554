/**
 * The tokens of the agent host's loopback routes (the model gateway's, the MCP proxy's): 32 random bytes
 * in the route's URL, kept by the route only as their digest, and looked up by comparing every route.
 */
import { createHash, randomBytes } from "node:crypto";

export const digestOf = (token: string) => createHash("sha256").update(token).digest();

/** A new route's token, and the digest the route keeps of it. */
export function mintToken(): { token: string; digest: Buffer } {
  const token = randomBytes(32).toString("base64url");
  return { token, digest: digestOf(token) };
}

/** The route whose token this is, or null; each route's `matches` compares in constant time. */
export function findByToken<R extends { matches(digest: Buffer): boolean }>(
  routes: Iterable<R>,
  token: string,
): R | null {
  const digest = digestOf(token);
  let found: R | null = null;
  // Every route is compared, so the time taken says nothing about which one came close.
  for (const route of routes) if (route.matches(digest)) found = route;
  return found;
}
