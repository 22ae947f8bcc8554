/**
 * Who is on each viewer socket (of the SessionRoom or of one of its viewer shards), as the Worker vouched
 * for them at the upgrade (headers only the Worker can set), kept in the connection's state so it
 * survives hibernation. With it the room or shard closes a socket whose membership or API token is
 * revoked or whose credential expires, and owns each socket's presence: a socket speaks only for the
 * awareness client ids it introduced, as the person it is.
 */
import type { Connection, WSMessage } from "partyserver";
import { z } from "zod";
import { RoleSchema } from "../protocol/workspace";
import { admitClientFrame, type PresenceOwner } from "./presence";
import { revocationMatches, type Revocation } from "./revocations";

const HEADER = {
  userId: "x-tandem-user-id",
  userName: "x-tandem-user-name",
  role: "x-tandem-role",
  tokenId: "x-tandem-token-id",
  expiresAt: "x-tandem-expires-at",
  issuedAt: "x-tandem-issued-at",
  renewAt: "x-tandem-renew-at",
} as const;

export const IdentitySchema = z.object({
  userId: z.string().min(1).max(100),
  userName: z.string().max(100),
  role: RoleSchema,
  tokenId: z.string().min(1).max(100).nullable(),
  expiresAt: z.number().int().nullable(),
  /** When a room ticket vouched for this access (ms); null when the Worker read it from D1 at the upgrade itself. */
  issuedAt: z.number().int().nullable(),
});
export type ConnectionIdentity = z.infer<typeof IdentitySchema>;

/**
 * Close codes a browser sees: the membership, token or link behind the socket is gone; the person's role
 * changed (a fresh ticket carries the new one); the credential expired; the socket's lease ran out (its
 * access is checked again: reconnect with a fresh ticket).
 */
export const CLOSE_REVOKED = 4403;
export const CLOSE_ROLE_CHANGED = 4409;
export const CLOSE_EXPIRED = 4401;
export const CLOSE_RENEW = 4408;
/** A tab introduces one awareness client id; a few allow for reconnects of the same document. */
const MAX_CLIENT_IDS = 4;

interface ConnectionFacts {
  identity?: ConnectionIdentity;
  clientIds?: number[];
  /** When the socket's lease runs out: its access has not been checked since the upgrade. */
  renewAt?: number;
}

/** The token id a guest's socket carries: revoking the share link closes the sockets opened with it. */
export const shareTokenId = (shareId: string) => `share:${shareId}`;

/**
 * A guest with a share link: a viewer (sockets are read-only for everyone), named "guest" in presence,
 * whose socket closes when the link is revoked (its token id) or expires (its expires-at).
 */
export function guestIdentity(share: { id: string; expiresAt: number | null }): ConnectionIdentity {
  return {
    userId: shareTokenId(share.id),
    userName: "guest",
    role: "viewer",
    tokenId: shareTokenId(share.id),
    expiresAt: share.expiresAt,
    issuedAt: null,
  };
}

/** Whether a socket is a guest's, opened with a share link. */
export const isGuest = (identity: Pick<ConnectionIdentity, "tokenId">) =>
  identity.tokenId?.startsWith("share:") === true;

/**
 * The upgrade request as the room (or a shard) receives it: the identity set, anything a client sent under
 * those names gone, and the socket's lease: until when the Worker's word holds (`leaseMs` from now, rounded
 * up to the minute so that one alarm renews many sockets). Then the socket is closed, to be opened again
 * with access checked afresh.
 */
