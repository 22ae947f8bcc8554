import * as Y from "yjs";
import { describe, expect, it } from "vitest";
import { encodeStateAsUpdateParts, splitUpdate } from "../../worker/viewers/update-parts";

/** A transcript-shaped document: messages with streamed text, long results, edits and deletions, two writers. */
function transcriptDoc(messages: number): Y.Doc {
  const doc = new Y.Doc();
  const list = doc.getArray<Y.Map<unknown>>("messages");
  for (let i = 0; i < messages; i++) {
    const message = new Y.Map<unknown>();
    list.push([message]);
    message.set("id", `m${i}`);
    const blocks = new Y.Array<Y.Map<unknown>>();
    message.set("blocks", blocks);
    const block = new Y.Map<unknown>();
    blocks.push([block]);
    const text = new Y.Text();
    block.set("text", text);
    for (let k = 0; k < 20; k++) text.insert(text.length, `token${k} `);
    block.set("result", `${i}`.padEnd(3_000, "x"));
    if (i % 7 === 0) text.delete(0, 3);
    if (i % 11 === 0) message.set("role", "system");
  }
  const other = new Y.Doc();
  Y.applyUpdate(other, Y.encodeStateAsUpdate(doc));
  other.getArray("messages").insert(5, ["from another writer"]);
  Y.applyUpdate(doc, Y.encodeStateAsUpdate(other));
  list.delete(10, 3);
  return doc;
}

const json = (doc: Y.Doc) => JSON.stringify(doc.getArray("messages").toJSON());

describe("splitUpdate", () => {
  it("leaves an update under the limit whole", () => {
    const update = Y.encodeStateAsUpdate(transcriptDoc(20));
    expect(splitUpdate(update, 1_000_000)).toEqual([update]);
  });

  it("splits a large state into updates under the limit that rebuild the same document, in order or not", () => {
    const doc = transcriptDoc(600);
    const update = Y.encodeStateAsUpdate(doc);
    const parts = splitUpdate(update, 200_000);
    expect(update.byteLength).toBeGreaterThan(1_500_000);
    expect(parts.length).toBeGreaterThanOrEqual(8);
    for (const part of parts) expect(part.byteLength).toBeLessThanOrEqual(200_000);
    const rebuilt = new Y.Doc();
    for (const part of parts) Y.applyUpdate(rebuilt, part);
    expect(json(rebuilt)).toBe(json(doc));
    expect(rebuilt.store.pendingStructs).toBeNull();
    expect(rebuilt.store.pendingDs).toBeNull();
    const reversed = new Y.Doc();
    for (const part of [...parts].reverse()) Y.applyUpdate(reversed, part);
    expect(json(reversed)).toBe(json(doc));
  });

  it("splits a diff against a state vector the same way", () => {
    const doc = transcriptDoc(400);
    const half = new Y.Doc();
    Y.applyUpdate(half, splitUpdate(Y.encodeStateAsUpdate(doc), 300_000)[0]);
    for (const part of splitUpdate(Y.encodeStateAsUpdate(doc, Y.encodeStateVector(half)), 100_000))
      Y.applyUpdate(half, part);
    expect(json(half)).toBe(json(doc));
  });

  it("encodes a document, or what a state vector lacks, in parts read straight from its store", () => {
    const doc = transcriptDoc(600);
    const everything = Y.encodeStateVector(new Y.Doc());
    const parts = encodeStateAsUpdateParts(doc, everything, 200_000);
    expect(parts.length).toBeGreaterThanOrEqual(8);
    for (const part of parts) expect(part.byteLength).toBeLessThanOrEqual(200_000);
    const rebuilt = new Y.Doc();
    for (const part of parts) Y.applyUpdate(rebuilt, part);
    expect(json(rebuilt)).toBe(json(doc));
    expect(Y.encodeStateVector(rebuilt)).toEqual(Y.encodeStateVector(doc));
    // What a client halfway lacks, including a cut in the middle of a merged struct.
    const half = new Y.Doc();
    Y.applyUpdate(half, parts[0]);
    Y.applyUpdate(half, parts[1]);
    for (const part of encodeStateAsUpdateParts(doc, Y.encodeStateVector(half), 50_000))
      Y.applyUpdate(half, part);
    expect(json(half)).toBe(json(doc));
    expect(encodeStateAsUpdateParts(doc, Y.encodeStateVector(doc), 50_000)).toHaveLength(1);
    // Small enough: one part, byte for byte what Yjs encodes.
    const small = transcriptDoc(20);
    expect(encodeStateAsUpdateParts(small, everything, 1_000_000)).toEqual([Y.encodeStateAsUpdate(small)]);
  });
});
