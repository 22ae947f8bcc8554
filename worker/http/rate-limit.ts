/**
 * Rate limits, with Workers' rate limiting binding (wrangler.toml `[[ratelimits]]`, where each
 * deployment sets its limits): session creations and messages per person, webhook deliveries per trigger,
 * a guest's reads and sockets per share link.
 * Only requests that passed validation count, so a malformed one costs nothing but its 4xx.
 */
import type { Env } from "../env";
import { HttpError } from "./errors";

/** The period of every `[[ratelimits]]` binding in wrangler.toml: a refused caller may retry after it. */
export const RATE_LIMIT_PERIOD_SECONDS = 60;

const LIMITERS = {
  sessionCreation: { binding: "SESSION_CREATION_LIMIT", what: "sessions created" },
  message: { binding: "MESSAGE_LIMIT", what: "messages sent" },
  delivery: { binding: "DELIVERY_LIMIT", what: "webhook deliveries" },
  guest: { binding: "GUEST_LIMIT", what: "requests with this share link" },
  workbenchPerson: { binding: "WORKBENCH_PERSON_LIMIT", what: "reads of saved workspaces by you" },
  workbenchWorkspace: {
    binding: "WORKBENCH_WORKSPACE_LIMIT",
    what: "reads of saved workspaces in this workspace",
  },
} as const;

/** Counts one request against `key` (a user, a trigger or a share link); over the limit is a 429 with Retry-After. */
export async function enforceRateLimit(env: Env, limiter: keyof typeof LIMITERS, key: string): Promise<void> {
  const refusal = await rateLimitRefusal(env, limiter, key);
  if (refusal) throw refusal;
}

/** The same count, for the paths outside the hono app (a socket's upgrade): the 429 to answer, or null. */
export async function rateLimitRefusal(
  env: Env,
  limiter: keyof typeof LIMITERS,
  key: string,
): Promise<HttpError | null> {
  const { binding, what } = LIMITERS[limiter];
  const { success } = await env[binding].limit({ key });
  if (success) return null;
  return new HttpError(
    "rate_limited",
    `too many ${what}: try again in ${RATE_LIMIT_PERIOD_SECONDS} seconds`,
    {},
    { "retry-after": String(RATE_LIMIT_PERIOD_SECONDS) },
  );
}