export function withIdentity(
  request: Request,
  identity: ConnectionIdentity,
  leaseMs: number,
  now = Date.now(),
): Request {
  const forwarded = new Request(request);
  for (const name of Object.values(HEADER)) forwarded.headers.delete(name);
  forwarded.headers.set(HEADER.userId, identity.userId);
  // Header values are bytes; a name may be any Unicode.
  forwarded.headers.set(HEADER.userName, encodeURIComponent(identity.userName));
  forwarded.headers.set(HEADER.role, identity.role);
  if (identity.tokenId) forwarded.headers.set(HEADER.tokenId, identity.tokenId);
  if (identity.expiresAt !== null) forwarded.headers.set(HEADER.expiresAt, String(identity.expiresAt));
  if (identity.issuedAt !== null) forwarded.headers.set(HEADER.issuedAt, String(identity.issuedAt));
  const step = Math.min(60_000, leaseMs);
  forwarded.headers.set(HEADER.renewAt, String(Math.ceil((now + leaseMs) / step) * step));
  return forwarded;
}

/** Who the Worker vouched for on this upgrade; null when its word is missing or malformed. */
export function identityFrom(request: Request): ConnectionIdentity | null {
  const header = (name: string) => request.headers.get(name);
  let userName = "";
  try {
    userName = decodeURIComponent(header(HEADER.userName) ?? "");
  } catch {
    return null;
  }
  const time = (name: string) => {
    const value = header(name);
    return value === null ? null : Number(value);
  };
  const parsed = IdentitySchema.safeParse({
    userId: header(HEADER.userId),
    userName,
    role: header(HEADER.role),
    tokenId: header(HEADER.tokenId),
    expiresAt: time(HEADER.expiresAt),
    issuedAt: time(HEADER.issuedAt),
  });
  return parsed.success ? parsed.data : null;
}

const earliest = (times: (number | null | undefined)[]): number | null =>
  times.reduce<number | null>((next, at) => (at != null && (next === null || at < next) ? at : next), null);

const factsOf = (connection: Connection): ConnectionFacts =>
  (connection.state as ConnectionFacts | null) ?? {};

export class ViewerConnections {
  readonly #all: () => Iterable<Connection>;
  readonly #ownedElsewhere: (clientId: number) => boolean;
  /** Awareness client id → the connection that introduced it; rebuilt from connection states after a wake. */
  #owners: Map<number, string> | null = null;
  /**
   * The earliest expiry or lease end of the sockets here, kept as they are admitted (undefined: not known,
   * read from every socket at the next ask). Reading it from every socket deserializes each one's state,
   * and it is asked at every join (the alarm is set then): a thousand viewers made that a million reads.
   * A socket that closed may leave it early: the alarm then rings for nothing and it is read afresh.
   */
  #nextExpiry: number | null | undefined = undefined;

  /** `ownedElsewhere`: a client id a viewer on another object (room or shard) speaks for, which no socket here may claim. */
  constructor(all: () => Iterable<Connection>, ownedElsewhere: (clientId: number) => boolean = () => false) {
    this.#all = all;
    this.#ownedElsewhere = ownedElsewhere;
  }

  /** Whether a socket here speaks for this awareness client id. */
  owns(clientId: number): boolean {
    return this.#ownerMap().has(clientId);
  }

