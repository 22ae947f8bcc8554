import type { AgentInput, TodoWriteInput } from "@anthropic-ai/claude-agent-sdk/sdk-tools";
import { describe, expect, it } from "vitest";
import * as Y from "yjs";
import { readOutline } from "#lib/transcript-outline.ts";
import { messageEntries, messageList, str, type TranscriptNode } from "#lib/transcript.ts";
import { addMessage, finished, question, settle, toolCall } from "./fixtures/transcript-doc";

const task = {
  description: "Look around",
  prompt: "List the files",
  subagent_type: "general-purpose",
} satisfies AgentInput;
const plan = (status: "pending" | "in_progress" | "completed") =>
  ({ todos: [{ content: "Fix it", status, activeForm: "Fixing it" }] }) satisfies TodoWriteInput;

const outlineOf = (doc: Y.Doc) => readOutline(messageEntries(messageList(doc)));
const ids = (blocks: TranscriptNode[] | undefined) => (blocks ?? []).map((b) => str(b, "id"));

describe("the transcript's outline", () => {
  it("nests a subagent's calls under its call, in any later message, and leaves them out of the flow", () => {
    const doc = new Y.Doc();
    addMessage(doc, "assistant", [
      toolCall("task1", "Agent", task),
      toolCall("in1", "Bash", { command: "ls" }, { parentId: "task1" }),
    ]);
    addMessage(doc, "assistant", [
      toolCall("in2", "Read", { file_path: "/a" }, { parentId: "task1" }),
      toolCall("top", "Bash", { command: "pwd" }),
    ]);
    const outline = outlineOf(doc);
    expect(ids(outline.nested.get("task1"))).toEqual(["in1", "in2"]);
    expect([...outline.hidden].map((b) => str(b, "id")).sort()).toEqual(["in1", "in2"]);
  });

  it("reads settled messages as it reads live ones: a subagent's calls nest under a settled call", () => {
    const doc = new Y.Doc();
    const first = addMessage(doc, "assistant", [
      toolCall("task1", "Agent", task),
      toolCall("in1", "Bash", { command: "ls" }, { parentId: "task1" }),
    ]);
    const second = addMessage(doc, "assistant", [
      toolCall("in2", "Read", { file_path: "/a" }, { parentId: "task1" }),
      toolCall("todo", "TodoWrite", plan("pending")),
    ]);
    const live = outlineOf(doc);
    // Read now: a live block's Y.Map reads as empty once it is replaced.
    const [liveNested, livePlan] = [ids(live.nested.get("task1")), live.plan];
    settle(doc, first);
    settle(doc, second);
    const settled = outlineOf(doc);
    expect(
      messageList(doc)
        .toArray()
        .every((m) => !(m instanceof Y.Map)),
    ).toBe(true);
    expect(ids(settled.nested.get("task1"))).toEqual(liveNested);
    expect(liveNested).toEqual(["in1", "in2"]);
    expect([...settled.hidden].map((b) => str(b, "id")).sort()).toEqual(["in1", "in2", "todo"]);
    expect(settled.plan).toEqual(livePlan);
  });

  it("nests only under a subagent call seen before, so no cycle and no unknown parent hides a block", () => {
    const doc = new Y.Doc();
    addMessage(doc, "assistant", [
      toolCall("a", "Agent", task, { parentId: "b" }),
      toolCall("b", "Agent", task, { parentId: "a" }),
      toolCall("self", "Agent", task, { parentId: "self" }),
      toolCall("orphan", "Bash", { command: "ls" }, { parentId: "nowhere" }),
      toolCall("notsub", "Bash", { command: "ls" }, { parentId: "orphan" }),
    ]);
    const outline = outlineOf(doc);
    expect(ids(outline.nested.get("a"))).toEqual(["b"]);
    expect(ids(outline.nested.get("b"))).toEqual([]);
    expect([...outline.hidden].map((b) => str(b, "id"))).toEqual(["b"]);
  });

  it("pins the latest plan of the agent itself, not a subagent's or a refused one", () => {
    const doc = new Y.Doc();
    addMessage(doc, "assistant", [toolCall("t1", "TodoWrite", plan("pending"))]);
    expect(outlineOf(doc).plan?.[0].status).toBe("pending");
    addMessage(doc, "assistant", [finished(toolCall("t2", "TodoWrite", plan("in_progress")), "ok")]);
    expect(outlineOf(doc).plan?.[0].status).toBe("in_progress");
    addMessage(doc, "assistant", [
      toolCall("task1", "Agent", task),
      toolCall("t3", "TodoWrite", plan("completed"), { parentId: "task1" }),
      finished(
        toolCall("t4", "TodoWrite", plan("completed")),
        "<tool_use_error>Error: No such tool available: TodoWrite.</tool_use_error>",
        true,
      ),
    ]);
    const outline = outlineOf(doc);
    expect(outline.plan?.[0].status).toBe("in_progress");
    expect([...outline.hidden].map((b) => str(b, "id"))).toEqual(
      expect.arrayContaining(["t1", "t2", "t3", "t4"]),
    );
  });

  it("leaves out AskUserQuestion's call when its question block shows it, and finds the last question", () => {
    const doc = new Y.Doc();
    const asked = {
      questions: [
        {
          question: "Which?",
          header: "Pick",
          multiSelect: false,
          options: [{ label: "a", description: "" }],
        },
      ],
    };
    addMessage(doc, "assistant", [
      toolCall("q0", "AskUserQuestion", asked),
      question("q0", "Which?", asked.questions),
    ]);
    addMessage(doc, "assistant", [toolCall("q1", "AskUserQuestion", asked)]);
    const outline = outlineOf(doc);
    expect([...outline.hidden].map((b) => str(b, "id"))).toEqual(["q0"]);
    expect(outline.lastQuestion && str(outline.lastQuestion, "type")).toBe("question");
    expect(str(outline.tools.get("q0")!, "name")).toBe("AskUserQuestion");
  });
});
