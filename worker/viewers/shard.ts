/**
 * SessionShard: a viewer shard of one SessionRoom (docs/architecture.md, "Viewers"). It holds a replica of the
 * session's document, kept in its own SQLite so it survives hibernation and is the late-join source
 * for its viewers, and a slice of the session's hibernated viewer sockets. The room relays each
 * update once; the shard applies it (several at once only when its own frame budget is overdrawn)
 * and its YServer fans the change out. Presence goes both ways through the room. Viewer sockets are
 * handled exactly as on the room (viewer-server.ts, connections.ts): read-only, own presence only,
 * revocable, expiring.
 */
import { getServerByName, type Connection } from "partyserver";
import * as encoding from "lib0/encoding";
import { applyAwarenessUpdate, encodeAwarenessUpdate } from "y-protocols/awareness";
import * as Y from "yjs";
import type { Env } from "../env";
import { LeadingEdgeThrottle } from "./throttle";
import { ViewerServer } from "./viewer-server";
import type { ConnectionIdentity } from "./connections";
import { createRevocationsTable, type Revocation } from "./revocations";
import { awarenessEntries } from "./presence";
import { rowLimited } from "./sql-limits";
import { YjsLog, createYjsLogTable } from "./yjs-log";
import { MESSAGE_AWARENESS } from "./sync-answer";
import { frameBudget, sessionIdOfShard } from "./fan-out-config";

/** Changes that came from the room: applied and fanned out here, never sent back. */
const FROM_ROOM = Symbol("from-room");

