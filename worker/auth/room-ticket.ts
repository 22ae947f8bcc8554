/**
 * Room tickets: a short-lived signed pass to one session's WebSocket, issued by the API to a member
 * (GET …/sessions/:id/ticket) and checked at the upgrade without D1, so a thousand viewers connect
 * without a thousand database reads. It carries what the upgrade would otherwise look up: who (id and
 * name: presence shows the name), with which role, through which API token, until when their
 * credential is good.
 */
import { SignJWT, jwtVerify } from "jose";
import { z } from "zod";
import { RoleSchema } from "../db/types";
import type { Env } from "../env";
import { errorResponse } from "../http/errors";
import { withIdentity, type ConnectionIdentity } from "../viewers/connections";
import { socketLeaseMs } from "../viewers/revocations";
import { secretOf } from "./dev";

/** Long enough to open a socket (and reopen it after a blip), short enough that a leaked URL is soon worthless. */
export const TICKET_TTL_SECONDS = 60;
const AUDIENCE = "tandem:session-room";

const ClaimsSchema = z.object({
  sub: z.string().min(1),
  name: z.string().max(100),
  sid: z.string().min(1),
  role: RoleSchema,
  tid: z.string().min(1).optional(),
  cex: z.number().int().optional(),
  iat: z.number().int(),
});

const keys = new Map<string, Promise<CryptoKey>>();

/**
 * The HMAC key for tickets, derived from AUTH_SECRET; null where none is configured outside dev mode: the
 * dev fallback is public, and a mistyped AUTH_MODE must not make it the key that opens every room.
 */
function ticketKey(env: Env): Promise<CryptoKey> | null {
  if (env.AUTH_MODE !== "dev" && !env.AUTH_SECRET) return null;
  const secret = secretOf(env);
  let key = keys.get(secret);
  if (!key) {
    // A key of its own: a ticket can never pass for a cookie signature or the other way round.
    key = crypto.subtle.importKey(
      "raw",
      new TextEncoder().encode(`room-ticket\0${secret}`),
      { name: "HMAC", hash: "SHA-256" },
      false,
      ["sign", "verify"],
    );
    keys.set(secret, key);
  }
  return key;
}

export async function issueRoomTicket(
  env: Env,
  sessionId: string,
  access: Omit<ConnectionIdentity, "issuedAt">,
  now = Date.now(),
): Promise<{ ticket: string; expiresAt: number } | null> {
  const key = ticketKey(env);
  if (!key) return null;
  const issuedAt = Math.floor(now / 1000);
  const expiresAt = (issuedAt + TICKET_TTL_SECONDS) * 1000;
  const ticket = await new SignJWT({
    sid: sessionId,
    name: access.userName,
    role: access.role,
    ...(access.tokenId && { tid: access.tokenId }),
    ...(access.expiresAt !== null && { cex: access.expiresAt }),
  })
    .setProtectedHeader({ alg: "HS256" })
    .setSubject(access.userId)
    .setAudience(AUDIENCE)
    .setIssuedAt(issuedAt)
    .setExpirationTime(issuedAt + TICKET_TTL_SECONDS)
    .sign(await key);
  return { ticket, expiresAt };
}

/** The access a ticket grants to this session's socket, or null if it is forged, expired or for another session. */
export async function verifyRoomTicket(
  env: Env,
  ticket: string,
  sessionId: string,
): Promise<ConnectionIdentity | null> {
  const key = ticketKey(env);
  if (!key || ticket.length > 2048) return null;
  try {
    const { payload } = await jwtVerify(ticket, await key, { audience: AUDIENCE, algorithms: ["HS256"] });
    const claims = ClaimsSchema.safeParse(payload);
    if (!claims.success || claims.data.sid !== sessionId) return null;
    if (claims.data.cex !== undefined && claims.data.cex <= Date.now()) return null;
    const { sub, name, role, tid, cex, iat } = claims.data;
    // The issue time goes to the room, which refuses a ticket issued before a revocation it remembers.
    return {
      userId: sub,
      userName: name,
      role,
      tokenId: tid ?? null,
      expiresAt: cex ?? null,
      issuedAt: iat * 1000,
    };
  } catch {
    return null;
  }
}

/** The upgrade with a `?ticket=`: forwarded with the ticket's access in headers, or 401. */
export async function authorizeWithTicket(
  request: Request,
  env: Env,
  sessionId: string,
  ticket: string,
): Promise<Request | Response> {
  const access = await verifyRoomTicket(env, ticket, sessionId);
  if (!access)
    return errorResponse(
      "invalid_ticket",
      "the room ticket is invalid or expired; ask the API for a new one",
    );
  return withIdentity(request, access, socketLeaseMs(env));
}
