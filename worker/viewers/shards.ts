/**
 * The SessionRoom's side of its viewer shards. Past `shardAfterViewers` viewers on the room, new viewers
 * are placed on shards (filled in order, `viewersPerShard` each); the room relays every document update
 * and presence change once to each shard it has handed viewers to, and each shard fans it out to its
 * own sockets. A shard whose last viewer leaves is dropped from the relay and drains away. The
 * registry lives in the room's SQLite, so relaying goes on after the room wakes from hibernation.
 */
import * as encoding from "lib0/encoding";
import {
  applyAwarenessUpdate,
  encodeAwarenessUpdate,
  removeAwarenessStates,
  type Awareness,
} from "y-protocols/awareness";
import type { Env } from "../env";
import type { SessionShard } from "./shard";
import { shardName, type FanOutConfig } from "./fan-out-config";
import { MESSAGE_AWARENESS } from "./sync-answer";
import type { Revocation } from "./revocations";
import { awarenessEntries } from "./presence";

/** Presence changes that came from a shard carry this origin: relayed to the other shards, never back. */
interface FromShard {
  shard: string;
}
type ShardStub = DurableObjectStub<SessionShard>;
const isFromShard = (origin: unknown): origin is FromShard =>
  typeof origin === "object" && origin !== null && "shard" in origin;

/** A viewer placed on the room is counted as present for this long before its socket arrives. */
const PLACEMENT_GRACE_MS = 10_000;

/** The room's table of its shards and their viewers: a step of the room's schema (session/schema.ts). */
export function createViewerShardsTable(sql: SqlStorage): void {
  sql.exec(`CREATE TABLE IF NOT EXISTS viewer_shards (name TEXT PRIMARY KEY, viewers INTEGER NOT NULL)`);
}

export class ViewerShards {
  readonly #sql: SqlStorage;
  readonly #env: Env;
  readonly #sessionId: () => string;
  readonly #config: FanOutConfig;
  /** Shards the room relays to, with the viewers placed on (or reported by) each. */
  readonly #viewers = new Map<string, number>();
  readonly #stubs = new Map<string, ShardStub>();
  /** When viewers were placed on the room itself, until their sockets arrive. */
  #placedOnRoom: number[] = [];
  #awareness: Awareness | null = null;
  /** Awareness client id → the shard whose viewer speaks for it: no other viewer may (in memory, like presence). */
  readonly #presenceOwners = new Map<number, string>();

  constructor(sql: SqlStorage, env: Env, sessionId: () => string, config: FanOutConfig) {
    this.#sql = sql;
    this.#env = env;
    this.#sessionId = sessionId;
    this.#config = config;
    for (const row of sql.exec(`SELECT name, viewers FROM viewer_shards`))
      this.#viewers.set(String(row.name), Number(row.viewers));
  }

  /** Shards the room relays to: each costs the room one message per update. */
  get count(): number {
    return this.#viewers.size;
  }

