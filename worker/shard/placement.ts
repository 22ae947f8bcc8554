import type { Env } from "../env";

/**
 * The Worker's last step before an authorized upgrade: the session's room says where the viewer goes.
 * Under the threshold the request goes on to the room; past it, straight to the shard the room chose,
 * so the socket's traffic never passes through the room.
 */
export async function placeViewer(request: Request, env: Env, sessionId: string): Promise<Request | Response> {
  const shard = await env.SessionRoom.get(env.SessionRoom.idFromName(sessionId)).placeViewer();
  if (shard === null) return request;
  return env.SessionShard.get(env.SessionShard.idFromName(shard)).fetch(request);
}
