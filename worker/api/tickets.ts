import { issueRoomTicket } from "../auth/room-ticket";
import { newApp } from "../http/app";
import { identityOf } from "../auth/socket";
import { HttpError } from "../http/errors";
import { sessionIdOfPath } from "./room";

/**
 * GET /api/workspaces/:ws/sessions/:id/ticket (member): a short-lived signed pass to the session's
 * WebSocket (`/parties/session-room/:id?ticket=…`), checked at the upgrade without D1.
 */
export const ticketRoutes = newApp();

ticketRoutes.get("/", async (c) => {
  const id = await sessionIdOfPath(c);
  // Issued through an API token, the socket dies with the token; through an Access JWT, at its expiry.
  const issued = await issueRoomTicket(c.env, id, identityOf(c.var.credential, c.var.member.role));
  if (!issued) throw new HttpError("not_configured", "room tickets need AUTH_SECRET to be set");
  return c.json({
    ...issued,
    url: `/parties/session-room/${encodeURIComponent(id)}?ticket=${issued.ticket}`,
  });
});
