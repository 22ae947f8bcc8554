/**
 * Cross-site request forgery: a browser attaches Tandem's cookie (the dev sign-in's, or Access's) to
 * requests that any page starts, so a cookie-authenticated state change or WebSocket upgrade must come
 * from Tandem's own pages. Browsers name a request's origin in `Origin` (and `Sec-Fetch-Site`); a request
 * that carries an API token (`Authorization`, `?token=`) is not cookie-authenticated and is not checked.
 */
import { createMiddleware } from "hono/factory";
import type { AppEnv } from "./app";
import { HttpError } from "./errors";

const SAFE_METHODS = new Set(["GET", "HEAD", "OPTIONS"]);

/** Why this request is refused as cross-site, or null when it may go on. */
export function crossSiteRefusal(request: Request, publicURL: string): HttpError | null {
  const url = new URL(request.url);
  if (request.headers.has("authorization") || url.searchParams.has("token")) return null;
  const upgrade = request.headers.get("upgrade")?.toLowerCase() === "websocket";
  if (SAFE_METHODS.has(request.method) && !upgrade) return null;
  const origin = request.headers.get("origin");
  if (origin === null) {
    // No Origin: not a browser (curl, a test), unless Sec-Fetch-Site says it came from another site.
    const site = request.headers.get("sec-fetch-site");
    return site === null || site === "same-origin" || site === "none"
      ? null
      : refused(`Sec-Fetch-Site: ${site}`);
  }
  return origin === url.origin || origin === originOf(publicURL)
    ? null
    : refused(`Origin: ${origin.slice(0, 200)}`);
}

/** For the API: every state change made with a cookie comes from Tandem's own pages. */
export const rejectCrossSite = createMiddleware<AppEnv>(async (c, next) => {
  const refusal = crossSiteRefusal(c.req.raw, c.env.PUBLIC_URL);
  if (refusal) throw refusal;
  await next();
});

function originOf(url: string): string | null {
  try {
    return new URL(url).origin;
  } catch {
    return null;
  }
}

const refused = (what: string) =>
  new HttpError(
    "cross_site_request",
    `refused a cookie-authenticated request from another site (${what}); use an API token for scripts`,
  );
