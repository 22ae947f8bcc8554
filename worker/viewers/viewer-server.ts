/**
 * A YServer whose sockets are read-only viewers: the SessionRoom and its viewer shards both are one, so a
 * viewer is treated the same wherever it is placed. Who a socket belongs to is set at connect and kept
 * in its state (connections.ts); what it may send is checked on every frame (presence.ts: the reading
 * half of sync, and presence for its own client ids as the person it is); its SyncStep1 is answered in
 * parts (sync-answer.ts; a new viewer's from the kept encoding, encoded-state.ts); revoked, expired or deleted access closes it.
 */
import * as encoding from "lib0/encoding";
import type { Connection, ConnectionContext, WSMessage } from "partyserver";
import { YServer } from "y-partyserver";
import { encodeAwarenessUpdate, removeAwarenessStates } from "y-protocols/awareness";
import type { Env } from "../env";
import { MESSAGE_AWARENESS, SYNC_PART_BYTES, syncAnswer, syncStep1StateVector } from "./sync-answer";
import { EncodedState } from "./encoded-state";
import { EVERYTHING, encodeStateAsUpdateParts } from "./update-parts";
import { ViewerConnections, identityFrom, type ConnectionIdentity } from "./connections";
import { RevocationMemory, type Revocation } from "./revocations";

export abstract class ViewerServer extends YServer<Env> {
  static options = { hibernate: true };

  /** Who is on each socket: revocation, expiry and presence. */
  protected readonly connections = new ViewerConnections(
    () => this.getConnections(),
    (clientId) => this.presenceOwnedElsewhere(clientId),
  );
  /** Access taken away lately: a ticket issued before it opens nothing (revocations.ts). */
  protected readonly revocations = new RevocationMemory(this.ctx.storage.sql);
  /** The whole document, kept encoded for the next viewer who joins knowing nothing of it. */
  readonly #encodedState = new EncodedState(this.document, SYNC_PART_BYTES);
  /** Sockets partyserver has wrapped as connections (see getConnections). */
  readonly #wrapped = new WeakSet<WebSocket>();
  /**
   * The ids of the sockets open here, kept as they open and close: the room's placement and frame budget
   * read the count at every join and every flush, and `getWebSockets()` builds the whole list each time
   * (O(N) a join: a thousand viewers made it half a million entries). Null after a wake: rebuilt then
   * from the sockets that survived hibernation.
   */
  #open: Set<string> | null = null;

  /** Server-authoritative: no viewer writes to the document. */
  isReadOnly(): boolean {
    return true;
  }

  /**
   * Keeps who the socket is, and sends the presence states already present. The YServer would also
   * send its SyncStep1, asking the viewer for what the server lacks: a read-only viewer has nothing
   * to give, so that round trip, a third of the work of every connect, is skipped.
   */
  onConnect(connection: Connection, ctx: ConnectionContext): void | Promise<void> {
    this.#openIds().add(connection.id);
    const now = Date.now();
    const identity = this.connections.admit(connection, ctx.request, now, (who) =>
      this.revocations.revoked(who, now),
    );
    if (!identity) {
      this.#open?.delete(connection.id);
      return;
    }
    const awareness = this.document.awareness;
    if (awareness.getStates().size > 0) {
      const encoder = encoding.createEncoder();
      encoding.writeVarUint(encoder, MESSAGE_AWARENESS);
      encoding.writeVarUint8Array(
        encoder,
        encodeAwarenessUpdate(awareness, [...awareness.getStates().keys()]),
      );
      connection.send(encoding.toUint8Array(encoder));
    }
    return this.viewerJoined(connection, identity);
  }

  /** Whether an awareness client id belongs to a viewer on another object (the room or another shard). */
  protected presenceOwnedElsewhere(_clientId: number): boolean {
    return false;
  }

  /** After a viewer's identity is kept and presence sent. */
  protected viewerJoined(_connection: Connection, _identity: ConnectionIdentity): void | Promise<void> {}

  /** A refused frame is dropped; a SyncStep1 is answered here, in parts; presence goes to the YServer as rewritten. */
  onMessage(connection: Connection, message: WSMessage): void {
    const frame = this.connections.clientFrame(connection, message);
    if (!frame) return;
    const stateVector = syncStep1StateVector(frame);
    if (!stateVector) {
      super.onMessage(connection, frame);
      return;
    }
    for (const part of syncAnswer(this.document, stateVector, () => this.everything())) connection.send(part);
  }

  /** The whole document in parts: kept encoded between joins unless SYNC_KEEP_ENCODED=false. */
  protected everything(): Uint8Array[] {
    return this.env.SYNC_KEEP_ENCODED === "false"
      ? encodeStateAsUpdateParts(this.document, EVERYTHING, SYNC_PART_BYTES)
      : this.#encodedState.everything();
  }

  /** The presence of a closed socket goes with it, whatever the client said last. */
  onClose(connection: Connection, code: number, reason: string, wasClean: boolean): void | Promise<void> {
    this.#open?.delete(connection.id);
    void super.onClose(connection, code, reason, wasClean);
    const clientIds = this.connections.release(connection);
    if (clientIds.length > 0) removeAwarenessStates(this.document.awareness, clientIds, null);
  }

  /**
   * The open viewer sockets. partyserver's own iteration deserializes every socket's attachment on
   * every call, which every broadcast pays once per viewer; a socket it has wrapped once is taken
   * as it is.
   */
  getConnections<TState = unknown>(tag?: string): Iterable<Connection<TState>> {
    if (tag !== undefined) return super.getConnections<TState>(tag);
    const sockets = this.ctx.getWebSockets();
    if (sockets.every((socket) => this.#wrapped.has(socket))) {
      return sockets.filter(
        (socket) => socket.readyState === WebSocket.READY_STATE_OPEN,
      ) as unknown as Connection<TState>[];
    }
    const connections = [...super.getConnections<TState>()];
    for (const connection of connections) this.#wrapped.add(connection as unknown as WebSocket);
    return connections;
  }

  /** A socket that failed is gone as a closed one is (the runtime may not report its close). */
  onError(connection: Connection, error: unknown): void | Promise<void> {
    this.#open?.delete(connection.id);
    return super.onError(connection, error);
  }

  /** Sockets on this object: the frames one document change costs it. */
  protected viewerCount(): number {
    return this.#openIds().size;
  }

  #openIds(): Set<string> {
    this.#open ??= new Set([...this.getConnections()].map((connection) => connection.id));
    return this.#open;
  }

  /** Whether the access an upgrade carries was revoked since a ticket vouched for it. */
  protected upgradeRevoked(request: Request): boolean {
    const identity = identityFrom(request);
    return identity !== null && this.revocations.revoked(identity, Date.now());
  }

  /**
   * Closes the viewer sockets of a removed (or re-roled) member, a revoked API token or share link (called by
   * the API after the change), and remembers it: a ticket issued before opens nothing here.
   */
  async revokeConnections(revocation: Revocation): Promise<number> {
    this.revocations.remember(revocation, Date.now());
    return this.connections.revoke(revocation);
  }
}
