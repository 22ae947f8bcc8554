/**
 * Who is on each socket (worker/viewers/connections.ts): the earliest expiry the alarm is set to, asked at
 * every join, is kept as sockets are admitted rather than read again from every socket's state.
 */
import { describe, expect, it } from "vitest";
import type { Connection } from "partyserver";
import { ViewerConnections, withIdentity, type ConnectionIdentity } from "../../worker/viewers/connections";

/** A socket as partyserver hands it over, counting how often its state is read (each read deserializes it). */
function socket(id: number, reads: { count: number }) {
  let state: unknown = null;
  const connection = {
    id: String(id),
    get state() {
      reads.count++;
      return state;
    },
    setState(next: unknown) {
      state = typeof next === "function" ? (next as (prev: unknown) => unknown)(state) : next;
      return state;
    },
    close() {},
  };
  return connection as unknown as Connection;
}

const person = (expiresAt: number | null): ConnectionIdentity => ({
  userId: "u1",
  userName: "Ada",
  role: "viewer",
  tokenId: null,
  expiresAt,
  issuedAt: null,
});

describe("ViewerConnections' next expiry", () => {
  it("is kept as sockets join: a thousand joins read the sockets' states once, not a thousand times", () => {
    const reads = { count: 0 };
    const sockets: Connection[] = [];
    const connections = new ViewerConnections(() => sockets);
    const now = 1_000_000;
    for (let i = 0; i < 1000; i++) {
      const connection = socket(i, reads);
      sockets.push(connection);
      const request = withIdentity(new Request("http://room/"), person(null), 600_000, now);
      connections.admit(connection, request, now, () => false);
      connections.nextExpiry();
    }
    expect(reads.count).toBeLessThan(2 * 1000);
  });

  it("is the earliest lease end or credential expiry, and read afresh after the alarm closed what was due", () => {
    const reads = { count: 0 };
    const sockets: Connection[] = [];
    const connections = new ViewerConnections(() => sockets);
    const now = 1_000_000;
    const join = (expiresAt: number | null, leaseMs: number) => {
      const connection = socket(sockets.length, reads);
      sockets.push(connection);
      connections.admit(
        connection,
        withIdentity(new Request("http://room/"), person(expiresAt), leaseMs, now),
        now,
        () => false,
      );
    };
    join(null, 600_000);
    const lease = connections.nextExpiry();
    expect(lease).toBe(Math.ceil((now + 600_000) / 60_000) * 60_000);
    join(now + 5_000, 600_000);
    expect(connections.nextExpiry()).toBe(now + 5_000);
    // The alarm closed the expired socket (it leaves): the next expiry is read from the sockets still open.
    sockets.splice(1, 1);
    connections.closeExpired(now + 5_000);
    expect(connections.nextExpiry()).toBe(lease);
  });
});
