import type { AgentInput, BashInput, FileReadInput } from "@anthropic-ai/claude-agent-sdk/sdk-tools";
import { flushSync } from "svelte";
import { afterEach, describe, expect, it } from "vitest";
import * as Y from "yjs";
import { READ_OUTPUT, SUBAGENT_REPORT } from "../../fixtures/claude-code-results";
import { renderTranscript } from "../../fixtures/render-transcript.svelte";
import { addBlocks, addMessage, finishTool, toolCall } from "../../fixtures/transcript-doc";

let cleanup: (() => void) | undefined;
afterEach(() => {
  cleanup?.();
  document.body.innerHTML = "";
});

describe("a subagent's block", () => {
  it("nests the calls made inside a Task, as they arrive, and shows its report when it ends", () => {
    const doc = new Y.Doc();
    const task = {
      description: "Look around",
      prompt: "List the files and read app.ts",
      subagent_type: "general-purpose",
    } satisfies AgentInput;
    const main = addMessage(doc, "assistant", [
      { type: "text", text: "I'll delegate." },
      toolCall("toolu_task", "Task", task),
    ]);
    const view = renderTranscript(doc, { agentStatus: "working" });
    cleanup = view.destroy;
    const block = view.target.querySelector('details[data-tool="Task"]') as HTMLDetailsElement;
    expect(block.open).toBe(true);
    expect(block.querySelector("summary")?.textContent).toContain("Look around");
    expect(block.querySelector("summary .tag")?.textContent).toBe("general-purpose");
    expect(block.querySelector("summary .count")?.textContent).toBe("0 steps");

    // The subagent's own assistant message: the room adds it as the SDK reports it, its calls naming the Task.
    const inner = addMessage(doc, "assistant", [
      toolCall("toolu_sub_1", "Bash", { command: "ls", description: "List files" } satisfies BashInput, {
        parentId: "toolu_task",
      }),
    ]);
    flushSync();
    addBlocks(doc, inner, [
      toolCall("toolu_sub_2", "Read", { file_path: "/workspace/app/app.ts" } satisfies FileReadInput, {
        parentId: "toolu_task",
      }),
    ]);
    finishTool(doc, "toolu_sub_2", READ_OUTPUT);
    addBlocks(doc, main, [toolCall("toolu_after", "Bash", { command: "git status" } satisfies BashInput)]);
    flushSync();

    const steps = block.querySelector('[aria-label="What the subagent did"]')!;
    expect([...steps.querySelectorAll("[data-tool]")].map((el) => el.getAttribute("data-tool"))).toEqual([
      "Bash",
      "Read",
    ]);
    expect(steps.querySelector('[data-tool="Bash"] .command')?.textContent).toBe("$ ls");
    expect(block.querySelector("summary .count")?.textContent).toBe("2 steps");
    // Inner calls are not repeated in the flow, and a message of nothing but inner calls shows no empty bubble.
    const flowTools = [...view.target.querySelectorAll("section.transcript article [data-tool]")].filter(
      (el) => !steps.contains(el),
    );
    expect(flowTools.map((el) => el.getAttribute("data-tool"))).toEqual(["Task", "Bash"]);
    expect(view.target.querySelectorAll("article.msg")).toHaveLength(1);

    finishTool(doc, "toolu_task", SUBAGENT_REPORT);
    flushSync();
    expect(block.querySelector("summary .status")?.textContent?.trim()).toBe("done");
    expect(block.querySelector(".md")?.textContent?.trim()).toBe("sub done");
  });

  it("nests under Claude Code's Agent tool too, and a finished subagent waits closed", () => {
    const doc = new Y.Doc();
    const task = { description: "Research", prompt: "Find it" } satisfies AgentInput;
    addMessage(doc, "assistant", [
      { ...toolCall("a1", "Agent", task), status: "done", result: SUBAGENT_REPORT, endedAt: 9_000 },
      toolCall("s1", "Bash", { command: "rg TODO" } satisfies BashInput, { parentId: "a1" }),
    ]);
    const view = renderTranscript(doc);
    cleanup = view.destroy;
    const block = view.target.querySelector('details[data-tool="Agent"]') as HTMLDetailsElement;
    expect(block.open).toBe(false);
    expect(block.querySelector('[aria-label="What the subagent did"] [data-tool="Bash"]')).not.toBeNull();
    expect(view.target.querySelectorAll("section.transcript [data-tool='Bash']")).toHaveLength(1);
  });
});
