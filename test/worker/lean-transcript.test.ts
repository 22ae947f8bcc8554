/**
 * The lean transcript document (issue 24): a message is live while it can change and one settled value
 * once it cannot; a room written before is migrated on first load, the same in what people see.
 */
import { describe, expect, it } from "vitest";
import * as Y from "yjs";
import {
  isSettled,
  messageList,
  settledMessage,
  SETTLED_MESSAGE_MAX_BYTES,
} from "../../worker/protocol/transcript";
import { MAX_TOOL_RESULT_CHARS, Transcript, transcriptToJSON } from "../../worker/session/transcript-doc";
import recordedBase64 from "../fixtures/transcript-v1/document.base64?raw";
import recordedText from "../fixtures/transcript-v1/transcript.json?raw";
import { writeSession } from "../fixtures/transcript-v1/session";

const recordedDocument = () => Uint8Array.from(atob(recordedBase64.trim()), (c) => c.charCodeAt(0));
const recordedJSON = () => recordedText;
const asServed = (doc: Y.Doc) => `${JSON.stringify(transcriptToJSON(doc), null, 2)}\n`;
/**
 * What the writer serves, less what it has written since the recording: thinking's start and end (issue
 * 25, "Thought for N s"). Everything else is still byte for byte what it wrote before issue 24.
 */
const asServedThen = (doc: Y.Doc) =>
  `${JSON.stringify(
    transcriptToJSON(doc).map((m) => ({
      ...m,
      blocks: m.blocks.map((b) => {
        if (b.type !== "thinking") return b;
        const { startedAt: _started, endedAt: _ended, ...then } = b;
        return then;
      }),
    })),
    null,
    2,
  )}\n`;
/** A late joiner's copy: the whole state as a sync sends it. */
const joined = (doc: Y.Doc) => {
  const copy = new Y.Doc();
  Y.applyUpdate(copy, Y.encodeStateAsUpdate(doc));
  return copy;
};
const structs = (doc: Y.Doc) => Y.decodeUpdate(Y.encodeStateAsUpdate(doc)).structs.length;
const settledIds = (doc: Y.Doc) =>
  messageList(doc)
    .toArray()
    .filter(isSettled)
    .map((m) => settledMessage(m).id);

describe("a room written before issue 24", () => {
  it("is migrated in place on first load, the same JSON byte for byte, the streaming message left live", () => {
    const doc = new Y.Doc({ gc: true });
    Y.applyUpdate(doc, recordedDocument());
    expect(settledIds(doc)).toEqual([]);
    expect(asServed(doc)).toBe(recordedJSON());
    const before = structs(doc);

    new Transcript(doc);
    expect(settledIds(doc)).toEqual(["p1", "a1", "a2", "p2", "a4", "error-31", "lost-1"]);
    // Over the settled bound (a3: a 64 Ki tool output), still queued (p3), still streaming (a5): live.
    expect(
      messageList(doc)
        .toArray()
        .filter((m) => !isSettled(m))
        .map((m) => (m as Y.Map<unknown>).get("id")),
    ).toEqual(["a3", "p3", "a5"]);
    expect(asServed(doc)).toBe(recordedJSON());
    expect(asServed(joined(doc))).toBe(recordedJSON());
    expect(structs(joined(doc))).toBeLessThan(before / 2);
  });

  it("goes on streaming after the migration, and a second load changes nothing", () => {
    const doc = new Y.Doc({ gc: true });
    Y.applyUpdate(doc, recordedDocument());
    const transcript = new Transcript(doc);
    transcript.applyAgentFrame({ type: "text_delta", seq: 100, id: "a5", text: " and done." }, 1);
    transcript.markConsumed(3);
    transcript.applyAgentFrame({ type: "turn_end", seq: 101 }, 2);
    const json = transcriptToJSON(doc);
    expect(json.at(-1)?.blocks).toEqual([{ type: "text", text: "Still streaming and done." }]);
    expect(json.find((m) => m.id === "p3")?.queued).toBe(false);
    expect(settledIds(doc)).toHaveLength(9);

    let updates = 0;
    doc.on("update", () => updates++);
    new Transcript(doc);
    expect(updates).toBe(0);
  });
});

