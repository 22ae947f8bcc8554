import type { TodoWriteInput } from "@anthropic-ai/claude-agent-sdk/sdk-tools";
import { flushSync } from "svelte";
import { afterEach, describe, expect, it } from "vitest";
import * as Y from "yjs";
import { TODO_DONE } from "../../fixtures/claude-code-results";
import { renderTranscript } from "../../fixtures/render-transcript.svelte";
import { addBlocks, addMessage, finishTool, toolCall } from "../../fixtures/transcript-doc";

let cleanup: (() => void) | undefined;
afterEach(() => {
  cleanup?.();
  document.body.innerHTML = "";
});

const items = (root: Element) =>
  [...root.querySelectorAll(".plan li")].map(
    (li) => `${li.className.split(" ")[0]}: ${li.querySelector(".what")?.textContent}`,
  );

describe("the pinned plan", () => {
  it("pins the latest TodoWrite above the transcript and follows the next one live, never as a block in the flow", () => {
    const doc = new Y.Doc();
    const first = {
      todos: [
        { content: "Read the code", status: "in_progress", activeForm: "Reading the code" },
        { content: "Fix the bug", status: "pending", activeForm: "Fixing the bug" },
      ],
    } satisfies TodoWriteInput;
    const message = addMessage(doc, "assistant", [
      { type: "text", text: "Let me plan." },
      toolCall("t1", "TodoWrite", first),
    ]);
    const view = renderTranscript(doc, { agentStatus: "working" });
    cleanup = view.destroy;

    const plan = view.target.querySelector(".plan")!;
    // Above the transcript, not inside it.
    expect(
      plan.compareDocumentPosition(view.target.querySelector("section.transcript")!) &
        Node.DOCUMENT_POSITION_FOLLOWING,
    ).toBeTruthy();
    expect(
      view.target.querySelector("section.transcript .plan, section.transcript [data-tool='TodoWrite']"),
    ).toBeNull();
    expect(items(plan)).toEqual(["in_progress: Reading the code", "pending: Fix the bug"]);
    expect(plan.querySelector("summary")?.textContent).toContain("0 of 2 done");
    expect(plan.querySelector(".now")?.textContent).toBe("Reading the code");

    finishTool(doc, "t1", TODO_DONE);
    const second = {
      todos: [
        { content: "Read the code", status: "completed", activeForm: "Reading the code" },
        { content: "Fix the bug", status: "in_progress", activeForm: "Fixing the bug" },
      ],
    } satisfies TodoWriteInput;
    addBlocks(doc, message, [toolCall("t2", "TodoWrite", second)]);
    flushSync();
    const updated = view.target.querySelector(".plan")!;
    expect(items(updated)).toEqual(["completed: Read the code", "in_progress: Fixing the bug"]);
    expect(updated.querySelector("summary")?.textContent).toContain("1 of 2 done");
    expect(updated.textContent).toContain("(done)");
    // The message keeps its text and shows no TodoWrite block.
    expect(view.target.querySelector('[data-role="assistant"]')?.textContent).toContain("Let me plan.");
  });

  it("shows no plan until the agent writes one, and keeps the last good one when a TodoWrite is refused", () => {
    const doc = new Y.Doc();
    addMessage(doc, "assistant", [{ type: "text", text: "hi" }]);
    const view = renderTranscript(doc);
    cleanup = view.destroy;
    expect(view.target.querySelector(".plan")).toBeNull();
    const todos = {
      todos: [{ content: "Ship", status: "pending", activeForm: "Shipping" }],
    } satisfies TodoWriteInput;
    addMessage(doc, "assistant", [toolCall("t1", "TodoWrite", todos)]);
    flushSync();
    expect(items(view.target)).toEqual(["pending: Ship"]);
    addMessage(doc, "assistant", [
      toolCall("t2", "TodoWrite", { todos: [{ content: "Other", status: "completed", activeForm: "x" }] }),
    ]);
    finishTool(doc, "t2", "<tool_use_error>Error: No such tool available: TodoWrite.</tool_use_error>", true);
    flushSync();
    expect(items(view.target)).toEqual(["pending: Ship"]);
    // A message holding only plan updates is not an empty bubble in the flow.
    expect(view.target.querySelectorAll("article.msg")).toHaveLength(1);
  });
});
