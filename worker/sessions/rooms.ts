/**
 * The Worker's one way to a session's room: its stub by session id, and what the room answers unwrapped
 * into a value or an HttpError whose status comes from the error code. The API, triggers, webhooks and
 * the ScheduleClock reach rooms through here.
 */
import { getServerByName } from "partyserver";
import type { Env } from "../env";
import { HttpError } from "../http/errors";
import { RATE_LIMIT_PERIOD_SECONDS } from "../http/rate-limit";
import type { RoomResult } from "../session/room-result";

/** The room of a session by id: for callers that have checked it themselves (or are creating it). */
export function roomOf(env: Env, id: string) {
  return getServerByName(env.SessionRoom, id);
}

/** A room's answer as a value, or thrown as an HttpError (a refused phase change keeps its phase; a 429 says when to retry). */
export function unwrap<T>(result: RoomResult<T>): T {
  if (result.ok) return result.value;
  const { code, message, phase, field } = result.error;
  const headers: Record<string, string> =
    code === "rate_limited" ? { "retry-after": String(RATE_LIMIT_PERIOD_SECONDS) } : {};
  throw new HttpError(code, message, { ...(phase && { phase }), ...(field && { field }) }, headers);
}
