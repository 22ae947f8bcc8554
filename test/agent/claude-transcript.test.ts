/**
 * Claude Code's turns as the room sees them, through the real CLI against the fake Messages API: the live
 * transcript (text and thinking as they stream, every tool call with its result, a subagent's calls nested),
 * AskUserQuestion as `waiting_input` answered through the message route, and a message sent mid-tool read
 * with that tool's result.
 */
import { readFile } from "node:fs/promises";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { FromAgentFrame } from "@tandem/protocol/agent";
import { type ClaudeHarness, lastMessage, reply, startClaudeHarness } from "./claude-harness";
import { fake } from "../fakes/anthropic";
import { removeTempDirs } from "./helpers";

let h: ClaudeHarness;
beforeAll(async () => {
  h = await startClaudeHarness("transcript");
});
afterAll(async () => {
  await h.close();
  await removeTempDirs();
});

const ofType = <T extends FromAgentFrame["type"]>(frames: FromAgentFrame[], type: T) =>
  frames.filter((f): f is Extract<FromAgentFrame, { type: T }> => f.type === type);

describe("Claude Code's turn in frames", () => {
  it("streams thinking and text as they arrive, then each tool call and its result; a subagent's calls name their Agent call", async () => {
    const { id, client } = await h.open();
    const workspace = h.host.sessions.get(id)!.workspace;
    const notes = path.join(workspace, "notes.md");
    h.enqueue(
      reply.blocks(
        fake.thinking("Let me think about the plan first.", "sig-1"),
        fake.text("I will look around first.", ["I will ", "look ", "around ", "first."]),
        fake.toolUse("toolu_bash", "Bash", { command: "echo hello from bash", description: "Say hello" }),
      ),
      reply.tool("toolu_write", "Write", { file_path: notes, content: "# Notes\n\nfirst line\n" }),
      reply.tool("toolu_edit", "Edit", {
        file_path: notes,
        old_string: "first line",
        new_string: "edited line",
      }),
      reply.tool("toolu_todo", "TodoWrite", {
        todos: [
          { content: "Read the code", status: "completed", activeForm: "Reading the code" },
          { content: "Fix the bug", status: "in_progress", activeForm: "Fixing the bug" },
        ],
      }),
      reply.tool("toolu_agent", "Agent", {
        description: "List files",
        prompt: "List the files of the workspace",
        subagent_type: "general-purpose",
      }),
      // The subagent's own requests, then the main thread's last one.
      reply.tool("toolu_sub_bash", "Bash", { command: "ls", description: "List files" }),
      reply.text("The workspace holds notes.md."),
      reply.text("Done: notes.md is written and edited."),
    );
    client.send({ type: "user_message", seq: 1, text: "write some notes", author: "alice" });
    await client.waitForStatus("idle", 2);
    expect(client.invalid).toEqual([]);
    expect(client.frames.map((f) => f.seq)).toEqual(client.frames.map((_, i) => i + 1));
    const frames = client.frames;

    // The first response: thinking, then text, as deltas of one message, before its tool call.
    const [first] = ofType(frames, "message_start");
    const thinking = ofType(frames, "thinking_delta").filter((f) => f.id === first.id);
    expect(thinking.map((f) => f.text).join("")).toBe("Let me think about the plan first.");
    expect(thinking.at(-1)?.signature).toBe("sig-1");
    expect(
      ofType(frames, "text_delta")
        .filter((f) => f.id === first.id)
        .map((f) => f.text),
    ).toEqual(["I will ", "look ", "around ", "first."]);
    const bash = ofType(frames, "tool_use").find((f) => f.id === "toolu_bash")!;
    expect(bash).toMatchObject({
      messageId: first.id,
      name: "Bash",
      input: { command: "echo hello from bash" },
    });
    expect(frames.indexOf(bash)).toBeGreaterThan(
      frames.findLastIndex((f) => f.type === "text_delta" && f.id === first.id),
    );
    expect(ofType(frames, "tool_result").find((f) => f.id === "toolu_bash")).toMatchObject({
      output: "hello from bash",
      isError: false,
    });

    // Claude Code's own tools are blocks with their real inputs: an Edit names its old and new text.
    const uses = ofType(frames, "tool_use");
    expect(uses.map((f) => f.name)).toEqual(["Bash", "Write", "Edit", "TodoWrite", "Agent", "Bash"]);
    expect(uses.find((f) => f.name === "Edit")?.input).toMatchObject({
      old_string: "first line",
      new_string: "edited line",
    });
    expect(uses.find((f) => f.name === "TodoWrite")?.input).toMatchObject({
      todos: [{ status: "completed" }, { status: "in_progress" }],
    });
    expect(await readFile(notes, "utf8")).toBe("# Notes\n\nedited line\n");

    // The subagent's call sits in the message of the Agent call that made it.
    const agent = uses.find((f) => f.id === "toolu_agent")!;
    const inner = uses.find((f) => f.id === "toolu_sub_bash")!;
    expect(agent.parentId).toBeUndefined();
    expect(inner).toMatchObject({ parentId: "toolu_agent", messageId: agent.messageId });
    expect(ofType(frames, "tool_result").find((f) => f.id === "toolu_sub_bash")?.output).toContain(
      "notes.md",
    );
    expect(ofType(frames, "tool_result").find((f) => f.id === "toolu_agent")?.output).toContain(
      "The workspace holds notes.md.",
    );
    // Every call got its result; the last text closes the turn.
    expect(new Set(ofType(frames, "tool_result").map((f) => f.id))).toEqual(new Set(uses.map((f) => f.id)));
    const last = ofType(frames, "message_start").at(-1)!;
    expect(client.textOf(last.id)).toBe("Done: notes.md is written and edited.");
    expect(ofType(frames, "status").map((f) => f.state)).toEqual(["idle", "working", "idle"]);
    // One usage frame per model request (the subagent's included), from the gateway's reading of each response.
    const usage = ofType(frames, "usage");
    expect(usage).toHaveLength(8);
    expect(new Set(usage.map((u) => u.requestId)).size).toBe(8);
    expect(
      usage.every(
        (u) => !u.failed && u.model === "claude-haiku-4-5" && u.inputTokens === 25 && u.outputTokens === 10,
      ),
    ).toBe(true);
    expect(frames.findIndex((f) => f.type === "turn_end")).toBeLessThan(
      frames.findLastIndex((f) => f.type === "status"),
    );
    await client.close();
  });

  it("asks through AskUserQuestion (waiting_input, with its options); the next message answers it; a message sent mid-tool is read with that tool's result", async () => {
    const { client } = await h.open();
    const question = {
      question: "Which branch should I use?",
      header: "Branch",
      options: [
        { label: "main", description: "The released line" },
        { label: "dev", description: "Work in progress" },
      ],
      multiSelect: false,
    };
    h.enqueue(
      reply.tool("toolu_ask", "AskUserQuestion", { questions: [question] }),
      reply.tool("toolu_sleep", "Bash", { command: "sleep 1.5; echo slept", description: "Wait a little" }),
      reply.text("Changing course as carol asked."),
    );
    client.send({ type: "user_message", seq: 1, text: "pick a branch, then wait", author: "alice" });
    await client.waitForStatus("waiting_input");
    const [asked] = client.of("question");
    expect(asked).toMatchObject({
      id: "toolu_ask",
      text: "Which branch should I use?",
      questions: [question],
    });
    // A question is not a tool block.
    expect(client.of("tool_use")).toHaveLength(0);
    client.send({ type: "answer", seq: 2, text: "dev", author: "bob" });

    await client.waitFor((f) => f.type === "tool_use" && f.name === "Bash", "the Bash call");
    const answered = lastMessage(h.api.requests.at(-1)!);
    expect(answered).toContain("toolu_ask");
    expect(answered).toContain("Which branch should I use?");
    expect(answered).toMatch(/dev \(answered by bob\)/);
    client.send({ type: "user_message", seq: 3, text: "actually, summarise instead", author: "carol" });
    await client.waitForStatus("idle", 2);

    // The interrupt reached the model with the Bash result, in the same turn.
    const afterTool = lastMessage(h.api.requests.at(-1)!);
    expect(afterTool).toContain("toolu_sleep");
    expect(afterTool).toContain("slept");
    expect(afterTool).toContain("[carol] actually, summarise instead");
    expect(client.of("turn_end")).toHaveLength(1);
    expect(client.of("status").map((f) => f.state)).toEqual([
      "idle",
      "working",
      "waiting_input",
      "working",
      "idle",
    ]);
    expect(client.of("input_consumed").map((f) => f.upTo)).toEqual([1, 2, 3]);
    expect(client.invalid).toEqual([]);
    await client.close();
  });
});
