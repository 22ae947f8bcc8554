/**
 * DNS rebinding: a page on `evil.example` can make its own name resolve to 127.0.0.1 and then talk to the
 * dev server (`npm start`) as its own origin, so the Origin check passes, the dev sign-in gives it a user,
 * and the local agent host runs its commands on the developer's machine. In dev mode, then, Tandem answers
 * only under its own names: loopback ones and PUBLIC_URL's. (In production Cloudflare routes only the
 * hostnames the deployment names, so no other name can reach the Worker.)
 */
import ipaddr from "ipaddr.js";
import { errorResponse } from "./errors";

/** Whether `hostname` (as URL gives it) can only mean this machine. */
function isLoopback(hostname: string): boolean {
  const name = hostname.toLowerCase().replace(/\.$/, "");
  if (name === "localhost" || name.endsWith(".localhost")) return true;
  const literal = name.startsWith("[") && name.endsWith("]") ? name.slice(1, -1) : name;
  return ipaddr.isValid(literal) && ipaddr.process(literal).range() === "loopback";
}

/** A refusal for a request under a host name that is not Tandem's (dev mode only), or null. */
export function foreignHostRefusal(
  request: Request,
  env: { AUTH_MODE: string; PUBLIC_URL: string },
): Response | null {
  if (env.AUTH_MODE !== "dev") return null;
  const { hostname } = new URL(request.url);
  if (isLoopback(hostname)) return null;
  if (URL.canParse(env.PUBLIC_URL) && new URL(env.PUBLIC_URL).hostname === hostname) return null;
  const message = `this dev server answers only under localhost, 127.0.0.1 or PUBLIC_URL's host, not ${hostname.slice(0, 200)}`;
  return errorResponse("host_not_allowed", message);
}
