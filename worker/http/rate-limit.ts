/**
 * Rate limits, with Workers' rate limiting binding (wrangler.toml `[[ratelimits]]`, where each
 * deployment sets its limits): session creations and messages per person, webhook deliveries per trigger.
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
} as const;

/** Counts one request against `key` (a user or a trigger); over the limit is a 429 with Retry-After. */
export async function enforceRateLimit(env: Env, limiter: keyof typeof LIMITERS, key: string): Promise<void> {
  const { binding, what } = LIMITERS[limiter];
  const { success } = await env[binding].limit({ key });
  if (success) return;
  throw new HttpError(
    "rate_limited",
    `too many ${what}: try again in ${RATE_LIMIT_PERIOD_SECONDS} seconds`,
    {},
    { "retry-after": String(RATE_LIMIT_PERIOD_SECONDS) },
  );
}
