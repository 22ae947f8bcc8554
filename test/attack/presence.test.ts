/**
 * Presence belongs to the room: a socket speaks only for the awareness client ids it introduced, as the
 * person who opened it. Overwriting or nulling someone else's presence by their client id is refused,
 * a claimed name is replaced by the real one, and a socket's presence goes when it closes.
 */
import * as encoding from "lib0/encoding";
import { describe, expect, it } from "vitest";
import { signIn, uniqueName, workspaceWith } from "../worker/helpers";
import { createSession, eventually } from "../worker/session-helpers";
import { connectRoom, type RoomClient } from "../worker/yjs-client";
import { figures, reportFigures } from "./probe";

reportFigures();

type State = { user?: { id?: string; name?: string; color?: string }; typing?: boolean } | null;

/** A hand-made awareness frame: each entry's client id, clock and state, whoever owns that id. */
function awarenessFrame(entries: { clientId: number; clock: number; state: State }[]): Uint8Array {
  const update = encoding.createEncoder();
  encoding.writeVarUint(update, entries.length);
  for (const entry of entries) {
    encoding.writeVarUint(update, entry.clientId);
    encoding.writeVarUint(update, entry.clock);
    encoding.writeVarString(update, JSON.stringify(entry.state));
  }
  const frame = encoding.createEncoder();
  encoding.writeVarUint(frame, 1);
  encoding.writeVarUint8Array(frame, encoding.toUint8Array(update));
  figures.socketFrames++;
  return encoding.toUint8Array(frame);
}

async function room(cookie: string, sessionId: string): Promise<RoomClient> {
  const client = (await connectRoom(sessionId, { cookie })) as RoomClient;
  await client.synced;
  return client;
}

const statesOf = (client: RoomClient) =>
  new Map([...client.awareness.getStates()].map(([id, state]) => [id, state as State]));
const settle = () => new Promise((resolve) => setTimeout(resolve, 150));

async function threeWatching() {
  const [owner, mallory, carol] = await Promise.all(
    ["owner", "mallory", "carol"].map((n) => signIn(uniqueName(n))),
  );
  const ws = await workspaceWith(owner, [
    { client: mallory, role: "viewer" },
    { client: carol, role: "viewer" },
  ]);
  const { id } = await createSession(owner, ws, { timeoutSeconds: 120 });
  const victim = await room(owner.cookie, id);
  const attacker = await room(mallory.cookie, id);
  const observer = await room(carol.cookie, id);
  victim.setPresence({ user: { id: owner.user.id, name: owner.user.name, color: "#c33" }, typing: false });
  const victimId = victim.doc.clientID;
  await eventually(
    async () => statesOf(observer).get(victimId),
    (s) => s?.user?.name === owner.user.name,
  );
  return { owner, mallory, carol, id, victim, attacker, observer, victimId };
}

