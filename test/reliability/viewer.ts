/**
 * A viewer as a browser's provider behaves: one Y.Doc kept across connections, and on every (re)connect a
 * sync step 1 with what it has, so the room sends only what it missed.
 */
import * as decoding from "lib0/decoding";
import * as encoding from "lib0/encoding";
import WebSocket from "ws";
import * as syncProtocol from "y-protocols/sync";
import * as Y from "yjs";

const MESSAGE_SYNC = 0;

export class Viewer {
  readonly doc = new Y.Doc();
  #socket: WebSocket | null = null;
  connections = 0;

  constructor(
    readonly url: () => string,
    readonly cookie: string,
  ) {}

  /** Connects (again) and resolves once the room's sync step 2 has been applied. */
  connect(): Promise<void> {
    const socket = new WebSocket(this.url(), { headers: { cookie: this.cookie } });
    socket.binaryType = "arraybuffer";
    this.#socket = socket;
    this.connections++;
    return new Promise((resolve, reject) => {
      socket.on("error", reject);
      socket.on("unexpected-response", (_req, res) => reject(new Error(`room answered ${res.statusCode}`)));
      socket.on("open", () => {
        const hello = encoding.createEncoder();
        encoding.writeVarUint(hello, MESSAGE_SYNC);
        syncProtocol.writeSyncStep1(hello, this.doc);
        socket.send(encoding.toUint8Array(hello));
      });
      socket.on("message", (data, isBinary) => {
        if (!isBinary) return;
        const decoder = decoding.createDecoder(new Uint8Array(data as ArrayBuffer));
        if (decoding.readVarUint(decoder) !== MESSAGE_SYNC) return;
        const reply = encoding.createEncoder();
        encoding.writeVarUint(reply, MESSAGE_SYNC);
        const type = syncProtocol.readSyncMessage(decoder, reply, this.doc, "room");
        if (type === syncProtocol.messageYjsSyncStep2) resolve();
        if (encoding.length(reply) > 1 && socket.readyState === WebSocket.OPEN)
          socket.send(encoding.toUint8Array(reply));
      });
    });
  }

  /** The connection breaks without a close handshake, as a network drop does. */
  drop(): void {
    this.#socket?.terminate();
    this.#socket = null;
  }

  close(): void {
    this.#socket?.close();
  }

  /** The transcript and session info as plain JSON, for comparing documents. */
  snapshot(): string {
    return JSON.stringify({
      messages: this.doc.getArray("messages").toJSON(),
      session: this.doc.getMap("session").toJSON(),
    });
  }
}
