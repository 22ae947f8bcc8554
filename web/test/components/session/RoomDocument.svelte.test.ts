/**
 * The blocks over a document written by the SessionRoom's own writer (worker/session/transcript-doc.ts) from
 * the agent's frames, as Claude Code's driver sends them.
 */
import type { BashInput, FileEditInput, TodoWriteInput } from "@anthropic-ai/claude-agent-sdk/sdk-tools";
import { afterEach, describe, expect, it } from "vitest";
import * as Y from "yjs";
import type { FromAgentFrame } from "@tandem/protocol/agent";
import { Transcript as RoomWriter } from "../../../../worker/session/transcript-doc";
import { BASH_FAILED, EDIT_DONE } from "../../fixtures/claude-code-results";
import { renderTranscript } from "../../fixtures/render-transcript.svelte";

let cleanup: (() => void) | undefined;
afterEach(() => {
  cleanup?.();
  document.body.innerHTML = "";
});

function written(frames: FromAgentFrame[]): Y.Doc {
  const doc = new Y.Doc();
  const writer = new RoomWriter(doc);
  frames.forEach((frame, i) => writer.applyAgentFrame(frame, 1_000 + i * 500));
  return doc;
}

const edit = {
  file_path: "/workspace/app/src/app.ts",
  old_string: "'hello'",
  new_string: "'hi'",
} satisfies FileEditInput;
const bash = { command: "npm test", description: "Run the tests" } satisfies BashInput;
const plan = {
  todos: [{ content: "Fix the greeting", status: "in_progress", activeForm: "Fixing the greeting" }],
} satisfies TodoWriteInput;

describe("blocks over the room's own document", () => {
  it("shows the Edit's diff, the command's exit state and the pinned plan", () => {
    const doc = written([
      { type: "message_start", seq: 1, id: "msg_1" },
      { type: "tool_use", seq: 2, id: "toolu_plan", messageId: "msg_1", name: "TodoWrite", input: plan },
      { type: "tool_use", seq: 3, id: "toolu_edit", messageId: "msg_1", name: "Edit", input: edit },
      { type: "tool_result", seq: 4, id: "toolu_edit", output: EDIT_DONE, isError: false },
      { type: "tool_use", seq: 5, id: "toolu_bash", messageId: "msg_1", name: "Bash", input: bash },
      { type: "tool_result", seq: 6, id: "toolu_bash", output: BASH_FAILED, isError: true },
    ]);
    const view = renderTranscript(doc);
    cleanup = view.destroy;
    expect(
      [...view.target.querySelectorAll('[data-tool="Edit"] .diff .line')].map((l) =>
        l.textContent?.trimEnd(),
      ),
    ).toEqual(["-'hello'", "+'hi'"]);
    expect(view.target.querySelector('[data-tool="Bash"] .status')?.textContent?.trim()).toBe("exit 3");
    expect(view.target.querySelector('[data-tool="Bash"] .status + .dur')?.textContent).toBe("0.5 s");
    expect(view.target.querySelector(".plan .now")?.textContent).toBe("Fixing the greeting");
  });

  it("nests a subagent's call under its Task from the frames alone", () => {
    const doc = written([
      { type: "message_start", seq: 1, id: "msg_1" },
      {
        type: "tool_use",
        seq: 2,
        id: "toolu_task",
        messageId: "msg_1",
        name: "Agent",
        input: { description: "Look", prompt: "ls" },
      },
      // The driver puts a subagent's calls in the message of the call that started it.
      {
        type: "tool_use",
        seq: 3,
        id: "toolu_in",
        messageId: "msg_1",
        name: "Bash",
        input: bash,
        parentId: "toolu_task",
      },
    ]);
    const view = renderTranscript(doc);
    cleanup = view.destroy;
    expect(
      view.target.querySelector(
        '[data-tool="Agent"] [aria-label="What the subagent did"] [data-tool="Bash"]',
      ),
    ).not.toBeNull();
  });

  it("offers AskUserQuestion's options from the question frame alone", () => {
    const doc = written([
      { type: "message_start", seq: 1, id: "msg_1" },
      {
        type: "question",
        seq: 2,
        id: "toolu_q",
        messageId: "msg_1",
        text: "Which greeting?",
        questions: [
          { question: "Which greeting?", header: "Greeting", options: [{ label: "hi" }, { label: "hello" }] },
        ],
      },
    ]);
    const view = renderTranscript(doc, {
      agentStatus: "waiting_input",
      answerRoute: { wsId: "w", sessionId: "s" },
    });
    cleanup = view.destroy;
    expect(view.target.querySelectorAll(".question button.option")).toHaveLength(2);
  });
});
