import type { Env } from "../env";
import { SHARD_HEADER } from "./fan-out-config";

/**
 * Opens an authorized viewer's socket. The upgrade goes to the session's room, which takes it while
 * under its threshold; past it the room answers with the shard it placed the viewer on, and the
 * upgrade goes straight there, so the socket's traffic never passes through the room.
 */
export async function connectViewer(request: Request, env: Env, sessionId: string): Promise<Response> {
  const answer = await env.SessionRoom.get(env.SessionRoom.idFromName(sessionId)).fetch(request);
  const shard = answer.headers.get(SHARD_HEADER);
  if (answer.status !== 307 || !shard) return answer;
  return env.SessionShard.get(env.SessionShard.idFromName(shard)).fetch(request);
}
