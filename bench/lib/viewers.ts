/**
 * Minimal read-only y-protocols viewers over `ws`, many to a process: they sync, answer the server's
 * SyncStep1, and note when each streamed token arrives by finding its marker (`~000123~`) in the raw
 * update bytes, so a thousand of them cost the bench process little. Two framings: Tandem's (plain
 * y-protocols, as y-partyserver speaks it) and Hocuspocus's (every message prefixed with the
 * document's name, and an Auth message first). With `keepDoc` a viewer also applies what it gets.
 */
import * as decoding from "lib0/decoding";
import * as encoding from "lib0/encoding";
import WebSocket from "ws";
import * as Y from "yjs";

const SYNC = 0;
const HOCUSPOCUS_AUTH = 2;
const SYNC_REPLY = 4;
const STEP1 = 0;
const STEP2 = 1;
const UPDATE = 2;
const EMPTY_UPDATE = Y.encodeStateAsUpdate(new Y.Doc());
const EMPTY_STATE_VECTOR = Y.encodeStateVector(new Y.Doc());

/** Wall-clock milliseconds with sub-millisecond precision, comparable across processes on one machine. */
export const now = () => performance.timeOrigin + performance.now();

export const marker = (seq: number) => `~${String(seq).padStart(6, "0")}~`;
const MARKER = /~(\d{6})~/g;

export type Framing = { kind: "tandem" } | { kind: "hocuspocus"; document: string };

export interface Viewer {
  /** Resolves with the time the initial sync completed (SyncStep2 applied). */
  synced: Promise<number>;
  /** Receive time of each token by its sequence number (NaN until it arrives). */
  received: Float64Array;
  /** When the socket opened (the upgrade answered). */
  openedAt: number;
  /** Bytes received since the last `resetCounters`. */
  bytes: number;
  /** Sync-answer bytes (the SyncStep2 and the updates before it), in how many messages, the largest how big. */
  syncBytes: number;
  syncParts: number;
  largestSyncPart: number;
  /** When the first part of the sync answer arrived; time spent applying updates (with `keepDoc`). */
  firstSyncAt: number;
  applyMs: number;
  /** Bytes of the updates received after the initial sync (what the server's document grew by). */
  updateBytes: number;
  doc: Y.Doc | null;
  resetCounters(): void;
  close(): void;
}

/** `tokens` markers are watched for, numbered from `firstToken` (each round of a run streams its own). */
export function openViewer(
  url: string,
  framing: Framing,
  options: { tokens: number; firstToken?: number; keepDoc?: boolean; headers?: Record<string, string> },
): Viewer {
  const firstToken = options.firstToken ?? 0;
  const socket = new WebSocket(url, {
    headers: options.headers,
    perMessageDeflate: false,
    maxPayload: 256 * 1024 * 1024,
  });
  socket.binaryType = "nodebuffer";
  const doc = options.keepDoc ? new Y.Doc() : null;
  let markSynced: (at: number) => void = () => {};
  let fail: (err: Error) => void = () => {};
  const synced = new Promise<number>((resolve, reject) => {
    markSynced = resolve;
    fail = reject;
  });
  const viewer: Viewer = {
    synced,
    received: new Float64Array(options.tokens).fill(Number.NaN),
    openedAt: Number.NaN,
    bytes: 0,
    syncBytes: 0,
    syncParts: 0,
    largestSyncPart: 0,
    firstSyncAt: Number.NaN,
    applyMs: 0,
    updateBytes: 0,
    doc,
    resetCounters() {
      viewer.bytes = 0;
    },
    close: () => socket.close(),
  };
  let isSynced = false;

  const frame = (write: (encoder: encoding.Encoder) => void) => {
    const encoder = encoding.createEncoder();
    if (framing.kind === "hocuspocus") encoding.writeVarString(encoder, framing.document);
    write(encoder);
    return encoding.toUint8Array(encoder);
  };

  socket.on("error", (err) => fail(err));
  socket.on("unexpected-response", (_req, res) => fail(new Error(`server answered ${res.statusCode}`)));
  socket.on("close", (code, reason) => {
    if (!isSynced) fail(new Error(`closed before sync: ${code} ${reason.toString()}`));
  });
  socket.on("open", () => {
    viewer.openedAt = now();
    if (framing.kind === "hocuspocus") {
      socket.send(
        frame((e) => {
          encoding.writeVarUint(e, HOCUSPOCUS_AUTH);
          encoding.writeVarUint(e, 0);
          encoding.writeVarString(e, "bench");
        }),
      );
    }
    socket.send(
      frame((e) => {
        encoding.writeVarUint(e, SYNC);
        encoding.writeVarUint(e, STEP1);
        encoding.writeVarUint8Array(e, doc ? Y.encodeStateVector(doc) : EMPTY_STATE_VECTOR);
      }),
    );
  });
  socket.on("message", (data: Buffer, isBinary) => {
    if (!isBinary) return;
    const at = now();
    viewer.bytes += data.byteLength;
    const decoder = decoding.createDecoder(data);
    if (framing.kind === "hocuspocus") decoding.readVarString(decoder);
    const kind = decoding.readVarUint(decoder);
    if (kind !== SYNC && kind !== SYNC_REPLY) return;
    const step = decoding.readVarUint(decoder);
    if (step === STEP1) {
      socket.send(
        frame((e) => {
          encoding.writeVarUint(e, SYNC);
          encoding.writeVarUint(e, STEP2);
          encoding.writeVarUint8Array(e, EMPTY_UPDATE);
        }),
      );
      return;
    }
    const update = decoding.readVarUint8Array(decoder);
    if (!isSynced) {
      if (viewer.syncParts === 0) viewer.firstSyncAt = at;
      viewer.syncBytes += data.byteLength;
      viewer.syncParts++;
      viewer.largestSyncPart = Math.max(viewer.largestSyncPart, data.byteLength);
    } else viewer.updateBytes += update.byteLength;
    if (doc) {
      const applying = now();
      Y.applyUpdate(doc, update);
      viewer.applyMs += now() - applying;
    } else noteMarkers(update, at, viewer.received, firstToken);
    if (step === STEP2 && !isSynced) {
      isSynced = true;
      markSynced(now());
    }
  });
  return viewer;
}

function noteMarkers(update: Uint8Array, at: number, received: Float64Array, firstToken: number): void {
  const text = Buffer.from(update.buffer, update.byteOffset, update.byteLength).toString("latin1");
  for (const match of text.matchAll(MARKER)) {
    const index = Number(match[1]) - firstToken;
    if (index >= 0 && index < received.length && Number.isNaN(received[index])) received[index] = at;
  }
}
