import { routePartykitRequest } from "partyserver";
import type { Env } from "./env";
import { newApp } from "./http/app";
import { ERROR_STATUS, errorBody, errorResponse, handleError } from "./http/errors";
import { requireUser } from "./auth";
import { requireMember } from "./auth/membership";
import { authRoutes, meRoutes } from "./api/auth";
import { tokenRoutes } from "./api/tokens";
import { workspaceRoutes } from "./api/workspaces";
import { openapiRoutes } from "./api/openapi";
import { sessionRoutes } from "./api/sessions";
import { sessionExportRoutes } from "./api/exports";
import { secretRoutes } from "./api/secrets";
import { mcpServerRoutes } from "./api/mcp-servers";
import { triggerRoutes, workspaceCallbackRoutes } from "./api/triggers";
import { webhookRoutes } from "./api/webhooks";
import { ticketRoutes } from "./api/tickets";
import { guestRoutes, shareRoutes } from "./api/shares";
import { scheduleRoutes } from "./api/schedules";
import { workflowRoutes } from "./api/workflows";
import { environmentRoutes } from "./api/environments";
import { sessionGitRoutes } from "./api/git";
import { modelRoutes } from "./api/models";
import { usageRoutes } from "./api/usage";
import { feedRoutes } from "./api/feed";
import { authorizeRoomConnection } from "./auth/socket";
import { foreignHostRefusal } from "./http/host";
import { rejectCrossSite } from "./http/origin";
import { connectViewer } from "./viewers/placement";

export { SessionRoom } from "./session/room";
export { AgentContainer } from "./container/agent-container";
export { SessionShard } from "./viewers/shard";
export { ScheduleClock } from "./schedule/clock";
export { WorkspaceFeed } from "./feed/workspace-feed";

const app = newApp();
app.onError(handleError);
app.notFound((c) =>
  c.json(errorBody("not_found", `no route for ${c.req.method} ${c.req.path}`), ERROR_STATUS.not_found),
);

// Before every /api route, the dev sign-in included (a forged sign-in is a forgery too).
app.use("/api/*", rejectCrossSite);
app.route("/api/auth", authRoutes);
app.route("/api/openapi.json", openapiRoutes);
// Public: a webhook proves itself with its trigger's signature, not a user.
app.route("/webhooks", webhookRoutes);
// Public: a share link's token is a guest's only credential (api/shares.ts).
app.route("/api/shares", guestRoutes);
app.use("/api/*", async (c, next) =>
  c.req.path === "/api/auth/dev" || c.req.path.startsWith("/api/shares/") ? next() : requireUser(c, next),
);
app.route("/api/me", meRoutes);
app.route("/api/tokens", tokenRoutes);
app.route("/api/models", modelRoutes);
app.use("/api/workspaces/:ws/*", requireMember);
app.use("/api/workspaces/:ws", requireMember);
app.route("/api/workspaces/:ws/sessions/:id/export", sessionExportRoutes);
app.route("/api/workspaces/:ws/sessions/:id/ticket", ticketRoutes);
app.route("/api/workspaces/:ws/sessions/:id/shares", shareRoutes);
app.route("/api/workspaces/:ws/sessions/:id", sessionGitRoutes);
app.route("/api/workspaces/:ws/sessions", sessionRoutes);
app.route("/api/workspaces/:ws/secrets", secretRoutes);
app.route("/api/workspaces/:ws/mcp-servers", mcpServerRoutes);
app.route("/api/workspaces/:ws/triggers", triggerRoutes);
app.route("/api/workspaces/:ws/schedules", scheduleRoutes);
app.route("/api/workspaces/:ws/callback", workspaceCallbackRoutes);
app.route("/api/workspaces/:ws/workflows", workflowRoutes);
app.route("/api/workspaces/:ws/environment", environmentRoutes);
app.route("/api/workspaces/:ws/usage", usageRoutes);
app.route("/api/workspaces/:ws/feed", feedRoutes);
app.route("/api/workspaces", workspaceRoutes);

/**
 * Only session rooms are reachable from outside. routePartykitRequest routes every Durable Object
 * namespace it finds in env, AgentContainer included (anyone could start a session's container, keep it
 * awake or pick its port), so it sees only paths it would parse as the session-room party.
 */
function isSessionRoomPath(request: Request): boolean {
  const [prefix, party] = new URL(request.url).pathname.split("/").filter(Boolean);
  return prefix === "parties" && party === "session-room";
}

export default {
  async fetch(request: Request, env: Env, ctx: ExecutionContext): Promise<Response> {
    const foreignHost = foreignHostRefusal(request, env);
    if (foreignHost) return foreignHost;
    if (!isSessionRoomPath(request)) return app.fetch(request, env, ctx);
    const room = await routePartykitRequest(request, env, {
      onBeforeConnect: async (req, lobby) => {
        // Only session rooms take sockets from outside; shards are reached through their room's placement.
        if (lobby.className !== "SessionRoom") return errorResponse("not_found", "not found");
        const authorized = await authorizeRoomConnection(req, env, lobby.name);
        if (authorized instanceof Response) return authorized;
        const answer = await connectViewer(authorized, env, lobby.name);
        // The room refuses a share link's socket past its cap (viewers/viewer-room.ts).
        if (answer.status !== 429) return answer;
        return errorResponse(
          "rate_limited",
          "this share link has too many open sockets: close one and try again",
          {},
          { "retry-after": "60" },
        );
      },
      // The document is only served over the socket; plain HTTP to a room is not part of the API.
      onBeforeRequest: () => errorResponse("not_found", "not found"),
    });
    return room ?? app.fetch(request, env, ctx);
  },
} satisfies ExportedHandler<Env>;
