import { createMiddleware } from "hono/factory";
import type { Env } from "../env";
import type { AppEnv } from "../http/app";
import { ERROR_STATUS, errorBody } from "../http/errors";
import { userForTokenHash } from "../db/tokens";
import type { Credential } from "../db/types";
import { accessUser } from "./access";
import { API_TOKEN_PREFIX, hashApiToken } from "./api-token";
import { devUserFromCookie } from "./dev";

export type { Credential } from "../db/types";

/**
 * Who is making this request: an API token (`Authorization: Bearer`, or `?token=` on a WebSocket upgrade,
 * where a browser cannot set headers), else the dev cookie or the Access JWT depending on AUTH_MODE.
 * A token that is presented but not valid is a failure, never a fall-through to another credential.
 */
export async function authenticateRequest(request: Request, env: Env): Promise<Credential | null> {
  const token = presentedToken(request);
  // Presented, even empty (`?token=`): the cross-site check lets such a request through as not a cookie's.
  if (token !== null) {
    // In a URL a token ends up in logs and histories: only a WebSocket upgrade, which cannot carry a
    // header from a browser, may put it there. Named in any other request's URL it is refused, not ignored.
    if (!fromHeader(request) && !isUpgrade(request)) return null;
    const found = token.startsWith(API_TOKEN_PREFIX)
      ? await userForTokenHash(env.DB, await hashApiToken(token))
      : null;
    return found && { user: found.user, tokenId: found.tokenId, expiresAt: null };
  }
  if (request.headers.has("authorization")) return null;
  if (env.AUTH_MODE === "access") {
    const access = await accessUser(request, env);
    return access && { user: access.user, tokenId: null, expiresAt: access.expiresAt };
  }
  // Fail closed: a mistyped AUTH_MODE must not fall back to dev cookies (signed with a known key if
  // AUTH_SECRET is unset too).
  if (env.AUTH_MODE !== "dev") return null;
  const user = await devUserFromCookie(request, env);
  return user && { user, tokenId: null, expiresAt: null };
}

/**
 * The API token a request carries, if any: such a request is not authenticated by a cookie. A `token`
 * parameter counts however it is spelled (empty, repeated): it is what exempts a request from the
 * cross-site check, so it must never fall through to the cookie.
 */
export function presentedToken(request: Request): string | null {
  const bearer = request.headers.get("authorization")?.match(/^Bearer\s+(\S+)\s*$/i)?.[1];
  if (bearer !== undefined) return bearer;
  const params = new URL(request.url).searchParams;
  return params.has("token") ? params.getAll("token").join(",") : null;
}

const fromHeader = (request: Request) => /^Bearer\s/i.test(request.headers.get("authorization") ?? "");
const isUpgrade = (request: Request) => request.headers.get("upgrade")?.toLowerCase() === "websocket";

/** Every /api route but the dev sign-in goes through this. */
export const requireUser = createMiddleware<AppEnv>(async (c, next) => {
  const credential = await authenticateRequest(c.req.raw, c.env);
  if (!credential)
    return c.json(errorBody("unauthenticated", "sign in or send an API token"), ERROR_STATUS.unauthenticated);
  c.set("user", credential.user);
  c.set("credential", credential);
  await next();
});
