import { createMiddleware } from "hono/factory";
import type { Env } from "../env";
import type { AppEnv } from "../http/app";
import { errorBody } from "../http/errors";
import { userForTokenHash } from "../db/tokens";
import type { User } from "../db/types";
import { accessUser } from "./access";
import { API_TOKEN_PREFIX, hashApiToken } from "./api-token";
import { devUserFromCookie } from "./dev";

/**
 * Who is making this request: an API token (`Authorization: Bearer`, or `?token=` where a browser cannot
 * set headers, i.e. WebSockets), else the dev cookie or the Access JWT depending on AUTH_MODE.
 * A token that is presented but not valid is a failure, never a fall-through to another credential.
 */
export async function authenticate(request: Request, env: Env): Promise<User | null> {
  const bearer = request.headers.get("authorization")?.match(/^Bearer\s+(\S+)\s*$/i)?.[1];
  const token = bearer ?? new URL(request.url).searchParams.get("token");
  if (token) return userForApiToken(env, token);
  if (request.headers.has("authorization")) return null;
  return env.AUTH_MODE === "access" ? accessUser(request, env) : devUserFromCookie(request, env);
}

async function userForApiToken(env: Env, token: string): Promise<User | null> {
  if (!token.startsWith(API_TOKEN_PREFIX)) return null;
  return userForTokenHash(env.DB, await hashApiToken(token));
}

/** Every /api route but the dev sign-in goes through this. */
export const requireUser = createMiddleware<AppEnv>(async (c, next) => {
  const user = await authenticate(c.req.raw, c.env);
  if (!user) return c.json(errorBody("unauthenticated", "sign in or send an API token"), 401);
  c.set("user", user);
  await next();
});
