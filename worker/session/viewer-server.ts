/**
 * A YServer whose sockets are read-only viewers (viewers.ts): the SessionRoom and its viewer shards
 * both are one. Who a socket belongs to is set at connect; what it may send is checked on every
 * frame; its SyncStep1 is answered in parts; revoked or deleted access closes it.
 */
import * as encoding from "lib0/encoding";
import type { Connection, ConnectionContext, WSMessage } from "partyserver";
import { YServer } from "y-partyserver";
import { encodeAwarenessUpdate } from "y-protocols/awareness";
import type { Env } from "../env";
import { MESSAGE_AWARENESS } from "../sync/sync-answer";
import { CLOSE_REVOKED, admitViewer, closeViewers, isRevoked, viewerFrame, type Revocation, type ViewerAccess } from "./viewers";

export abstract class ViewerServer extends YServer<Env> {
  static options = { hibernate: true };

  /** Sockets partyserver has wrapped as connections (see getConnections). */
  readonly #wrapped = new WeakSet<WebSocket>();

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
    const access = admitViewer(connection, ctx.request);
    if (!access) return;
    const awareness = this.document.awareness;
    if (awareness.getStates().size > 0) {
      const encoder = encoding.createEncoder();
      encoding.writeVarUint(encoder, MESSAGE_AWARENESS);
      encoding.writeVarUint8Array(encoder, encodeAwarenessUpdate(awareness, [...awareness.getStates().keys()]));
      connection.send(encoding.toUint8Array(encoder));
    }
    return this.viewerJoined(connection, access);
  }

  /** After a viewer's access is kept and presence sent. */
  protected viewerJoined(_connection: Connection, _access: ViewerAccess): void | Promise<void> {}

  onMessage(connection: Connection, message: WSMessage): void {
    if (viewerFrame(connection, message, this.document)) super.onMessage(connection, message);
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
      return sockets.filter((socket) => socket.readyState === WebSocket.READY_STATE_OPEN) as unknown as Connection<TState>[];
    }
    const connections = [...super.getConnections<TState>()];
    for (const connection of connections) this.#wrapped.add(connection as unknown as WebSocket);
    return connections;
  }

  /** Sockets on this object: the frames one document change costs it. */
  protected viewerCount(): number {
    return this.ctx.getWebSockets().length;
  }

  /** Closes the viewer sockets opened with this user's or this token's access. */
  async revokeConnections(revocation: Revocation): Promise<number> {
    return closeViewers(this.getConnections(), (access) => isRevoked(access, revocation), CLOSE_REVOKED, "access revoked");
  }
}
