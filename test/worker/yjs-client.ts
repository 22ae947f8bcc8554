import * as decoding from "lib0/decoding";
import { messageJSON, messageList } from "../../worker/protocol/transcript";
import * as encoding from "lib0/encoding";
import { SELF } from "cloudflare:test";
import * as awarenessProtocol from "y-protocols/awareness";
import * as syncProtocol from "y-protocols/sync";
import * as Y from "yjs";

const MESSAGE_SYNC = 0;
const MESSAGE_AWARENESS = 1;

/** A minimal y-protocols sync client over the session WebSocket, as a browser would connect. */
export interface RoomClient {
  doc: Y.Doc;
  /** Presence as this client sees it: its own state and everyone else's. */
  awareness: awarenessProtocol.Awareness;
  socket: WebSocket;
  /** Resolves with the close code once the server closes the socket. */
  closed: Promise<{ code: number; reason: string; at: number }>;
  /** Publishes this client's presence, as a browser does (`{user, typing}`). */
  setPresence(state: Record<string, unknown>): void;
  synced: Promise<void>;
  /** Every binary frame received, as sent (the sync answer arrives in parts when large). */
  frames: Uint8Array[];
  /** Sends a raw Yjs update, as a (misbehaving) client writing to the document would. */
  sendUpdate(update: Uint8Array): void;
  close(): void;
}

export async function connectRoom(
  sessionId: string,
  headers: Record<string, string>,
  query = "",
  fetcher: (url: string, init: RequestInit) => Promise<Response> = (url, init) => SELF.fetch(url, init),
): Promise<Response | RoomClient> {
  const res = await fetcher(`http://localhost:8787/parties/session-room/${sessionId}${query}`, {
    headers: { Upgrade: "websocket", ...headers },
  });
  if (!res.webSocket) return res;
  const socket = res.webSocket;
  socket.accept();
  // Binary frames arrive as Blobs otherwise, which cannot be decoded in order synchronously.
  (socket as WebSocket & { binaryType: string }).binaryType = "arraybuffer";
  const doc = new Y.Doc();
  const awareness = new awarenessProtocol.Awareness(doc);
  let markSynced: () => void = () => {};
  const synced = new Promise<void>((resolve) => (markSynced = resolve));
  const frames: Uint8Array[] = [];
  socket.addEventListener("message", (event) => {
    if (typeof event.data === "string") return;
    frames.push(new Uint8Array(event.data as ArrayBuffer));
    const decoder = decoding.createDecoder(new Uint8Array(event.data as ArrayBuffer));
    const kind = decoding.readVarUint(decoder);
    if (kind === MESSAGE_AWARENESS) {
      awarenessProtocol.applyAwarenessUpdate(awareness, decoding.readVarUint8Array(decoder), "server");
      return;
    }
    if (kind !== MESSAGE_SYNC) return;
    const reply = encoding.createEncoder();
    encoding.writeVarUint(reply, MESSAGE_SYNC);
    const type = syncProtocol.readSyncMessage(decoder, reply, doc, "server");
    if (type === syncProtocol.messageYjsSyncStep2) markSynced();
    if (encoding.length(reply) > 1) socket.send(encoding.toUint8Array(reply));
  });
  const closed = new Promise<{ code: number; reason: string; at: number }>((resolve) =>
    socket.addEventListener("close", (event) =>
      resolve({ code: event.code, reason: event.reason, at: Date.now() }),
    ),
  );
  const hello = encoding.createEncoder();
  encoding.writeVarUint(hello, MESSAGE_SYNC);
  syncProtocol.writeSyncStep1(hello, doc);
  socket.send(encoding.toUint8Array(hello));
  return {
    doc,
    awareness,
    socket,
    closed,
    setPresence(state) {
      awareness.setLocalState(state);
      const encoder = encoding.createEncoder();
      encoding.writeVarUint(encoder, MESSAGE_AWARENESS);
      encoding.writeVarUint8Array(
        encoder,
        awarenessProtocol.encodeAwarenessUpdate(awareness, [doc.clientID]),
      );
      socket.send(encoding.toUint8Array(encoder));
    },
    synced,
    frames,
    sendUpdate(update) {
      const encoder = encoding.createEncoder();
      encoding.writeVarUint(encoder, MESSAGE_SYNC);
      syncProtocol.writeUpdate(encoder, update);
      socket.send(encoding.toUint8Array(encoder));
    },
    close: () => {
      awareness.destroy();
      socket.close();
    },
  };
}

/** All the text of a document's transcript, message by message. */
export function docText(doc: Y.Doc): string {
  return messageList(doc)
    .toArray()
    .map((m) =>
      messageJSON(m)
        .blocks.map((b) => ("text" in b ? b.text : ""))
        .join(""),
    )
    .join("\n");
}