  /** Where a viewer about to connect goes: null for the room itself, else the name of a shard. */
  place(roomViewers: number, now = Date.now()): string | null {
    this.#placedOnRoom = this.#placedOnRoom.filter((at) => now - at < PLACEMENT_GRACE_MS);
    if (roomViewers + this.#placedOnRoom.length < this.#config.shardAfterViewers) {
      this.#placedOnRoom.push(now);
      return null;
    }
    for (let index = 0; ; index++) {
      const name = shardName(this.#sessionId(), index);
      const viewers = this.#viewers.get(name);
      if (viewers === undefined) {
        // A new shard is in the registry before its first viewer's upgrade reaches it.
        this.#setViewers(name, 1);
        return name;
      }
      if (viewers < this.#config.viewersPerShard) {
        // Counted in memory only: a storage write here would hold the answer to every upgrade until it
        // is confirmed. The count is approximate anyway; shards report their real one as viewers leave.
        this.#viewers.set(name, viewers + 1);
        return name;
      }
    }
  }

  /** A viewer placed on the room has connected. */
  roomViewerArrived(): void {
    this.#placedOnRoom.shift();
  }

  /** A shard about to serve viewers: it is relayed to from now on. */
  attach(name: string): void {
    if (!this.#viewers.has(name)) this.#setViewers(name, 0);
  }

  /** A shard's viewer left; with none left the shard is dropped from the relay (true: it may drain). */
  left(name: string, remaining: number, awarenessIds: number[]): boolean {
    const own = awarenessIds.filter((id) => this.#presenceOwners.get(id) === name);
    for (const id of own) this.#presenceOwners.delete(id);
    if (this.#awareness && own.length > 0)
      removeAwarenessStates(this.#awareness, own, { shard: name } satisfies FromShard);
    if (!this.#viewers.has(name)) return true;
    if (remaining > 0) {
      this.#setViewers(name, remaining);
      return false;
    }
    this.#viewers.delete(name);
    this.#stubs.delete(name);
    this.#sql.exec(`DELETE FROM viewer_shards WHERE name = ?`, name);
    return true;
  }

  relayUpdate(update: Uint8Array): void {
    for (const name of this.#viewers.keys()) this.#call(name, (shard) => shard.relay(update));
  }

  /** Presence of the room's own viewers and of every shard's goes to every shard but the one it came from. */
  watchPresence(awareness: Awareness, broadcastToRoom: (message: Uint8Array) => void): void {
    this.#awareness = awareness;
    awareness.on(
      "update",
      (
        { added, updated, removed }: { added: number[]; updated: number[]; removed: number[] },
        origin: unknown,
      ) => {
        if (this.#viewers.size === 0 && !isFromShard(origin)) return;
        const update = encodeAwarenessUpdate(awareness, [...added, ...updated, ...removed]);
        const from = isFromShard(origin) ? origin.shard : null;
        // The YServer broadcasts only what its own sockets sent; what a shard sent is ours to pass on.
        if (from) broadcastToRoom(awarenessMessage(update));
        for (const name of this.#viewers.keys())
          if (name !== from) this.#call(name, (shard) => shard.relayAwareness(update));
      },
    );
  }

  /**
   * Presence a shard's viewers sent (each shard has made it its viewers' own). Refused whole when it
   * speaks for a client id that a viewer elsewhere (on the room, `ownedByRoom`, or another shard) speaks for.
   */
  presenceFromShard(name: string, update: Uint8Array, ownedByRoom: (clientId: number) => boolean): boolean {
    const entries = awarenessEntries(update);
    if (!this.#awareness || !entries) return false;
    const mayClaim = ({ clientId }: { clientId: number }) =>
      !ownedByRoom(clientId) && (this.#presenceOwners.get(clientId) ?? name) === name;
    if (!entries.every(mayClaim)) return false;
    for (const { clientId, removed } of entries) {
      if (removed) this.#presenceOwners.delete(clientId);
      else this.#presenceOwners.set(clientId, name);
    }
    applyAwarenessUpdate(this.#awareness, update, { shard: name } satisfies FromShard);
    return true;
  }

  /** Whether a shard's viewer speaks for this awareness client id. */
  ownsPresence(clientId: number): boolean {
    return this.#presenceOwners.has(clientId);
  }

  /** The presence states a new shard starts from. */
  presenceSnapshot(): Uint8Array | null {
    const awareness = this.#awareness;
    if (!awareness || awareness.getStates().size === 0) return null;
    return encodeAwarenessUpdate(awareness, [...awareness.getStates().keys()]);
  }

  async revoke(revocation: Revocation): Promise<number> {
    const closed = await Promise.all(
      [...this.#viewers.keys()].map((name) =>
        this.#shard(name)
          .revokeConnections(revocation)
          .catch(() => 0),
      ),
    );
    return closed.reduce((a, b) => a + b, 0);
  }

  /** The session is gone: every shard closes its sockets and forgets its replica. */
  async closeAll(code: number, reason: string): Promise<void> {
    await Promise.all(
      [...this.#viewers.keys()].map((name) =>
        this.#shard(name)
          .closeAll(code, reason)
          .catch(() => undefined),
      ),
    );
    this.#viewers.clear();
    this.#sql.exec(`DELETE FROM viewer_shards`);
  }

  #setViewers(name: string, viewers: number): void {
    this.#viewers.set(name, viewers);
    this.#sql.exec(`INSERT OR REPLACE INTO viewer_shards (name, viewers) VALUES (?, ?)`, name, viewers);
  }

  #shard(name: string): ShardStub {
    let stub = this.#stubs.get(name);
    if (!stub) {
      stub = this.#env.SessionShard.get(this.#env.SessionShard.idFromName(name));
      this.#stubs.set(name, stub);
    }
    return stub;
  }

  /** Fire and forget, in order per shard (one stub each); a shard that missed an update heals on the next. */
  #call(name: string, send: (shard: ShardStub) => Promise<unknown>): void {
    send(this.#shard(name)).catch((err: unknown) => console.error(`relay to ${name} failed`, err));
  }
}

function awarenessMessage(update: Uint8Array): Uint8Array {
  const encoder = encoding.createEncoder();
  encoding.writeVarUint(encoder, MESSAGE_AWARENESS);
  encoding.writeVarUint8Array(encoder, update);
  return encoding.toUint8Array(encoder);
}
