/**
 * Viewer sockets, the same on the SessionRoom and on its viewer shards: who the socket belongs to (set
 * by the Worker in headers only it can set, kept in the socket's hibernation-proof state), what it may
 * send (read-only Yjs sync and its own presence), how it is answered when it syncs (in parts), and how
 * it is closed when its access is revoked or expires.
 */
import type { Connection, WSMessage } from "partyserver";
import type * as Y from "yjs";
import { z } from "zod";
import { RoleSchema } from "../db/types";
import { syncAnswer, syncStep1StateVector } from "../sync/sync-answer";
import { acceptsClientFrame } from "./presence";

export const ViewerAccessSchema = z.object({
  userId: z.string().min(1),
  role: RoleSchema,
  /** The API token the socket was authorized through, if any: revoking the token closes the socket. */
  tokenId: z.string().nullable(),
  /** When the credential behind the socket expires (ms since the epoch); the socket is closed then. */
  expiresAt: z.number().int().nullable(),
});
export type ViewerAccess = z.infer<typeof ViewerAccessSchema>;

export const RevocationSchema = z.object({ userId: z.string().min(1).optional(), tokenId: z.string().min(1).optional() });
export type Revocation = z.infer<typeof RevocationSchema>;

export const ACCESS_HEADERS = {
  userId: "x-tandem-user-id",
  role: "x-tandem-role",
  tokenId: "x-tandem-token-id",
  expiresAt: "x-tandem-expires-at",
} as const;

/** Close codes a viewer sees: the provider does not retry them blindly, and the web app can say why. */
export const CLOSE_REVOKED = 4403;
export const CLOSE_EXPIRED = 4401;

/** A copy of `request` carrying `access` in the headers the room and its shards read. */
export function withAccessHeaders(request: Request, access: ViewerAccess): Request {
  const forwarded = new Request(request);
  forwarded.headers.set(ACCESS_HEADERS.userId, access.userId);
  forwarded.headers.set(ACCESS_HEADERS.role, access.role);
  if (access.tokenId) forwarded.headers.set(ACCESS_HEADERS.tokenId, access.tokenId);
  else forwarded.headers.delete(ACCESS_HEADERS.tokenId);
  if (access.expiresAt !== null) forwarded.headers.set(ACCESS_HEADERS.expiresAt, String(access.expiresAt));
  else forwarded.headers.delete(ACCESS_HEADERS.expiresAt);
  return forwarded;
}

export function accessFromHeaders(headers: Headers): ViewerAccess | null {
  const expiresAt = headers.get(ACCESS_HEADERS.expiresAt);
  const parsed = ViewerAccessSchema.safeParse({
    userId: headers.get(ACCESS_HEADERS.userId),
    role: headers.get(ACCESS_HEADERS.role),
    tokenId: headers.get(ACCESS_HEADERS.tokenId),
    expiresAt: expiresAt === null ? null : Number(expiresAt),
  });
  return parsed.success ? parsed.data : null;
}

export function accessOf(connection: Connection): ViewerAccess | null {
  const parsed = ViewerAccessSchema.safeParse(connection.state);
  return parsed.success ? parsed.data : null;
}

/** Keeps who the socket belongs to in its state; a socket the Worker did not vouch for is closed. */
export function admitViewer(connection: Connection, request: Request): ViewerAccess | null {
  const access = accessFromHeaders(request.headers);
  if (!access) connection.close(1008, "not authorized");
  else connection.setState(access);
  return access;
}

/**
 * Handles what a viewer sent: drops what it may not send, answers a SyncStep1 itself (in parts), and
 * returns true only for the frames the YServer should handle (awareness, and sync it treats read-only).
 */
export function viewerFrame(connection: Connection, message: WSMessage, doc: Y.Doc): boolean {
  if (!acceptsClientFrame(message, () => accessOf(connection)?.userId ?? null) || typeof message === "string") return false;
  const bytes = message instanceof ArrayBuffer ? new Uint8Array(message) : new Uint8Array(message.buffer, message.byteOffset, message.byteLength);
  const stateVector = syncStep1StateVector(bytes);
  if (!stateVector) return true;
  for (const part of syncAnswer(doc, stateVector)) connection.send(part);
  return false;
}

export function isRevoked(access: ViewerAccess, revocation: Revocation): boolean {
  return (revocation.userId !== undefined && revocation.userId === access.userId) || (revocation.tokenId !== undefined && revocation.tokenId === access.tokenId);
}

/** Closes the sockets whose access matches; returns how many. */
export function closeViewers(connections: Iterable<Connection>, matches: (access: ViewerAccess) => boolean, code: number, reason: string): number {
  let closed = 0;
  for (const connection of connections) {
    const access = accessOf(connection);
    if (access && matches(access)) {
      connection.close(code, reason);
      closed++;
    }
  }
  return closed;
}

/** The earliest expiry among the sockets, for the alarm. */
export function nextExpiry(connections: Iterable<Connection>): number | null {
  let next: number | null = null;
  for (const connection of connections) {
    const expiresAt = accessOf(connection)?.expiresAt ?? null;
    if (expiresAt !== null && (next === null || expiresAt < next)) next = expiresAt;
  }
  return next;
}
