import type {
  AgentInput,
  AskUserQuestionInput,
  BashInput,
  FileEditInput,
  FileReadInput,
  FileWriteInput,
  GlobInput,
  GrepInput,
  NotebookEditInput,
  TodoWriteInput,
  WebFetchInput,
  WebSearchInput,
} from "@anthropic-ai/claude-agent-sdk/sdk-tools";
import { describe, expect, expectTypeOf, it } from "vitest";
import type { z } from "zod";
import {
  CLAUDE_CODE_WRITING_TOOLS,
  mcpTool,
  planOf,
  shownPath,
  TOOL_INPUT_SCHEMAS,
  toolView,
} from "#lib/claude-tools.ts";

type Reads<Name extends keyof typeof TOOL_INPUT_SCHEMAS> = z.input<(typeof TOOL_INPUT_SCHEMAS)[Name]>;

describe("Claude Code's tool inputs", () => {
  it("reads every input the SDK's types allow (checked by the type-check)", () => {
    expectTypeOf<FileEditInput>().toExtend<Reads<"Edit">>();
    expectTypeOf<FileWriteInput>().toExtend<Reads<"Write">>();
    expectTypeOf<BashInput>().toExtend<Reads<"Bash">>();
    expectTypeOf<FileReadInput>().toExtend<Reads<"Read">>();
    expectTypeOf<GlobInput>().toExtend<Reads<"Glob">>();
    expectTypeOf<GrepInput>().toExtend<Reads<"Grep">>();
    expectTypeOf<WebFetchInput>().toExtend<Reads<"WebFetch">>();
    expectTypeOf<WebSearchInput>().toExtend<Reads<"WebSearch">>();
    expectTypeOf<NotebookEditInput>().toExtend<Reads<"NotebookEdit">>();
    expectTypeOf<AgentInput>().toExtend<Reads<"Agent">>();
    expectTypeOf<TodoWriteInput>().toExtend<Reads<"TodoWrite">>();
    expectTypeOf<AskUserQuestionInput>().toExtend<Reads<"AskUserQuestion">>();
  });

  it("gives Edit, Write and Bash their own blocks", () => {
    const edit = {
      file_path: "/workspace/app/src/app.ts",
      old_string: "'hello'",
      new_string: "'hi'",
    } satisfies FileEditInput;
    expect(toolView("Edit", edit)).toEqual({
      kind: "edit",
      path: "/workspace/app/src/app.ts",
      edits: [{ oldString: "'hello'", newString: "'hi'", replaceAll: false }],
    });
    const write = { file_path: "/workspace/app/notes.md", content: "# Notes\n" } satisfies FileWriteInput;
    expect(toolView("Write", write)).toEqual({
      kind: "write",
      path: write.file_path,
      content: write.content,
    });
    const bash = {
      command: "npm test",
      description: "Run the tests",
      run_in_background: true,
    } satisfies BashInput;
    expect(toolView("Bash", bash)).toEqual({
      kind: "bash",
      command: "npm test",
      description: "Run the tests",
      background: true,
    });
  });

  it("reads an older MultiEdit as one diff of several edits", () => {
    const view = toolView("MultiEdit", {
      file_path: "/a.ts",
      edits: [
        { old_string: "a", new_string: "b" },
        { old_string: "c", new_string: "d", replace_all: true },
      ],
    });
    expect(view).toMatchObject({
      kind: "edit",
      edits: [
        { oldString: "a", replaceAll: false },
        { newString: "d", replaceAll: true },
      ],
    });
  });

  it("sums up reads and searches on one line", () => {
    const read = { file_path: "/workspace/app/src/app.ts", offset: 10, limit: 5 } satisfies FileReadInput;
    expect(toolView("Read", read)).toEqual({
      kind: "compact",
      summary: "app/src/app.ts lines 10–14",
      detail: "",
    });
    expect(toolView("Glob", { pattern: "**/*.ts", path: "src" } satisfies GlobInput)).toMatchObject({
      summary: "**/*.ts in src",
    });
    expect(
      toolView("Grep", { pattern: "greeting", glob: "*.ts", "-i": true } satisfies GrepInput),
    ).toMatchObject({ summary: "greeting  *.ts" });
    expect(
      toolView("WebFetch", { url: "https://example.com/a", prompt: "the title" } satisfies WebFetchInput),
    ).toEqual({
      kind: "compact",
      summary: "https://example.com/a",
      detail: "the title",
    });
    expect(toolView("WebSearch", { query: "svelte 5 runes" } satisfies WebSearchInput)).toMatchObject({
      summary: "svelte 5 runes",
    });
  });

  it("knows a subagent call under its old name and new, and the plan and the question", () => {
    const task = {
      description: "Look around",
      prompt: "List the files",
      subagent_type: "general-purpose",
    } satisfies AgentInput;
    expect(toolView("Agent", task)).toEqual({
      kind: "subagent",
      description: "Look around",
      prompt: "List the files",
      agentType: "general-purpose",
    });
    expect(toolView("Task", task)).toMatchObject({ kind: "subagent" });
    const todos = {
      todos: [{ content: "Fix it", status: "in_progress", activeForm: "Fixing it" }],
    } satisfies TodoWriteInput;
    expect(toolView("TodoWrite", todos)).toEqual({ kind: "plan", todos: todos.todos });
    expect(planOf(todos)).toEqual(todos.todos);
    const asked = {
      questions: [
        {
          question: "Which?",
          header: "Pick",
          multiSelect: false,
          options: [
            { label: "a", description: "A" },
            { label: "b", description: "B" },
          ],
        },
      ],
    } satisfies AskUserQuestionInput;
    expect(toolView("AskUserQuestion", asked)).toMatchObject({
      kind: "question",
      questions: [{ question: "Which?", header: "Pick" }],
    });
  });

  it("falls back to the generic block for unknown tools, today's tools and inputs of the wrong shape", () => {
    expect(toolView("Frobnicate", { x: 1 })).toEqual({ kind: "generic" });
    expect(toolView("bash", { command: "ls" })).toEqual({ kind: "generic" });
    expect(toolView("Edit", { file_path: "/a", old_string: 1 })).toEqual({ kind: "generic" });
    expect(toolView("TodoWrite", { todos: [{ content: "x", status: "someday", activeForm: "x" }] })).toEqual({
      kind: "generic",
    });
    expect(toolView("Bash", null)).toEqual({ kind: "generic" });
    expect(planOf("not a plan")).toBeNull();
  });

  it("names an MCP tool's server", () => {
    expect(mcpTool("mcp__linear__create_issue")).toEqual({ server: "linear", tool: "create_issue" });
    expect(mcpTool("mcp__plugin_documents_docs__doc_export")).toEqual({
      server: "plugin_documents_docs",
      tool: "doc_export",
    });
    expect(mcpTool("Bash")).toBeNull();
    expect(mcpTool("mcp__nothing")).toBeNull();
  });

  it("shows workspace paths relative to the workspace, and knows which tools write", () => {
    expect(shownPath("/workspace/app/src/x.ts")).toBe("app/src/x.ts");
    expect(shownPath("/etc/passwd")).toBe("/etc/passwd");
    expect(CLAUDE_CODE_WRITING_TOOLS).toEqual(expect.arrayContaining(["Bash", "Edit", "Write"]));
  });
});
