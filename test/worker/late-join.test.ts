import * as decoding from "lib0/decoding";
import { messageJSON, messageList } from "../../worker/protocol/transcript";
import * as syncProtocol from "y-protocols/sync";
import * as Y from "yjs";
import { describe, expect, it } from "vitest";
import { SYNC_PART_BYTES } from "../../worker/viewers/sync-answer";
import { signIn, uniqueName, workspaceWith } from "./helpers";
import { createSession, eventually, transcriptOf, waitForAgentStatus, waitForPhase } from "./session-helpers";
import { connectRoom, type RoomClient } from "./yjs-client";

/** The kind of each sync frame a client received: 1 = SyncStep2, 2 = update. */
function syncKinds(frames: Uint8Array[]): { kind: number; bytes: number }[] {
  return frames.flatMap((frame) => {
    const decoder = decoding.createDecoder(frame);
    if (decoding.readVarUint(decoder) !== 0) return [];
    return [{ kind: decoding.readVarUint(decoder), bytes: frame.byteLength }];
  });
}

const toolResults = (doc: Y.Doc) =>
  messageList(doc)
    .toArray()
    .flatMap((m) => messageJSON(m).blocks)
    .flatMap((b) => (b.type === "tool_use" ? [String(b.result ?? "").length] : []));

describe("a late joiner of a large transcript", () => {
  it("gets the state in parts under the message limit, the last a SyncStep2, from the room and from a shard", async () => {
    const owner = await signIn(uniqueName("owner"));
    const ws = await workspaceWith(owner);
    // 80 tool results of 30,000 characters: 2.4 MB of state.
    const { id } = await createSession(owner, ws, { prompt: "/long-output 80", timeoutSeconds: 60 });
    await waitForPhase(owner, ws, id, "Running");
    await eventually(
      () => transcriptOf(owner, ws, id),
      (messages) =>
        messages.flatMap((m) => m.blocks).filter((b) => b.type === "tool_use" && typeof b.result === "string")
          .length === 80,
      15_000,
    );
    const clients: RoomClient[] = [];
    for (let i = 0; i < 3; i++) {
      const client = (await connectRoom(id, { cookie: owner.cookie })) as RoomClient;
      await client.synced;
      clients.push(client);
    }
    // The third viewer is on a shard (SHARD_AFTER_VIEWERS=2 in the worker project).
    for (const client of [clients[0], clients[2]]) {
      const answer = syncKinds(client.frames).filter(
        (frame) => frame.kind !== syncProtocol.messageYjsSyncStep1,
      );
      expect(answer.length).toBeGreaterThanOrEqual(3);
      for (const frame of answer) expect(frame.bytes).toBeLessThanOrEqual(SYNC_PART_BYTES + 16);
      expect(answer.at(-1)?.kind).toBe(syncProtocol.messageYjsSyncStep2);
      expect(answer.slice(0, -1).every((frame) => frame.kind === syncProtocol.messageYjsUpdate)).toBe(true);
      const results = toolResults(client.doc);
      expect(results).toHaveLength(80);
      expect(results.every((length) => length === 30_000)).toBe(true);
    }
    for (const client of clients) client.close();
  });
});

describe("the whole document kept encoded between joins", () => {
  it("gives a viewer who joins after the transcript changed the document as it is now, the same as GET …/transcript", async () => {
    const owner = await signIn(uniqueName("owner"));
    const ws = await workspaceWith(owner);
    const { id } = await createSession(owner, ws, { prompt: "/long-output 20", timeoutSeconds: 60 });
    await waitForPhase(owner, ws, id, "Running");
    const toolCalls = (messages: Awaited<ReturnType<typeof transcriptOf>>) =>
      messages.flatMap((m) => m.blocks).filter((b) => b.type === "tool_use" && typeof b.result === "string");
    await eventually(
      () => transcriptOf(owner, ws, id),
      (messages) => toolCalls(messages).length === 20,
      15_000,
    );
    const first = (await connectRoom(id, { cookie: owner.cookie })) as RoomClient;
    await first.synced;
    const joined = async () => {
      const client = (await connectRoom(id, { cookie: owner.cookie })) as RoomClient;
      await client.synced;
      client.close();
      return messageList(client.doc).toArray().map(messageJSON);
    };
    // Unchanged since the first join: the kept encoding as it is.
    expect(await joined()).toEqual(await transcriptOf(owner, ws, id));

    // A few more messages (a small share of the kept encoding): they settle once the turn ends, so live
    // maps are deleted and strings inserted after the encoding was kept.
    const before = (await transcriptOf(owner, ws, id)).length;
    await owner.api(`/api/workspaces/${ws}/sessions/${id}/messages`, { body: { text: "/transcript 6" } });
    await eventually(
      () => transcriptOf(owner, ws, id),
      (messages) => messages.length >= before + 7,
      15_000,
    );
    await waitForAgentStatus(owner, ws, id, "idle");
    const now = await transcriptOf(owner, ws, id);
    expect(now.length).toBeGreaterThanOrEqual(before + 7);
    expect(await joined()).toEqual(now);
    // Again: what changed since the kept encoding is itself kept until the next change, then encoded anew.
    expect(await joined()).toEqual(now);
    await owner.api(`/api/workspaces/${ws}/sessions/${id}/messages`, { body: { text: "/transcript 2" } });
    await eventually(
      () => transcriptOf(owner, ws, id),
      (messages) => messages.length >= now.length + 3,
      15_000,
    );
    await waitForAgentStatus(owner, ws, id, "idle");
    const later = await transcriptOf(owner, ws, id);
    expect(await joined()).toEqual(later);
    expect(messageList(first.doc).toArray().map(messageJSON)).toEqual(later);
    first.close();
  });
});
