import { env, runInDurableObject } from "cloudflare:test";
import { messageJSON, messageList } from "../../worker/protocol/transcript";
import * as encoding from "lib0/encoding";
import * as Y from "yjs";
import { describe, expect, it } from "vitest";
import { issueRoomTicket } from "../../worker/auth/room-ticket";
import type { SessionRoom } from "../../worker/session/room";
import { shardName } from "../../worker/viewers/fan-out-config";
import type { SessionShard } from "../../worker/viewers/shard";
import { YjsLog } from "../../worker/viewers/yjs-log";
import { signIn, uniqueName, workspaceWith, type Client } from "./helpers";
import { createSession, eventually, textOf, transcriptOf, waitForPhase } from "./session-helpers";
import { connectRoom, docText, type RoomClient } from "./yjs-client";

// The worker project runs with SHARD_AFTER_VIEWERS=2 and VIEWERS_PER_SHARD=2 (vitest.config.ts).
const roomStub = (id: string) => env.SessionRoom.get(env.SessionRoom.idFromName(id));
const shardStub = (id: string, index: number) =>
  env.SessionShard.get(env.SessionShard.idFromName(shardName(id, index)));
const socketsOn = <T extends SessionRoom | SessionShard>(stub: DurableObjectStub<T>) =>
  runInDurableObject(stub, (instance: T) => [...instance.getConnections()].length);
const relayedShards = (id: string) =>
  runInDurableObject(roomStub(id), (_instance, state) =>
    state.storage.sql
      .exec(`SELECT name FROM viewer_shards ORDER BY name`)
      .toArray()
      .map((row) => String(row.name)),
  );

async function runningSession() {
  const owner = await signIn(uniqueName("owner"));
  const viewer = await signIn(uniqueName("viewer"));
  const ws = await workspaceWith(owner, [{ client: viewer, role: "viewer" }]);
  const { id } = await createSession(owner, ws, { prompt: "hello shards", timeoutSeconds: 60 });
  await waitForPhase(owner, ws, id, "Running");
  await eventually(
    () => transcriptOf(owner, ws, id),
    (m) => textOf(m).includes("echo: hello shards"),
  );
  return { owner, viewer, ws, id };
}

async function viewers(id: string, who: Client, count: number): Promise<RoomClient[]> {
  const clients: RoomClient[] = [];
  // One at a time, as the room places each viewer when its upgrade arrives.
  for (let i = 0; i < count; i++) {
    const client = (await connectRoom(id, { cookie: who.cookie })) as RoomClient;
    await client.synced;
    clients.push(client);
  }
  return clients;
}

const say = (owner: Client, ws: string, id: string, text: string) =>
  owner.api(`/api/workspaces/${ws}/sessions/${id}/messages`, { body: { text } });