export class SessionShard extends ViewerServer {
  readonly #log: YjsLog;
  /** Relayed updates go out at once while this shard is under its frame budget, together under pressure. */
  readonly #throttle: LeadingEdgeThrottle<Uint8Array>;
  #healing = false;
  /** The alarm as this object last set it (undefined: not known, after a wake or once it rang). */
  #alarmAt: number | null | undefined = undefined;
  #attachedCache: boolean | null = null;
  /** Awareness client ids of viewers elsewhere (the room relayed their presence): no viewer here may claim them. */
  readonly #presenceFromRoom = new Set<number>();

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    // The shard's whole schema: its replica's log and what it knows of its room.
    const storage = {
      sql: rowLimited(ctx.storage.sql),
      transactionSync: <T>(closure: () => T) => ctx.storage.transactionSync(closure),
    };
    createYjsLogTable(storage);
    ctx.storage.sql.exec(`CREATE TABLE IF NOT EXISTS shard_meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)`);
    createRevocationsTable(ctx.storage.sql);
    this.#log = new YjsLog(storage);
    this.#throttle = new LeadingEdgeThrottle(
      (updates) => this.#applyRelayed(updates),
      () => this.viewerCount(),
      frameBudget(env),
    );
  }

  // ---- YServer hooks ----------------------------------------------------------------------------

  async onLoad(): Promise<Y.Doc> {
    const doc = new Y.Doc();
    for (const update of this.#log.updates()) Y.applyUpdate(doc, update);
    return doc;
  }

  async onStart(): Promise<void> {
    await super.onStart();
    this.document.on("update", (update: Uint8Array) => {
      if (!this.#attached) return;
      this.#log.append(update);
      if (this.#log.needsCompaction()) this.#log.compact(this.document);
    });
    // Presence of this shard's own viewers (set, renewed, or removed on close) goes to the room.
    this.document.awareness.on(
      "update",
      (
        { added, updated, removed }: { added: number[]; updated: number[]; removed: number[] },
        origin: unknown,
      ) => {
        if (origin === FROM_ROOM || !this.#attached) return;
        const update = encodeAwarenessUpdate(this.document.awareness, [...added, ...updated, ...removed]);
        this.ctx.waitUntil(
          this.#room()
            .then((room) => room.shardPresence(this.name, update))
            .catch((err: unknown) => console.error("presence to room failed", err)),
        );
      },
    );
  }

  /** Before a viewer's socket is accepted, the replica holds the whole document: nobody syncs from half of it. */
  async fetch(request: Request): Promise<Response> {
    if (request.headers.get("Upgrade")?.toLowerCase() === "websocket") {
      await this.#started();
      if (!this.#attached) await this.ctx.blockConcurrencyWhile(() => this.#attach());
    }
    return super.fetch(request);
  }

  /** Every socket has a lease (and may have an expiry): the shard's alarm closes it then. */
  protected async viewerJoined(_connection: Connection, _identity: ConnectionIdentity): Promise<void> {
    await this.#scheduleExpiry();
  }

  protected presenceOwnedElsewhere(clientId: number): boolean {
    return this.#presenceFromRoom.has(clientId);
  }

  async onClose(connection: Connection, code: number, reason: string, wasClean: boolean): Promise<void> {
    // The socket's own client ids, as the connection knew them before it is released.
    const presence = [...this.#ownClientIds(connection)];
    await super.onClose(connection, code, reason, wasClean);
    if (!this.#attached) return;
    const others = () => [...this.getConnections()].filter((other) => other.id !== connection.id).length;
    // The room removes this viewer's presence everywhere even if this shard lost it while hibernating.
    const dropped = await (await this.#room()).shardViewerLeft(this.name, others(), presence);
    if (!dropped) return;
    // A viewer placed here while the room was dropping this shard must not miss what follows.
    if (others() === 0) this.#detach();
    else await this.ctx.blockConcurrencyWhile(() => this.#attach());
  }

  /** Closes the sockets whose credential has expired or whose lease ran out. */
  async onAlarm(): Promise<void> {
    this.#alarmAt = undefined;
    this.connections.closeExpired(Date.now());
    await this.#scheduleExpiry();
  }

  // ---- RPC from the room ------------------------------------------------------------------------

  async relay(update: Uint8Array): Promise<void> {
    await this.#started();
    this.#throttle.push(update, true);
  }

  async relayAwareness(update: Uint8Array): Promise<void> {
    await this.#started();
    for (const { clientId, removed } of awarenessEntries(update) ?? []) {
      if (removed) this.#presenceFromRoom.delete(clientId);
      else this.#presenceFromRoom.add(clientId);
    }
    applyAwarenessUpdate(this.document.awareness, update, FROM_ROOM);
    // The YServer broadcasts only what its own sockets sent; what the room sent is ours to pass on.
    const encoder = encoding.createEncoder();
    encoding.writeVarUint(encoder, MESSAGE_AWARENESS);
    encoding.writeVarUint8Array(encoder, update);
    const message = encoding.toUint8Array(encoder);
    for (const connection of this.getConnections()) connection.send(message);
  }

  async revokeConnections(revocation: Revocation): Promise<number> {
    await this.#started();
    return super.revokeConnections(revocation);
  }

  /** The session was deleted. */
  async closeAll(code: number, reason: string): Promise<void> {
    await this.#started();
    for (const connection of this.getConnections()) connection.close(code, reason);
    this.#detach();
    await this.ctx.storage.deleteAlarm();
  }

  // ---- the replica ------------------------------------------------------------------------------

  /** Whether the room relays here; kept in SQLite so it survives hibernation. */
  get #attached(): boolean {
    this.#attachedCache ??=
      this.ctx.storage.sql.exec(`SELECT value FROM shard_meta WHERE key = 'attached'`).toArray().length > 0;
    return this.#attachedCache;
  }

  #setAttached(attached: boolean): void {
    if (attached)
      this.ctx.storage.sql.exec(`INSERT OR REPLACE INTO shard_meta (key, value) VALUES ('attached', '1')`);
    else this.ctx.storage.sql.exec(`DELETE FROM shard_meta WHERE key = 'attached'`);
    this.#attachedCache = attached;
  }

  /** Joins the room's relay and takes the whole document from it; relayed updates that race with this merge (CRDT). */
  async #attach(): Promise<void> {
    const room = await this.#room();
    const { parts, presence } = await room.attachShard(this.name);
    this.document.transact(() => {
      for (const part of parts) Y.applyUpdate(this.document, part);
    }, FROM_ROOM);
    this.#setAttached(true);
    this.#log.compact(this.document);
    if (presence) {
      for (const { clientId, removed } of awarenessEntries(presence) ?? [])
        if (!removed) this.#presenceFromRoom.add(clientId);
      applyAwarenessUpdate(this.document.awareness, presence, FROM_ROOM);
    }
  }

  /** No viewers left: the room no longer relays here, and the replica is dropped until a viewer comes back. */
  #detach(): void {
    this.#throttle.flush();
    this.#setAttached(false);
    this.#log.clear();
  }

  #applyRelayed(updates: Uint8Array[]): void {
    // One transaction: the viewers get one frame for all of them.
    this.document.transact(() => {
      for (const update of updates) Y.applyUpdate(this.document, update);
    }, FROM_ROOM);
    const store = this.document.store;
    if ((store.pendingStructs || store.pendingDs) && !this.#healing) this.ctx.waitUntil(this.#heal());
  }

  /** An update missed (a failed relay) leaves later ones pending: fetch what is missing from the room. */
  async #heal(): Promise<void> {
    this.#healing = true;
    try {
      const missing = await (await this.#room()).stateSince(Y.encodeStateVector(this.document));
      this.#applyRelayed(missing);
    } catch (err) {
      console.error("shard heal failed", err);
    } finally {
      this.#healing = false;
    }
  }

  // ---- helpers ----------------------------------------------------------------------------------

  /** RPC from the room arrives without partyserver's start-up: run it (load the replica) first. */
  #started(): Promise<void> {
    return this.setName(this.name);
  }

  #room() {
    return getServerByName(this.env.SessionRoom, sessionIdOfShard(this.name));
  }

  #ownClientIds(connection: Connection): number[] {
    const ids = (connection.state as { clientIds?: unknown } | null)?.clientIds;
    return Array.isArray(ids) ? ids.filter((id): id is number => typeof id === "number") : [];
  }

  async #scheduleExpiry(): Promise<void> {
    const next = this.connections.nextExpiry();
    // Viewers joining in a crowd mostly share one lease end (rounded to the minute): one write, not one each.
    if (next === this.#alarmAt) return;
    this.#alarmAt = next;
    if (next === null) await this.ctx.storage.deleteAlarm();
    else await this.ctx.storage.setAlarm(next);
  }
}