  /**
   * Records who is on a new socket and until when its lease runs; null (and the socket closed) when the
   * Worker's word is missing, already expired, or revoked since a ticket vouched for it.
   */
  admit(
    connection: Connection,
    request: Request,
    now: number,
    revoked: (identity: ConnectionIdentity) => boolean,
  ): ConnectionIdentity | null {
    const identity = identityFrom(request);
    const renewAt = Number(request.headers.get(HEADER.renewAt));
    if (!identity || !Number.isSafeInteger(renewAt)) {
      connection.close(1008, "unauthorized");
      return null;
    }
    if (identity.expiresAt !== null && identity.expiresAt <= now) {
      connection.close(CLOSE_EXPIRED, "credential expired");
      return null;
    }
    if (revoked(identity)) {
      connection.close(CLOSE_REVOKED, "access revoked");
      return null;
    }
    connection.setState((prev: unknown) => ({
      ...(prev as object | null),
      identity,
      clientIds: [],
      renewAt,
    }));
    if (this.#nextExpiry !== undefined)
      this.#nextExpiry = earliest([this.#nextExpiry, identity.expiresAt, renewAt]);
    return identity;
  }

  /** How many open sockets were opened with this token (a share link's: its guests). */
  countWithToken(tokenId: string): number {
    let count = 0;
    for (const connection of this.#all()) if (factsOf(connection).identity?.tokenId === tokenId) count++;
    return count;
  }

  /** Closes every socket the revocation names (none when it names no one); returns how many. */
  revoke(revocation: Revocation): number {
    let closed = 0;
    for (const connection of this.#all()) {
      const identity = factsOf(connection).identity;
      if (!identity || !revocationMatches(revocation, identity)) continue;
      if (revocation.newRole) connection.close(CLOSE_ROLE_CHANGED, "role changed");
      else connection.close(CLOSE_REVOKED, "access revoked");
      closed++;
    }
    return closed;
  }

  /** Closes the sockets whose credential has expired by `now`, and those whose lease ran out (to renew). */
  closeExpired(now: number): void {
    this.#nextExpiry = undefined;
    for (const connection of this.#all()) {
      const facts = factsOf(connection);
      const expiresAt = facts.identity?.expiresAt;
      if (expiresAt != null && expiresAt <= now) connection.close(CLOSE_EXPIRED, "credential expired");
      else if (facts.renewAt !== undefined && facts.renewAt <= now)
        connection.close(CLOSE_RENEW, "lease over: reconnect with a fresh ticket");
    }
  }

  /** When the next open socket's credential expires or lease runs out, for the room's alarm. */
  nextExpiry(): number | null {
    if (this.#nextExpiry === undefined) {
      const times: (number | null | undefined)[] = [];
      for (const connection of this.#all()) {
        const facts = factsOf(connection);
        times.push(facts.identity?.expiresAt, facts.renewAt);
      }
      this.#nextExpiry = earliest(times);
    }
    return this.#nextExpiry;
  }

  /**
   * The frame a client sent, as the room will apply it: Yjs sync messages as they are (the room is
   * read-only), presence only for this socket's own client ids and rewritten to the authenticated person;
   * null when it is refused.
   */
  clientFrame(connection: Connection, message: WSMessage): Uint8Array | null {
    const facts = factsOf(connection);
    const identity = facts.identity;
    if (!identity) return null;
    const owned = new Set(facts.clientIds ?? []);
    const owners = this.#ownerMap();
    const owner: PresenceOwner = {
      user: { id: identity.userId, name: identity.userName },
      mayClaim: (ids) => {
        const fresh = ids.filter((id) => !owned.has(id));
        return (
          fresh.every((id) => !owners.has(id) && !this.#ownedElsewhere(id)) &&
          owned.size + fresh.length <= MAX_CLIENT_IDS
        );
      },
    };
    const admitted = admitClientFrame(message, owner);
    if (!admitted) return null;
    const fresh = admitted.clientIds.filter((id) => !owned.has(id));
    if (fresh.length > 0) {
      for (const id of fresh) owners.set(id, connection.id);
      connection.setState((prev: unknown) => ({
        ...(prev as object | null),
        clientIds: [...owned, ...fresh],
      }));
    }
    return admitted.frame;
  }

  /** Forgets a closed socket; returns the awareness client ids whose presence goes with it. */
  release(connection: Connection): number[] {
    const ids = factsOf(connection).clientIds ?? [];
    const owners = this.#ownerMap();
    for (const id of ids) if (owners.get(id) === connection.id) owners.delete(id);
    return ids;
  }

  #ownerMap(): Map<number, string> {
    if (!this.#owners) {
      this.#owners = new Map();
      for (const connection of this.#all()) {
        for (const id of factsOf(connection).clientIds ?? []) this.#owners.set(id, connection.id);
      }
    }
    return this.#owners;
  }
}
