/**
 * A minimal y-protocols sync client over `ws`, for benchmarks with many Node viewers (the provider of
 * y-partyserver misbehaves with dozens of instances in one process).
 */
import * as decoding from "lib0/decoding";
import * as encoding from "lib0/encoding";
import WebSocket from "ws";
import * as syncProtocol from "y-protocols/sync";
import * as Y from "yjs";

const MESSAGE_SYNC = 0;

export interface NodeRoomClient {
  doc: Y.Doc;
  synced: Promise<void>;
  close(): void;
}

export function connectRoom(url: string, headers: Record<string, string>): NodeRoomClient {
  const socket = new WebSocket(url, { headers });
  socket.binaryType = "arraybuffer";
  const doc = new Y.Doc();
  let markSynced: () => void = () => {};
  let fail: (err: Error) => void = () => {};
  const synced = new Promise<void>((resolve, reject) => {
    markSynced = resolve;
    fail = reject;
  });
  socket.on("error", (err) => fail(err));
  socket.on("unexpected-response", (_req, res) => fail(new Error(`room answered ${res.statusCode}`)));
  socket.on("open", () => {
    const hello = encoding.createEncoder();
    encoding.writeVarUint(hello, MESSAGE_SYNC);
    syncProtocol.writeSyncStep1(hello, doc);
    socket.send(encoding.toUint8Array(hello));
  });
  socket.on("message", (data, isBinary) => {
    if (!isBinary) return;
    const decoder = decoding.createDecoder(new Uint8Array(data as ArrayBuffer));
    if (decoding.readVarUint(decoder) !== MESSAGE_SYNC) return;
    const reply = encoding.createEncoder();
    encoding.writeVarUint(reply, MESSAGE_SYNC);
    const type = syncProtocol.readSyncMessage(decoder, reply, doc, "server");
    if (type === syncProtocol.messageYjsSyncStep2) markSynced();
    if (encoding.length(reply) > 1) socket.send(encoding.toUint8Array(reply));
  });
  return { doc, synced, close: () => socket.close() };
}