describe("a room the first lean writer wrote (settled messages as Yjs objects)", () => {
  it("is rewritten on load with each settled message as its JSON string, the same JSON byte for byte", () => {
    const doc = new Y.Doc({ gc: true });
    writeSession(new Transcript(doc, { settle: "objects" }));
    const objects = messageList(doc).toArray().filter(isSettled);
    expect(objects.length).toBeGreaterThan(0);
    expect(objects.every((m) => typeof m === "object")).toBe(true);
    expect(asServedThen(doc)).toBe(recordedJSON());

    new Transcript(doc);
    const settled = messageList(doc).toArray().filter(isSettled);
    expect(settled).toHaveLength(objects.length);
    expect(settled.every((m) => typeof m === "string")).toBe(true);
    expect(asServedThen(doc)).toBe(recordedJSON());
    expect(asServedThen(joined(doc))).toBe(recordedJSON());

    let updates = 0;
    doc.on("update", () => updates++);
    new Transcript(doc);
    expect(updates).toBe(0);
  });
});

describe("the writer", () => {
  it("stores a settled message as one string, its JSON, which a late joiner decodes as one value", () => {
    const doc = new Y.Doc({ gc: true });
    writeSession(new Transcript(doc));
    const settled = messageList(joined(doc)).toArray().filter(isSettled);
    expect(settled.length).toBeGreaterThan(0);
    for (const entry of settled) {
      expect(typeof entry).toBe("string");
      expect(JSON.parse(entry as string)).toEqual(settledMessage(entry));
    }
  });

  it("writes what it wrote before issue 24, byte for byte in GET …/transcript", () => {
    const doc = new Y.Doc({ gc: true });
    writeSession(new Transcript(doc));
    expect(asServedThen(doc)).toBe(recordedJSON());
    expect(asServedThen(joined(doc))).toBe(recordedJSON());
  });

  it('times thinking: from its first delta to the next block (the web\'s "Thought for N s")', () => {
    const doc = new Y.Doc({ gc: true });
    const transcript = new Transcript(doc);
    transcript.applyAgentFrame({ type: "message_start", seq: 1, id: "m1" }, 1_000);
    transcript.applyAgentFrame({ type: "thinking_delta", seq: 2, id: "m1", text: "Let me " }, 1_000);
    transcript.applyAgentFrame({ type: "thinking_delta", seq: 3, id: "m1", text: "see." }, 4_000);
    transcript.applyAgentFrame({ type: "text_delta", seq: 4, id: "m1", text: "Done." }, 7_200);
    transcript.applyAgentFrame({ type: "thinking_delta", seq: 5, id: "m1", text: "Again." }, 8_000);
    transcript.applyAgentFrame(
      { type: "tool_use", seq: 6, id: "t1", messageId: "m1", name: "Bash", input: { command: "ls" } },
      9_500,
    );
    const thinking = transcriptToJSON(doc)[0].blocks.filter((b) => b.type === "thinking");
    expect(thinking).toEqual([
      { type: "thinking", text: "Let me see.", startedAt: 1_000, endedAt: 7_200 },
      { type: "thinking", text: "Again.", startedAt: 8_000, endedAt: 9_500 },
    ]);
  });

  it("sends a streaming message's new characters only, and settles it into one value when the agent moves on", () => {
    const doc = new Y.Doc({ gc: true });
    const transcript = new Transcript(doc);
    transcript.applyAgentFrame({ type: "message_start", seq: 1, id: "m1" }, 0);
    transcript.applyAgentFrame({ type: "text_delta", seq: 2, id: "m1", text: "Hello" }, 0);
    const sizes: number[] = [];
    doc.on("update", (update: Uint8Array) => sizes.push(update.length));
    transcript.applyAgentFrame({ type: "text_delta", seq: 3, id: "m1", text: " world" }, 0);
    expect(sizes).toHaveLength(1);
    expect(sizes[0]).toBeLessThan(40);
    expect(settledIds(doc)).toEqual([]);

    transcript.applyAgentFrame({ type: "message_start", seq: 4, id: "m2" }, 0);
    expect(settledIds(doc)).toEqual(["m1"]);
    expect(transcriptToJSON(doc)[0]).toEqual({
      id: "m1",
      role: "assistant",
      author: "agent",
      createdAt: 0,
      blocks: [{ type: "text", text: "Hello world" }],
    });
  });

  it("keeps a message with a running tool live until its result, and reopens a settled one a late frame names", () => {
    const doc = new Y.Doc({ gc: true });
    const transcript = new Transcript(doc);
    transcript.applyAgentFrame({ type: "message_start", seq: 1, id: "m1" }, 0);
    transcript.applyAgentFrame(
      { type: "tool_use", seq: 2, id: "task", messageId: "m1", name: "Task", input: { prompt: "look" } },
      1,
    );
    transcript.applyAgentFrame({ type: "message_start", seq: 3, id: "m2" }, 2);
    transcript.applyAgentFrame(
      { type: "tool_use", seq: 4, id: "read", messageId: "m2", name: "Read", input: {}, parentId: "task" },
      3,
    );
    transcript.applyAgentFrame(
      { type: "tool_result", seq: 5, id: "read", output: "text", isError: false },
      4,
    );
    expect(settledIds(doc)).toEqual([]);
    transcript.applyAgentFrame(
      { type: "tool_result", seq: 6, id: "task", output: "found", isError: false },
      5,
    );
    expect(settledIds(doc)).toEqual(["m1"]);
    transcript.applyAgentFrame({ type: "turn_end", seq: 7 }, 6);
    expect(settledIds(doc)).toEqual(["m1", "m2"]);

    // A replayed frame after a restart names a settled message: it reopens, takes the change, settles again.
    transcript.applyAgentFrame(
      { type: "tool_result", seq: 6, id: "task", output: "found again", isError: false },
      7,
    );
    transcript.applyAgentFrame({ type: "text_delta", seq: 8, id: "m2", text: "more" }, 8);
    expect(settledIds(doc)).toEqual(["m1"]);
    transcript.applyAgentFrame({ type: "turn_end", seq: 9 }, 9);
    expect(settledIds(doc)).toEqual(["m1", "m2"]);
    const [m1, m2] = transcriptToJSON(joined(doc));
    expect(m1.blocks[0]).toMatchObject({
      type: "tool_use",
      id: "task",
      result: "found again",
      status: "done",
      endedAt: 7,
    });
    expect(m2.blocks.map((b) => b.type)).toEqual(["tool_use", "text"]);
  });

  it("keeps a message with a pending approval live; decided, it settles and the approval still answers", () => {
    const doc = new Y.Doc({ gc: true });
    const transcript = new Transcript(doc);
    transcript.applyAgentFrame({ type: "message_start", seq: 1, id: "m1" }, 0);
    transcript.applyAgentFrame(
      {
        type: "approval",
        seq: 2,
        id: "ap1",
        messageId: "m1",
        kind: "tool",
        tool: "Bash",
        input: { command: "rm -rf build" },
      },
      1,
    );
    transcript.applyAgentFrame({ type: "message_start", seq: 3, id: "m2" }, 2);
    transcript.applyAgentFrame({ type: "turn_end", seq: 4 }, 3);
    expect(settledIds(doc)).toEqual(["m2"]);
    expect(transcript.awaitingDecision).toBe(true);
    transcript.decideApproval("ap1", { decision: "allow", by: "Ada", at: 4 });
    expect(settledIds(doc)).toEqual(["m1", "m2"]);
    expect(transcript.approval("ap1")).toEqual({ status: "allowed", kind: "tool" });
    expect(transcript.awaitingDecision).toBe(false);
    expect(transcriptToJSON(joined(doc))[0].blocks[0]).toMatchObject({
      type: "approval",
      status: "allowed",
      decidedBy: "Ada",
    });
    // A replayed approval frame after a restart does not add it twice.
    transcript.applyAgentFrame(
      { type: "approval", seq: 2, id: "ap1", messageId: "m1", kind: "tool", tool: "Bash", input: {} },
      5,
    );
    expect(transcriptToJSON(doc)[0].blocks).toHaveLength(1);
  });

  it("keeps a running setup's message live as its output streams, and settles it when the setup ends", () => {
    const doc = new Y.Doc({ gc: true });
    const transcript = new Transcript(doc);
    transcript.applyAgentFrame({ type: "setup_start", seq: 1, id: "setup-1", source: "environment" }, 0);
    transcript.applyAgentFrame(
      { type: "setup_output", seq: 2, id: "setup-1", text: "added 12 packages\n" },
      1,
    );
    transcript.applyAgentFrame({ type: "message_start", seq: 3, id: "m1" }, 2);
    expect(settledIds(doc)).toEqual([]);
    transcript.applyAgentFrame({ type: "setup_output", seq: 4, id: "setup-1", text: "done\n" }, 3);
    transcript.applyAgentFrame({ type: "setup_end", seq: 5, id: "setup-1", status: "done", exitCode: 0 }, 4);
    expect(settledIds(doc)).toEqual(["setup-1"]);
    expect(transcriptToJSON(joined(doc))[0].blocks[0]).toMatchObject({
      type: "setup",
      text: "added 12 packages\ndone\n",
      status: "done",
      exitCode: 0,
    });
  });

  it("keeps a message over 16 KiB live: its long output is not sent to every viewer a second time", () => {
    const doc = new Y.Doc({ gc: true });
    const transcript = new Transcript(doc);
    transcript.applyAgentFrame({ type: "message_start", seq: 1, id: "big" }, 0);
    for (let i = 0; i < 1; i++) {
      transcript.applyAgentFrame(
        { type: "tool_use", seq: 2 + 2 * i, id: `t${i}`, messageId: "big", name: "Bash", input: {} },
        0,
      );
      transcript.applyAgentFrame(
        {
          type: "tool_result",
          seq: 3 + 2 * i,
          id: `t${i}`,
          output: "é".repeat(MAX_TOOL_RESULT_CHARS),
          isError: false,
        },
        0,
      );
    }
    const sent: number[] = [];
    doc.on("update", (update: Uint8Array) => sent.push(update.length));
    transcript.applyAgentFrame({ type: "message_start", seq: 20, id: "next" }, 0);
    transcript.applyAgentFrame({ type: "turn_end", seq: 21 }, 0);
    expect(settledIds(doc)).toEqual(["next"]);
    expect(Math.max(...sent)).toBeLessThan(SETTLED_MESSAGE_MAX_BYTES);
    expect(transcriptToJSON(doc)[0].blocks[0]).toMatchObject({ type: "tool_use", status: "done" });
  });

  it("leaves three structs a message once settled (issue 24: 17.7 before)", () => {
    const doc = new Y.Doc({ gc: true });
    const transcript = new Transcript(doc);
    let seq = 0;
    for (let i = 0; i < 300; i++) {
      const id = `m${i}`;
      transcript.applyAgentFrame({ type: "message_start", seq: ++seq, id }, i);
      transcript.applyAgentFrame({ type: "thinking_delta", seq: ++seq, id, text: `thinking ${i}` }, i);
      for (let d = 0; d < 4; d++)
        transcript.applyAgentFrame({ type: "text_delta", seq: ++seq, id, text: `part ${d} ` }, i);
      if (i % 3 === 0) {
        transcript.applyAgentFrame(
          {
            type: "tool_use",
            seq: ++seq,
            id: `tool-${i}`,
            messageId: id,
            name: "Bash",
            input: { command: "ls" },
          },
          i,
        );
        transcript.applyAgentFrame(
          { type: "tool_result", seq: ++seq, id: `tool-${i}`, output: "a\nb", isError: false },
          i,
        );
      }
    }
    transcript.applyAgentFrame({ type: "turn_end", seq: ++seq }, 0);
    expect(settledIds(doc)).toHaveLength(300);
    // The live Y.Map's place in the array (deleted), its contents collected into one range, the value.
    expect(structs(joined(doc)) / 300).toBeLessThanOrEqual(3);
  });
});
