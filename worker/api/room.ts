/**
 * The API's way to the session named in a path: it is looked up in the D1 index of the path's workspace
 * (another workspace's session is a 404) before its room is reached (sessions/rooms.ts).
 */
import type { Context } from "hono";
import { findSession } from "../db/sessions";
import type { AppEnv } from "../http/app";
import { notFound, parseInput } from "../http/errors";
import { SessionParamsSchema } from "../protocol/session";
import { roomOf } from "../sessions/rooms";

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