describe("viewer shards", () => {
  it("take the viewers past the threshold, each holding a replica that every update reaches once and late joiners sync from", async () => {
    const { owner, viewer, ws, id } = await runningSession();
    const clients = await viewers(id, viewer, 6);
    expect(await socketsOn(roomStub(id))).toBe(2);
    expect(await socketsOn(shardStub(id, 0))).toBe(2);
    expect(await socketsOn(shardStub(id, 1))).toBe(2);
    expect(await relayedShards(id)).toEqual([shardName(id, 0), shardName(id, 1)]);
    for (const client of clients) expect(docText(client.doc)).toContain("echo: hello shards");

    await say(owner, ws, id, "streamed to every shard");
    for (const client of clients)
      await eventually(
        async () => docText(client.doc),
        (text) => text.includes("echo: streamed to every shard"),
      );

    // The shard's replica is in its own storage: the late-join source after hibernation.
    const replica = await runInDurableObject(shardStub(id, 1), (_instance, state) => {
      const doc = new Y.Doc();
      for (const update of new YjsLog({
        sql: state.storage.sql,
        transactionSync: (closure) => state.storage.transactionSync(closure),
      }).updates())
        Y.applyUpdate(doc, update);
      return docText(doc);
    });
    expect(replica).toBe(docText(clients[0].doc));
    // A seventh viewer lands on a third shard and syncs the whole transcript from its replica.
    const [late] = await viewers(id, owner, 1);
    expect(await socketsOn(shardStub(id, 2))).toBe(1);
    expect(docText(late.doc)).toBe(docText(clients[0].doc));
    for (const client of [...clients, late]) client.close();
  });

  it("are read-only and take only a viewer's own presence, as the room does", async () => {
    const { owner, viewer, ws, id } = await runningSession();
    const [, , onShard] = await viewers(id, viewer, 3);
    expect(await socketsOn(shardStub(id, 0))).toBe(1);
    const rogue = new Y.Doc();
    Y.applyUpdate(rogue, Y.encodeStateAsUpdate(onShard.doc));
    const before = Y.encodeStateVector(rogue);
    rogue.getArray<Y.Map<unknown>>("messages").push([
      new Y.Map([
        ["id", "forged"],
        ["role", "assistant"],
      ]),
    ]);
    onShard.sendUpdate(Y.encodeStateAsUpdate(rogue, before));
    onShard.setPresence({
      user: { id: owner.user.id, name: "not really the owner", color: "#000" },
      typing: true,
    });
    await say(owner, ws, id, "after the forgery");
    await eventually(
      async () => docText(onShard.doc),
      (text) => text.includes("echo: after the forgery"),
    );
    const ids = (await transcriptOf(owner, ws, id)).map((m) => (m as { id?: string }).id);
    expect(ids).not.toContain("forged");
    const shardIds = await runInDurableObject(shardStub(id, 0), (instance) =>
      messageList(instance.document)
        .toArray()
        .map((m) => messageJSON(m).id),
    );
    expect(shardIds).not.toContain("forged");
    const names = await runInDurableObject(roomStub(id), (instance) =>
      [...instance.document.awareness.getStates().values()].map(
        (s) => (s as { user?: { name: string } }).user?.name,
      ),
    );
    expect(names).not.toContain("not really the owner");
  });

  it("relay presence both ways: room to shards, shard to room and to the other shards, and drop it on leave", async () => {
    const { owner, viewer, id } = await runningSession();
    const [onRoom, , onShard0, , onShard1] = await viewers(id, viewer, 5);
    expect(await socketsOn(shardStub(id, 1))).toBe(1);
    const seenBy = (client: RoomClient) =>
      [...client.awareness.getStates().values()].map(
        (s) => s as { user?: { name: string }; typing?: boolean },
      );
    const presence = (client: Client, typing: boolean) => ({
      user: { id: client.user.id, name: client.user.name, color: "#33c" },
      typing,
    });

    onShard0.setPresence(presence(viewer, true));
    for (const client of [onRoom, onShard1])
      await eventually(
        async () => seenBy(client),
        (states) => states.some((s) => s.user?.name === viewer.user.name && s.typing === true),
      );
    onRoom.setPresence(presence(viewer, false));
    await eventually(
      async () => seenBy(onShard1),
      (states) => states.filter((s) => s.user?.name === viewer.user.name).length === 2,
    );

    // A late joiner on a shard is sent the states already present.
    const [late] = await viewers(id, owner, 1);
    expect(await socketsOn(shardStub(id, 1))).toBe(2);
    await eventually(
      async () => seenBy(late),
      (states) => states.filter((s) => s.user?.name === viewer.user.name).length === 2,
    );

    onShard0.close();
    for (const client of [onRoom, onShard1, late])
      await eventually(
        async () => seenBy(client),
        (states) => !states.some((s) => s.typing === true),
      );
    for (const client of [onRoom, onShard1, late]) client.close();
  });

  it("let no viewer, on the room or on any shard, speak for another viewer's presence", async () => {
    const { owner, viewer, id } = await runningSession();
    const [onRoom] = await viewers(id, owner, 1);
    const [, onShard0, , onShard1] = await viewers(id, viewer, 4);
    expect(await socketsOn(shardStub(id, 1))).toBe(1);
    const stateOf = (client: RoomClient, clientId: number) =>
      client.awareness.getStates().get(clientId) as { user?: { name: string }; typing?: boolean } | undefined;
    /** An awareness frame for someone else's client id, as a hostile page would craft it. */
    const claim = (from: RoomClient, clientId: number, state: unknown) => {
      const update = encoding.createEncoder();
      encoding.writeVarUint(update, 1);
      encoding.writeVarUint(update, clientId);
      encoding.writeVarUint(update, 1_000);
      encoding.writeVarString(update, JSON.stringify(state));
      const frame = encoding.createEncoder();
      encoding.writeVarUint(frame, 1);
      encoding.writeVarUint8Array(frame, encoding.toUint8Array(update));
      from.socket.send(encoding.toUint8Array(frame));
    };
    onRoom.setPresence({ user: { id: owner.user.id, name: owner.user.name, color: "#33c" }, typing: false });
    onShard1.setPresence({
      user: { id: viewer.user.id, name: viewer.user.name, color: "#c33" },
      typing: false,
    });
    for (const client of [onRoom, onShard0, onShard1]) {
      await eventually(
        async () => [stateOf(client, onRoom.doc.clientID), stateOf(client, onShard1.doc.clientID)],
        (states) => states.every((state) => state !== undefined),
      );
    }

    // From a shard, for a viewer on the room; from a shard, for a viewer on another shard; from the room, for a shard's viewer.
    claim(onShard0, onRoom.doc.clientID, { user: { color: "#000" }, typing: true });
    claim(onShard0, onShard1.doc.clientID, null);
    claim(onRoom, onShard1.doc.clientID, { user: { color: "#000" }, typing: true });
    // A marker that went the same way afterwards: once it is seen everywhere, the claims had their chance.
    onShard0.setPresence({
      user: { id: viewer.user.id, name: viewer.user.name, color: "#3c3" },
      typing: true,
    });
    for (const client of [onRoom, onShard0, onShard1]) {
      await eventually(
        async () => stateOf(client, onShard0.doc.clientID)?.typing,
        (typing) => typing === true,
      );
      expect(stateOf(client, onRoom.doc.clientID)).toMatchObject({
        user: { name: owner.user.name },
        typing: false,
      });
      expect(stateOf(client, onShard1.doc.clientID)).toMatchObject({
        user: { name: viewer.user.name },
        typing: false,
      });
    }
    for (const client of [onRoom, onShard0, onShard1]) client.close();
  });

  it("close a revoked user's sockets on every shard, and a socket whose credential expires", async () => {
    const { owner, viewer, id } = await runningSession();
    const ownerSockets = await viewers(id, owner, 2);
    const viewerSockets = await viewers(id, viewer, 3);
    expect(await socketsOn(shardStub(id, 1))).toBe(1);
    expect(await roomStub(id).revokeConnections({ userId: viewer.user.id })).toBe(3);
    for (const client of viewerSockets)
      expect(await client.closed).toMatchObject({ code: 4403, reason: "access revoked" });
    expect(await socketsOn(roomStub(id))).toBe(2);

    // Long enough to be admitted on a busy machine: a credential already expired at the join is refused
    // there (4401 before the sync), and this test is about the one that expires while connected.
    const expiresAt = Date.now() + 2_000;
    // The owner's: a ticket of the viewer issued now would be one issued at their revocation, and refused.
    const issued = await issueRoomTicket(env, id, {
      userId: owner.user.id,
      userName: owner.user.name,
      role: "owner",
      tokenId: null,
      expiresAt,
    });
    const expiring = (await connectRoom(id, {}, `?ticket=${issued!.ticket}`)) as RoomClient;
    await expiring.synced;
    const shard = shardStub(id, 0);
    expect(await socketsOn(shard)).toBe(1);
    // The shard's own alarm, set for the expiry at the join, closes it. (Running the alarm by hand at the
    // expiry raced the real one: the runtime cancelled the handler that had begun, and the hand-run found
    // no alarm left to run, so the socket stayed open.)
    expect(await expiring.closed).toMatchObject({ code: 4401 });
    expect(Date.now()).toBeGreaterThanOrEqual(expiresAt);
    for (const client of ownerSockets) client.close();
  });

  it("drain away once their viewers leave, and new viewers come back to the room", async () => {
    const { owner, viewer, ws, id } = await runningSession();
    const clients = await viewers(id, viewer, 4);
    expect(await relayedShards(id)).toEqual([shardName(id, 0)]);
    for (const client of clients.slice(2)) client.close();
    await eventually(
      () => relayedShards(id),
      (names) => names.length === 0,
    );
    const replicaRows = await runInDurableObject(
      shardStub(id, 0),
      (_instance, state) => state.storage.sql.exec(`SELECT count(*) AS n FROM yjs_log`).one().n,
    );
    expect(replicaRows).toBe(0);
    clients[0].close();
    await eventually(
      () => socketsOn(roomStub(id)),
      (count) => count === 1,
    );
    const [back] = await viewers(id, owner, 1);
    expect(await socketsOn(roomStub(id))).toBe(2);
    // A shard that drained comes back whole when it is needed again.
    const [again] = await viewers(id, owner, 1);
    expect(await relayedShards(id)).toEqual([shardName(id, 0)]);
    await say(owner, ws, id, "after the drain");
    for (const client of [back, again])
      await eventually(
        async () => docText(client.doc),
        (text) => text.includes("echo: after the drain"),
      );
    expect(docText(again.doc)).toBe(docText(back.doc));
    for (const client of [clients[1], back, again]) client.close();
  });

  it("heal a gap: a relayed update that depends on what the shard never got brings the rest from the room", async () => {
    const { owner, viewer, ws, id } = await runningSession();
    const [onRoom] = await viewers(id, viewer, 1);
    const before = Y.encodeStateVector(onRoom.doc);
    await say(owner, ws, id, "after the gap");
    await eventually(
      async () => docText(onRoom.doc),
      (text) => text.includes("echo: after the gap"),
    );
    // A shard relayed to that holds nothing gets only the last change, which depends on all before it.
    const lastChange = Y.encodeStateAsUpdate(onRoom.doc, before);
    const shard = env.SessionShard.get(env.SessionShard.idFromName(shardName(id, 9)));
    await runInDurableObject(shard, (_instance, state) => {
      state.storage.sql.exec(`INSERT OR REPLACE INTO shard_meta (key, value) VALUES ('attached', '1')`);
    });
    await shard.relay(lastChange);
    const healed = await eventually(
      () => runInDurableObject(shard, (instance) => docText(instance.document)),
      (text) => text === docText(onRoom.doc),
    );
    expect(healed).toContain("echo: hello shards");
    onRoom.close();
  });

  it("close their sockets when the session is deleted", async () => {
    const { owner, viewer, ws, id } = await runningSession();
    const clients = await viewers(id, viewer, 3);
    expect((await owner.api(`/api/workspaces/${ws}/sessions/${id}`, { method: "DELETE" })).status).toBe(204);
    for (const client of clients) expect((await client.closed).code).toBe(4404);
  });
});
