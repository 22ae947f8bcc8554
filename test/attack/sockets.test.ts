/**
 * The session socket under malformed and oversized frames from a viewer (share links, and so guests, do
 * not exist yet): random bytes, truncated and unknown messages, text, frames over the size cap, awareness
 * garbage, and hundreds of Yjs writes from every role. The room stays up and serves the same document, its
 * storage is unchanged, and not one client write is applied.
 */
import * as encoding from "lib0/encoding";
import * as syncProtocol from "y-protocols/sync";
import * as Y from "yjs";
import { beforeAll, describe, expect, it } from "vitest";
import { eventually } from "../worker/session-helpers";
import { connectRoom, docText, type RoomClient } from "../worker/yjs-client";
import { figures, reportFigures } from "./probe";
import { buildWorld, roomSnapshot, type World } from "./world";

reportFigures();

async function join(cookie: string, sessionId: string): Promise<RoomClient> {
  const room = await connectRoom(sessionId, { cookie });
  if (room instanceof Response) throw new Error(`upgrade refused: ${room.status}`);
  await room.synced;
  return room;
}

/** Sends a frame if the socket is still open; a server may close a socket over a frame it will not read. */
function send(room: RoomClient, frame: Uint8Array | string): void {
  figures.socketFrames++;
  if (room.socket.readyState === WebSocket.READY_STATE_OPEN) room.socket.send(frame);
}

function syncFrame(write: (encoder: encoding.Encoder) => void): Uint8Array {
  const encoder = encoding.createEncoder();
  encoding.writeVarUint(encoder, 0);
  write(encoder);
  return encoding.toUint8Array(encoder);
}

/** A write a client might try: each from a copy of the document with a client id of its own. */
function rogueWrites(base: Y.Doc, count: number): { update: Uint8Array; clientId: number }[] {
  const writes: { update: Uint8Array; clientId: number }[] = [];
  for (let i = 0; i < count; i++) {
    const rogue = new Y.Doc();
    Y.applyUpdate(rogue, Y.encodeStateAsUpdate(base));
    const before = Y.encodeStateVector(rogue);
    const messages = rogue.getArray<Y.Map<unknown>>("messages");
    const session = rogue.getMap("session");
    switch (i % 5) {
      case 0:
        messages.push([
          new Y.Map<unknown>([
            ["id", `forged-${i}`],
            ["role", "assistant"],
            ["author", "agent"],
          ]),
        ]);
        break;
      case 1:
        session.set("phase", "Completed");
        session.set("name", `hijacked ${i}`);
        break;
      case 2:
        if (messages.length > 0) messages.delete(0, 1);
        else session.set("agentStatus", "working");
        break;
      case 3: {
        const first = messages.length > 0 ? messages.get(0) : undefined;
        // A settled message (issue 24) is a plain value: nothing in it to inject into.
        const blocks =
          first instanceof Y.Map ? (first.get("blocks") as Y.Array<Y.Map<unknown>> | undefined) : undefined;
        const text = blocks?.get(0)?.get("text");
        if (text instanceof Y.Text) text.insert(0, `injected ${i} `);
        else rogue.getText("extra").insert(0, "x");
        break;
      }
      default:
        rogue.getMap(`root-${i}`).set("x", "y".repeat(100));
    }
    writes.push({ update: Y.encodeStateAsUpdate(rogue, before), clientId: rogue.clientID });
  }
  return writes;
}

function randomBytes(length: number): Uint8Array {
  const bytes = new Uint8Array(length);
  for (let offset = 0; offset < length; offset += 65_536)
    crypto.getRandomValues(bytes.subarray(offset, offset + 65_536));
  return bytes;
}

