/**
 * GET /api/workspaces/:ws/feed: the workspace's live feed, a WebSocket (worker/feed/). The API's
 * middleware has authorized the upgrade like any request to the workspace (a member, by cookie from
 * Tandem's own pages, an API token, or Access); who it is goes to the feed in headers only the Worker sets.
 */
import { identityOf } from "../auth/socket";
import { feedOf } from "../feed/publish";
import { newApp } from "../http/app";
import { HttpError } from "../http/errors";
import { withIdentity } from "../viewers/connections";
import { socketLeaseMs } from "../viewers/revocations";

export const feedRoutes = newApp();

feedRoutes.get("/", async (c) => {
  if (c.req.header("upgrade")?.toLowerCase() !== "websocket")
    throw new HttpError("invalid_input", "upgrade: the feed is a WebSocket (Upgrade: websocket)", {
      field: "upgrade",
    });
  const identity = identityOf(c.var.credential, c.var.member.role);
  const feed = await feedOf(c.env, c.req.param("ws")!);
  return feed.fetch(withIdentity(c.req.raw, identity, socketLeaseMs(c.env)));
});
