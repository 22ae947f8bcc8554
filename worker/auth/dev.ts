import type { Context } from "hono";
import { deleteCookie, setSignedCookie } from "hono/cookie";
import { parseSigned } from "hono/utils/cookie";
import type { Env } from "../env";
import type { AppEnv } from "../http/app";
import { getUser, upsertUserByEmail } from "../db/users";
import type { User } from "../db/types";
import { sha256Hex } from "./api-token";

/** The dev sign-in cookie: the user id, HMAC-signed with AUTH_SECRET. */
export const DEV_COOKIE = "tandem_dev_session";
const DEV_COOKIE_MAX_AGE_SECONDS = 30 * 24 * 60 * 60;

// Dev-only fallback so `wrangler dev` works without a .dev.vars; the dev sign-in is never served when
// AUTH_MODE is "access", so this key signs nothing in production.
const DEV_FALLBACK_SECRET = "tandem-dev-only-not-a-secret";

export const secretOf = (env: Env) => env.AUTH_SECRET || DEV_FALLBACK_SECRET;

export async function devUserFromCookie(request: Request, env: Env): Promise<User | null> {
  const cookieHeader = request.headers.get("cookie");
  if (!cookieHeader) return null;
  // parseSigned rather than getSignedCookie: the WebSocket upgrade has a Request, not a hono Context.
  const userId = (await parseSigned(cookieHeader, secretOf(env), DEV_COOKIE))[DEV_COOKIE];
  if (!userId) return null;
  return getUser(env.DB, userId);
}

/**
 * A dev user is identified by name, case-insensitively: the same name always signs in as the same user,
 * whose email is `<slug>@dev.local` (with a short hash when the slug alone would not be unique).
 */
export async function signInDevUser(env: Env, name: string): Promise<User> {
  return upsertUserByEmail(env.DB, await devEmail(name), name);
}

export async function devEmail(name: string): Promise<string> {
  const key = name.trim().toLowerCase();
  const slug = key
    .replace(/[^a-z0-9]+/g, "-")
    .replace(/^-+|-+$/g, "")
    .slice(0, 40);
  if (slug === key) return `${slug}@dev.local`;
  const hash = (await sha256Hex(key)).slice(0, 8);
  return `${slug ? `${slug}-` : ""}${hash}@dev.local`;
}

export async function setDevCookie(c: Context<AppEnv>, userId: string): Promise<void> {
  await setSignedCookie(c, DEV_COOKIE, userId, secretOf(c.env), {
    path: "/",
    httpOnly: true,
    sameSite: "Lax",
    secure: new URL(c.req.url).protocol === "https:",
    maxAge: DEV_COOKIE_MAX_AGE_SECONDS,
  });
}

export function clearDevCookie(c: Context): void {
  deleteCookie(c, DEV_COOKIE, { path: "/" });
}