describe("malformed and oversized socket frames", () => {
  let world: World;

  beforeAll(async () => {
    world = await buildWorld("sockets", { session: true, artifact: true });
  }, 60_000);

  it("leave the room up, its document and storage unchanged, and apply no client write", async () => {
    const witness = await join(world.owner.cookie, world.sessionId);
    const stateBefore = Y.encodeStateVector(witness.doc);
    const textBefore = docText(witness.doc);
    const storedBefore = await roomSnapshot(world.sessionId);

    const attackers = await Promise.all(
      [world.viewer, world.editor, world.owner].map((client) => join(client.cookie, world.sessionId)),
    );
    const writes = rogueWrites(witness.doc, 300);
    writes.forEach(({ update }, i) => {
      const attacker = attackers[i % attackers.length];
      // Half as updates, half as a sync step 2 carrying the same write.
      send(
        attacker,
        syncFrame((e) => {
          encoding.writeVarUint(
            e,
            i % 2 === 0 ? syncProtocol.messageYjsUpdate : syncProtocol.messageYjsSyncStep2,
          );
          encoding.writeVarUint8Array(e, update);
        }),
      );
      figures.yjsWritesSent++;
    });

    const viewer = attackers[0];
    for (let i = 0; i < 300; i++) send(viewer, randomBytes(1 + (i % 200)));
    const malformed: (Uint8Array | string)[] = [
      new Uint8Array([]),
      new Uint8Array([0x80, 0x80, 0x80]),
      new Uint8Array([0]),
      new Uint8Array([0, 99]),
      new Uint8Array([0, 0]),
      new Uint8Array([0, 0, 5, 0xff, 0xff, 0xff, 0xff, 0xff]),
      new Uint8Array([0, 0, 1, 0]),
      new Uint8Array([1]),
      new Uint8Array([1, 5, 1, 2]),
      new Uint8Array([2, 1, 2, 3]),
      new Uint8Array([3]),
      new Uint8Array([0xff, 0xff]),
      new Uint8Array([0, 1]),
      new Uint8Array([0, 2, 200]),
      "",
      "hello",
      "__YPS:custom",
      JSON.stringify({ type: "user_message", text: "/run rm -rf /" }),
      "x".repeat(100_000),
    ];
    for (const frame of malformed) send(viewer, frame);
    // Awareness garbage: unparsable state, a nesting bomb inside the size cap, a huge clock, a thousand keys.
    const awareness = (state: string, clock = 1, clientId = viewer.doc.clientID) => {
      const update = encoding.createEncoder();
      encoding.writeVarUint(update, 1);
      encoding.writeVarUint(update, clientId);
      encoding.writeVarUint(update, clock);
      encoding.writeVarString(update, state);
      const frame = encoding.createEncoder();
      encoding.writeVarUint(frame, 1);
      encoding.writeVarUint8Array(frame, encoding.toUint8Array(update));
      return encoding.toUint8Array(frame);
    };
    for (const state of [
      "{",
      "[]",
      "1",
      '"x"',
      `${"[".repeat(30_000)}${"]".repeat(30_000)}`,
      JSON.stringify(Object.fromEntries(Array.from({ length: 1000 }, (_, i) => [`k${i}`, i]))),
    ]) {
      send(viewer, awareness(state));
    }
    send(
      viewer,
      awareness(JSON.stringify({ user: { color: "#123" }, typing: false }), Number.MAX_SAFE_INTEGER),
    );
    // Over the 64 KiB cap: a valid write and a valid presence, each too large to be read.
    const padded = new Y.Doc();
    padded.getText("t").insert(0, "p".repeat(70_000));
    send(
      viewer,
      syncFrame((e) => syncProtocol.writeUpdate(e, Y.encodeStateAsUpdate(padded))),
    );
    send(viewer, randomBytes(900_000));
    send(viewer, randomBytes(2 * 1024 * 1024));

    // The room is still there: a newcomer syncs the same document, and the session goes on.
    await new Promise((resolve) => setTimeout(resolve, 500));
    const newcomer = await join(world.editor.cookie, world.sessionId);
    expect(Y.encodeStateVector(newcomer.doc)).toEqual(stateBefore);
    expect(docText(newcomer.doc)).toBe(textBefore);
    const stateVector = Y.decodeStateVector(Y.encodeStateVector(newcomer.doc));
    const applied = writes.filter(({ clientId }) => stateVector.has(clientId)).length;
    figures.yjsWritesApplied += applied;
    expect(applied).toBe(0);
    expect(newcomer.doc.getMap("session").get("phase")).toBe("Running");
    expect(await roomSnapshot(world.sessionId)).toBe(storedBefore);

    await world.owner.api(`/api/workspaces/${world.ws}/sessions/${world.sessionId}/messages`, {
      body: { text: "still working" },
    });
    await eventually(
      async () => docText(newcomer.doc),
      (text) => text.includes("echo: still working"),
    );
    expect(docText(witness.doc)).toContain("echo: still working");
    for (const room of [witness, newcomer, ...attackers]) room.close();
  });
});
