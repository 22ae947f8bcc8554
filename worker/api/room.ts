/**
 * The API's one way to a session's room: the session named in the path is looked up in the D1 index of
 * the path's workspace (another workspace's session is a 404), and what the room answers is unwrapped
 * into a value or an HttpError whose status comes from the error code.
 */
import type { Context } from "hono";
import { getServerByName } from "partyserver";
import { findSession } from "../db/sessions";
import type { Env } from "../env";
import type { AppEnv } from "../http/app";
import { HttpError, notFound, parseInput } from "../http/errors";
import type { RoomResult } from "../session/room-result";
import { SessionParamsSchema } from "../protocol/session";

/** The id of the session in the path, once it is known to belong to the path's workspace. */
export async function sessionIdOfPath(c: Context<AppEnv>): Promise<string> {
  const { id } = parseInput(SessionParamsSchema, { id: c.req.param("id") });
  if (!(await findSession(c.env.DB, c.req.param("ws")!, id))) throw notFound("session not found");
  return id;
}

/** The room of the session in the path (checked as sessionIdOfPath checks it). */
export async function roomOfPath(c: Context<AppEnv>) {
  return roomOf(c.env, await sessionIdOfPath(c));
}

/** The room of a session by id: for callers that have checked it themselves (or are creating it). */
export function roomOf(env: Env, id: string) {
  return getServerByName(env.SessionRoom, id);
}

/** A room's answer as a value, or thrown as an HttpError (a refused phase change keeps its phase). */
export function unwrap<T>(result: RoomResult<T>): T {
  if (result.ok) return result.value;
  const { code, message, phase, field } = result.error;
  throw new HttpError(code, message, { ...(phase && { phase }), ...(field && { field }) });
}
