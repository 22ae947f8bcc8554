/**
 * The viewer side of the SessionRoom: a ViewerServer (read-only viewer sockets) that past a threshold
 * of viewers places new ones on viewer shards and relays each document update and presence change to
 * them once (shards.ts). The SessionRoom extends it with everything else a session is.
 */
import type { Connection } from "partyserver";
import type { Env } from "../env";
import { SHARD_HEADER, fanOutConfig, frameBudget } from "./fan-out-config";
import { SYNC_PART_BYTES } from "./sync-answer";
import { encodeStateAsUpdateParts } from "./update-parts";
import { ViewerShards } from "./shards";
import type { FrameBudget } from "./throttle";
import { ViewerServer } from "./viewer-server";
import { identityFrom, isGuest, type ConnectionIdentity } from "./connections";
import type { Revocation } from "./revocations";

/** Guests' sockets one share link may hold open at once: a link is for a few people, not a crowd. */
export const MAX_SOCKETS_PER_LINK = 20;

export abstract class ViewerRoom extends ViewerServer {
  readonly #shards: ViewerShards;

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    this.#shards = new ViewerShards(ctx.storage.sql, env, () => this.name, fanOutConfig(env));
  }

  async onStart(): Promise<void> {
    await super.onStart();
    this.document.on("update", (update: Uint8Array) => this.#shards.relayUpdate(update));
    this.#shards.watchPresence(this.document.awareness, (message) => this.broadcast(message));
  }

  protected viewerJoined(_connection: Connection, _identity: ConnectionIdentity): void {
    this.#shards.roomViewerArrived();
  }

  /** Frames one document change costs this object: one per socket here and one relay per shard. */
  protected fanOut(): number {
    return this.viewerCount() + this.#shards.count;
  }

  /** This room's own frame budget (fixed, or adaptive with FRAME_BUDGET_ADAPTIVE=true; at most FRAME_BUDGET_PER_SECOND). */
  protected frameBudget(): FrameBudget {
    return frameBudget(this.env);
  }

  /** Closes every viewer socket, here and on the shards (the session is gone). */
  protected async closeViewers(code: number, reason: string): Promise<void> {
    for (const connection of this.getConnections()) connection.close(code, reason);
    await this.#shards.closeAll(code, reason);
  }

  /** Closes the viewer sockets, here and on every shard, opened with this user's or this token's access. */
  async revokeConnections(revocation: Revocation): Promise<number> {
    return (await super.revokeConnections(revocation)) + (await this.#shards.revoke(revocation));
  }

  protected presenceOwnedElsewhere(clientId: number): boolean {
    return this.#shards.ownsPresence(clientId);
  }

  /**
   * A viewer's upgrade comes here first: under the threshold the room takes it; past it the room
   * answers with the shard it placed the viewer on, and the Worker sends the upgrade there
   * (viewers/placement.ts), so the socket never passes through the room. A revoked upgrade stays here,
   * where admitting it closes it. Guests stay here too, so their sockets per link are counted in one
   * place: past MAX_SOCKETS_PER_LINK the room answers 429 and opens nothing.
   */
  async fetch(request: Request): Promise<Response> {
    if (request.headers.get("Upgrade")?.toLowerCase() === "websocket" && !this.upgradeRevoked(request)) {
      const identity = identityFrom(request);
      if (identity && isGuest(identity)) {
        if (this.connections.countWithToken(identity.tokenId!) >= MAX_SOCKETS_PER_LINK)
          return new Response(null, { status: 429 });
      } else {
        const shard = this.#shards.place(this.viewerCount());
        if (shard !== null) return new Response(null, { status: 307, headers: { [SHARD_HEADER]: shard } });
      }
    }
    return super.fetch(request);
  }

  // ---- viewer shards (RPC from the shards) -----------------------------------------------------

  /** A shard joins the relay and gets the whole document, in parts, and the presence states. */
  attachShard(name: string): { parts: Uint8Array[]; presence: Uint8Array | null } {
    this.#shards.attach(name);
    return {
      parts: this.everything(),
      presence: this.#shards.presenceSnapshot(),
    };
  }

  /** What a shard that missed a relay lacks. */
  stateSince(stateVector: Uint8Array): Uint8Array[] {
    return encodeStateAsUpdateParts(this.document, stateVector, SYNC_PART_BYTES);
  }

  /** Presence from a shard's viewers; false when it was refused (it spoke for someone else's client id). */
  shardPresence(name: string, update: Uint8Array): boolean {
    return this.#shards.presenceFromShard(name, update, (clientId) => this.connections.owns(clientId));
  }

  /** True when the shard has no viewers left and is no longer relayed to (it may drain). */
  shardViewerLeft(name: string, remaining: number, presence: number[]): boolean {
    return this.#shards.left(name, remaining, presence);
  }
}
