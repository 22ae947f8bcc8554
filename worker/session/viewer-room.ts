/**
 * The viewer side of the SessionRoom: a YServer whose browser sockets are read-only viewers (viewers.ts:
 * who they are, what they may send, sync in parts, revocation), and which past a threshold of viewers
 * places new ones on viewer shards and relays each document update and presence change to them once
 * (shards.ts). The SessionRoom extends it with everything else a session is.
 */
import type { Connection, ConnectionContext, WSMessage } from "partyserver";
import { YServer } from "y-partyserver";
import * as Y from "yjs";
import type { Env } from "../env";
import { shardConfig } from "../shard/config";
import { SYNC_PART_BYTES } from "../sync/sync-answer";
import { splitUpdate } from "../sync/update-parts";
import { ViewerShards } from "./shards";
import { CLOSE_REVOKED, admitViewer, closeViewers, isRevoked, viewerFrame, type Revocation } from "./viewers";

export abstract class ViewerRoom extends YServer<Env> {
  static options = { hibernate: true };

  readonly #shards: ViewerShards;

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    this.#shards = new ViewerShards(ctx.storage.sql, env, () => this.name, shardConfig(env));
  }

  async onStart(): Promise<void> {
    await super.onStart();
    this.document.on("update", (update: Uint8Array) => this.#shards.relayUpdate(update));
    this.#shards.watchPresence(this.document.awareness, (message) => this.broadcast(message));
  }

  /** Server-authoritative: no browser writes to the document. */
  isReadOnly(): boolean {
    return true;
  }

  onConnect(connection: Connection, ctx: ConnectionContext): void {
    this.#shards.roomViewerArrived();
    if (admitViewer(connection, ctx.request)) super.onConnect(connection, ctx);
  }

  onMessage(connection: Connection, message: WSMessage): void {
    if (viewerFrame(connection, message, this.document)) super.onMessage(connection, message);
  }

  /** Frames one document change costs this object: one per socket here and one relay per shard. */
  protected fanOut(): number {
    return this.#viewerCount() + this.#shards.count;
  }

  /** Closes every viewer socket, here and on the shards (the session is gone). */
  protected async closeViewers(code: number, reason: string): Promise<void> {
    for (const connection of this.getConnections()) connection.close(code, reason);
    await this.#shards.closeAll(code, reason);
  }

  /** Closes the viewer sockets (here and on every shard) opened with this user's or this token's access. */
  async revokeConnections(revocation: Revocation): Promise<number> {
    const here = closeViewers(this.getConnections(), (access) => isRevoked(access, revocation), CLOSE_REVOKED, "access revoked");
    return here + (await this.#shards.revoke(revocation));
  }

  // ---- viewer shards (RPC from the Worker at the upgrade, and from the shards) ------------------

  /** Where the viewer about to connect goes: null for this room, else a shard's name. */
  placeViewer(): string | null {
    return this.#shards.place(this.#viewerCount());
  }

  /** A shard joins the relay and gets the whole document, in parts, and the presence states. */
  attachShard(name: string): { parts: Uint8Array[]; presence: Uint8Array | null } {
    this.#shards.attach(name);
    return { parts: splitUpdate(Y.encodeStateAsUpdate(this.document), SYNC_PART_BYTES), presence: this.#shards.presenceSnapshot() };
  }

  /** What a shard that missed a relay lacks. */
  stateSince(stateVector: Uint8Array): Uint8Array[] {
    return splitUpdate(Y.encodeStateAsUpdate(this.document, stateVector), SYNC_PART_BYTES);
  }

  shardPresence(name: string, update: Uint8Array): void {
    this.#shards.presenceFromShard(name, update);
  }

  /** True when the shard has no viewers left and is no longer relayed to (it may drain). */
  shardViewerLeft(name: string, remaining: number, presence: number[]): boolean {
    return this.#shards.left(name, remaining, presence);
  }

  #viewerCount(): number {
    let count = 0;
    for (const _ of this.getConnections()) count++;
    return count;
  }
}