describe("presence", () => {
  it("refuses to overwrite or null another socket's presence by its client id", async () => {
    const { owner, victim, attacker, observer, victimId } = await threeWatching();
    const clock = 1000;
    attacker.socket.send(
      awarenessFrame([
        {
          clientId: victimId,
          clock,
          state: { user: { id: owner.user.id, name: "Owner (hacked)", color: "#000" }, typing: true },
        },
      ]),
    );
    attacker.socket.send(awarenessFrame([{ clientId: victimId, clock: clock + 1, state: null }]));
    // Riding along with a legitimate entry of its own changes nothing: the whole frame is refused.
    attacker.socket.send(
      awarenessFrame([
        { clientId: attacker.doc.clientID, clock: 1, state: { user: { color: "#123" }, typing: false } },
        { clientId: victimId, clock: clock + 2, state: null },
      ]),
    );
    await settle();
    expect(statesOf(observer).get(victimId)).toEqual({
      user: { id: owner.user.id, name: owner.user.name, color: "#c33" },
      typing: false,
    });
    expect(statesOf(observer).has(attacker.doc.clientID)).toBe(false);
    // The victim's own updates still go through.
    victim.setPresence({ user: { id: owner.user.id, name: owner.user.name, color: "#c33" }, typing: true });
    await eventually(
      async () => statesOf(observer).get(victimId),
      (s) => s?.typing === true,
    );
    for (const c of [victim, attacker, observer]) c.close();
  });

  it("sets who a presence is from the socket, whatever the client claims", async () => {
    const { owner, mallory, victim, attacker, observer } = await threeWatching();
    attacker.setPresence({ user: { id: owner.user.id, name: owner.user.name, color: "#0a0" }, typing: true });
    const seen = await eventually(
      async () => statesOf(observer).get(attacker.doc.clientID),
      (s) => s !== undefined,
    );
    expect(seen).toEqual({
      user: { id: mallory.user.id, name: mallory.user.name, color: "#0a0" },
      typing: true,
    });
    // A state with only a colour is completed the same way; one of another shape is refused.
    attacker.socket.send(
      awarenessFrame([
        { clientId: attacker.doc.clientID, clock: 5, state: { user: { color: "#0b0" }, typing: false } },
      ]),
    );
    await eventually(
      async () => statesOf(observer).get(attacker.doc.clientID)?.user?.color,
      (c) => c === "#0b0",
    );
    for (const bad of [
      { user: { color: "#0c0", admin: true }, typing: false },
      { user: { color: "red" }, typing: false },
      { typing: false },
    ]) {
      attacker.socket.send(
        awarenessFrame([{ clientId: attacker.doc.clientID, clock: 9, state: bad as State }]),
      );
    }
    await settle();
    expect(statesOf(observer).get(attacker.doc.clientID)).toEqual({
      user: { id: mallory.user.id, name: mallory.user.name, color: "#0b0" },
      typing: false,
    });
    for (const c of [victim, attacker, observer]) c.close();
  });

  it("limits how many client ids one socket may speak for", async () => {
    const { mallory, victim, attacker, observer } = await threeWatching();
    const ids = [1, 2, 3, 4, 5].map((n) => 4_000_000_000 + n);
    for (const clientId of ids)
      attacker.socket.send(
        awarenessFrame([{ clientId, clock: 1, state: { user: { color: "#111" }, typing: false } }]),
      );
    await eventually(
      async () => ids.filter((id) => statesOf(observer).has(id)).length,
      (n) => n >= 4,
    );
    await settle();
    expect(ids.filter((id) => statesOf(observer).has(id))).toEqual(ids.slice(0, 4));
    expect(statesOf(observer).get(ids[0])?.user?.name).toBe(mallory.user.name);
    for (const c of [victim, attacker, observer]) c.close();
  });

  it("removes every presence of a socket when it closes, and frees its client ids", async () => {
    const { mallory, victim, attacker, observer, id } = await threeWatching();
    const extra = 3_999_999_999;
    attacker.setPresence({ user: { color: "#222" }, typing: true });
    attacker.socket.send(
      awarenessFrame([{ clientId: extra, clock: 1, state: { user: { color: "#333" }, typing: false } }]),
    );
    await eventually(
      async () => statesOf(observer),
      (s) => s.has(attacker.doc.clientID) && s.has(extra),
    );
    attacker.socket.close();
    await eventually(
      async () => statesOf(observer),
      (s) => !s.has(attacker.doc.clientID) && !s.has(extra),
    );
    // A reload may bring the same client id back on a new socket.
    const again = await room(mallory.cookie, id);
    again.socket.send(
      awarenessFrame([{ clientId: extra, clock: 5, state: { user: { color: "#444" }, typing: false } }]),
    );
    await eventually(
      async () => statesOf(observer).get(extra)?.user?.color,
      (c) => c === "#444",
    );
    for (const c of [victim, again, observer]) c.close();
  });
});
