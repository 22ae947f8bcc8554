import { createRemoteJWKSet, jwtVerify } from "jose";
import { parse } from "hono/utils/cookie";
import type { Env } from "../env";
import { upsertUserByEmail } from "../db/users";
import type { User } from "../db/types";

/** One key set per team domain, kept for the isolate's life so Access's keys are fetched once, not per request. */
const keySets = new Map<string, ReturnType<typeof createRemoteJWKSet>>();

function keySetFor(teamDomain: string) {
  let keySet = keySets.get(teamDomain);
  if (!keySet) {
    keySet = createRemoteJWKSet(new URL(`https://${teamDomain}/cdn-cgi/access/certs`));
    keySets.set(teamDomain, keySet);
  }
  return keySet;
}

/** Access puts its JWT in a header on every proxied request; browsers also carry it as a cookie. */
function accessJwtOf(request: Request): string | null {
  const header = request.headers.get("cf-access-jwt-assertion");
  if (header) return header;
  const cookies = request.headers.get("cookie");
  return cookies ? (parse(cookies, "CF_Authorization").CF_Authorization ?? null) : null;
}

/**
 * The person Cloudflare Access vouches for, created on first sight, and when the JWT expires (ms); null
 * when the JWT is absent or invalid.
 */
export async function accessUser(
  request: Request,
  env: Env,
): Promise<{ user: User; expiresAt: number | null } | null> {
  const jwt = accessJwtOf(request);
  if (!jwt) return null;
  const teamDomain = env.ACCESS_TEAM_DOMAIN.replace(/^https?:\/\//, "").replace(/\/+$/, "");
  if (!teamDomain || !env.ACCESS_AUDIENCE) {
    console.error("AUTH_MODE is access but ACCESS_TEAM_DOMAIN or ACCESS_AUDIENCE is not set");
    return null;
  }
  let payload;
  try {
    ({ payload } = await jwtVerify(jwt, keySetFor(teamDomain), {
      issuer: `https://${teamDomain}`,
      audience: env.ACCESS_AUDIENCE,
      algorithms: ["RS256"],
    }));
  } catch {
    return null;
  }
  // Service-token JWTs carry no email: they are not people, and scripts use API tokens instead.
  if (typeof payload.email !== "string" || !payload.email.includes("@")) return null;
  const email = payload.email.toLowerCase();
  const claimedName = typeof payload.name === "string" ? payload.name.trim().slice(0, 100) : "";
  const user = await upsertUserByEmail(env.DB, email, claimedName || email.slice(0, email.indexOf("@")));
  return { user, expiresAt: typeof payload.exp === "number" ? payload.exp * 1000 : null };
}
