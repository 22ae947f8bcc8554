import { requireRole } from "../auth/membership";
import { setSessionPullRequest } from "../db/pushes";
import { newApp } from "../http/app";
import { readJson } from "../http/body";
import { PushSchema, type Changes, type PushResult } from "../protocol/git";
import { roomOfPath, sessionIdOfPath } from "./room";
import { roomOf, unwrap } from "../sessions/rooms";

/**
 * The git round trip of a session, mounted at /api/workspaces/:ws/sessions/:id: its changes
 * for every member, a push (and pull request) for owners and editors. Both ask the session's running agent.
 */
export const sessionGitRoutes = newApp();

sessionGitRoutes.get("/changes", async (c) =>
  c.json(
    unwrap(
      await (await roomOfPath(c)).changes({ id: c.var.user.id, name: c.var.user.name }),
    ) satisfies Changes,
  ),
);

sessionGitRoutes.post("/push", async (c) => {
  requireRole(c, "owner", "editor");
  const body = await readJson(c, PushSchema);
  const id = await sessionIdOfPath(c);
  const result: PushResult = unwrap(
    await (await roomOf(c.env, id)).push(body, { id: c.var.user.id, name: c.var.user.name }),
  );
  if (result.pullRequestUrl) await setSessionPullRequest(c.env.DB, id, result.pullRequestUrl);
  return c.json(result);
});
