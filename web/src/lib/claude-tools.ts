/**
 * Claude Code's tool calls as the transcript shows them: which block a call gets, read from its name and
 * its input. The input is the agent's (untrusted), so each shape is a zod schema, and a call whose input
 * does not fit falls back to the generic block. The shapes are the Claude Agent SDK's own
 * (`@anthropic-ai/claude-agent-sdk/sdk-tools`); web/test/claude-tools.test.ts checks that every input the
 * SDK's types allow is read.
 */
import { z } from "zod";
import { AskedQuestionSchema, type AskedQuestion } from "@tandem/protocol/agent";

const EditSchema = z.object({
  file_path: z.string(),
  old_string: z.string(),
  new_string: z.string(),
  replace_all: z.boolean().optional(),
});
/**
 * MultiEdit is not a tool of the Claude Code the SDK brings now (its BUILTIN_TOOL_NAMES has none); older
 * versions had it, with Edit's fields for each edit, and transcripts written by them still show it.
 */
const MultiEditSchema = z.object({
  file_path: z.string(),
  edits: z.array(EditSchema.omit({ file_path: true })).min(1),
});
const WriteSchema = z.object({ file_path: z.string(), content: z.string() });
const BashSchema = z.object({
  command: z.string(),
  description: z.string().optional(),
  timeout: z.number().optional(),
  run_in_background: z.boolean().optional(),
});
const ReadSchema = z.object({
  file_path: z.string(),
  offset: z.number().optional(),
  limit: z.number().optional(),
  pages: z.string().optional(),
});
const GlobSchema = z.object({ pattern: z.string(), path: z.string().optional() });
const GrepSchema = z.object({
  pattern: z.string(),
  path: z.string().optional(),
  glob: z.string().optional(),
  type: z.string().optional(),
});
const WebFetchSchema = z.object({ url: z.string(), prompt: z.string().optional() });
const WebSearchSchema = z.object({ query: z.string() });
const NotebookEditSchema = z.object({
  notebook_path: z.string(),
  new_source: z.string(),
  cell_id: z.string().optional(),
  edit_mode: z.string().optional(),
});
const SubagentSchema = z.object({
  description: z.string(),
  prompt: z.string(),
  subagent_type: z.string().optional(),
});
export const TODO_STATUSES = ["pending", "in_progress", "completed"] as const;
const TodoSchema = z.object({ content: z.string(), status: z.enum(TODO_STATUSES), activeForm: z.string() });
const TodoWriteSchema = z.object({ todos: z.array(TodoSchema) });
const AskUserQuestionSchema = z.object({ questions: z.array(AskedQuestionSchema).min(1) });

/** The schemas by tool, exported for the test that holds them to the SDK's types. */
export const TOOL_INPUT_SCHEMAS = {
  Edit: EditSchema,
  MultiEdit: MultiEditSchema,
  Write: WriteSchema,
  Bash: BashSchema,
  Read: ReadSchema,
  Glob: GlobSchema,
  Grep: GrepSchema,
  WebFetch: WebFetchSchema,
  WebSearch: WebSearchSchema,
  NotebookEdit: NotebookEditSchema,
  Agent: SubagentSchema,
  TodoWrite: TodoWriteSchema,
  AskUserQuestion: AskUserQuestionSchema,
} as const;

/** Claude Code's subagent tool: "Agent" now, "Task" in older versions (and in the SDK's init message). */
export const SUBAGENT_TOOLS: ReadonlySet<string> = new Set(["Agent", "Task"]);
export const PLAN_TOOL = "TodoWrite";
export const QUESTION_TOOL = "AskUserQuestion";
/** Claude Code's tools after which the workspace may have changed (the Changes panel fetches again). */
export const CLAUDE_CODE_WRITING_TOOLS: readonly string[] = [
  "Bash",
  "Edit",
  "MultiEdit",
  "Write",
  "NotebookEdit",
];

export type Todo = z.infer<typeof TodoSchema>;
export interface FileEdit {
  oldString: string;
  newString: string;
  replaceAll: boolean;
}

/** What a tool call is, for the block that shows it. */
export type ToolView =
  | { kind: "edit"; path: string; edits: FileEdit[] }
  | { kind: "write"; path: string; content: string }
  | { kind: "bash"; command: string; description: string; background: boolean }
  /** One line that expands to the result: the file read, the pattern searched, the URL fetched. */
  | { kind: "compact"; summary: string; detail: string }
  | { kind: "subagent"; description: string; prompt: string; agentType: string }
  | { kind: "plan"; todos: Todo[] }
  | { kind: "question"; questions: AskedQuestion[] }
  | { kind: "generic" };

/** `mcp__<server>__<tool>`: a tool of an MCP server, named by its server. */
export function mcpTool(name: string): { server: string; tool: string } | null {
  const match = /^mcp__(.+?)__(.+)$/.exec(name);
  return match ? { server: match[1], tool: match[2] } : null;
}

function lines(from: number | undefined, count: number | undefined): string {
  if (from === undefined && count === undefined) return "";
  const first = from ?? 1;
  return count === undefined ? ` from line ${first}` : ` lines ${first}–${first + count - 1}`;
}

function compact(name: string, input: unknown): ToolView | null {
  switch (name) {
    case "Read": {
      const read = ReadSchema.safeParse(input);
      if (!read.success) return null;
      const { file_path, offset, limit, pages } = read.data;
      return {
        kind: "compact",
        summary: shownPath(file_path) + lines(offset, limit) + (pages ? ` pages ${pages}` : ""),
        detail: "",
      };
    }
    case "Glob": {
      const glob = GlobSchema.safeParse(input);
      return glob.success
        ? {
            kind: "compact",
            summary: glob.data.pattern + (glob.data.path ? ` in ${shownPath(glob.data.path)}` : ""),
            detail: "",
          }
        : null;
    }
    case "Grep": {
      const grep = GrepSchema.safeParse(input);
      if (!grep.success) return null;
      const { pattern, path, glob, type } = grep.data;
      const within = [glob, type && `type ${type}`, path && `in ${shownPath(path)}`]
        .filter(Boolean)
        .join(" ");
      return { kind: "compact", summary: within ? `${pattern}  ${within}` : pattern, detail: "" };
    }
    case "WebFetch": {
      const fetch = WebFetchSchema.safeParse(input);
      return fetch.success
        ? { kind: "compact", summary: fetch.data.url, detail: fetch.data.prompt ?? "" }
        : null;
    }
    case "WebSearch": {
      const search = WebSearchSchema.safeParse(input);
      return search.success ? { kind: "compact", summary: search.data.query, detail: "" } : null;
    }
    case "NotebookEdit": {
      const edit = NotebookEditSchema.safeParse(input);
      if (!edit.success) return null;
      const { notebook_path, cell_id, edit_mode, new_source } = edit.data;
      return {
        kind: "compact",
        summary: [shownPath(notebook_path), edit_mode, cell_id && `cell ${cell_id}`]
          .filter(Boolean)
          .join(" · "),
        detail: new_source,
      };
    }
    default:
      return null;
  }
}

/** The block a tool call gets; a call whose input does not have its tool's shape gets the generic one. */
export function toolView(name: string, input: unknown): ToolView {
  const generic: ToolView = { kind: "generic" };
  if (SUBAGENT_TOOLS.has(name)) {
    const task = SubagentSchema.safeParse(input);
    return task.success
      ? {
          kind: "subagent",
          description: task.data.description,
          prompt: task.data.prompt,
          agentType: task.data.subagent_type ?? "",
        }
      : generic;
  }
  switch (name) {
    case "Edit": {
      const edit = EditSchema.safeParse(input);
      if (!edit.success) return generic;
      const { file_path, old_string, new_string, replace_all } = edit.data;
      return {
        kind: "edit",
        path: file_path,
        edits: [{ oldString: old_string, newString: new_string, replaceAll: replace_all ?? false }],
      };
    }
    case "MultiEdit": {
      const multi = MultiEditSchema.safeParse(input);
      if (!multi.success) return generic;
      const edits = multi.data.edits.map((e) => ({
        oldString: e.old_string,
        newString: e.new_string,
        replaceAll: e.replace_all ?? false,
      }));
      return { kind: "edit", path: multi.data.file_path, edits };
    }
    case "Write": {
      const write = WriteSchema.safeParse(input);
      return write.success
        ? { kind: "write", path: write.data.file_path, content: write.data.content }
        : generic;
    }
    case "Bash": {
      const bash = BashSchema.safeParse(input);
      if (!bash.success) return generic;
      return {
        kind: "bash",
        command: bash.data.command,
        description: bash.data.description ?? "",
        background: bash.data.run_in_background ?? false,
      };
    }
    case PLAN_TOOL: {
      const plan = TodoWriteSchema.safeParse(input);
      return plan.success ? { kind: "plan", todos: plan.data.todos } : generic;
    }
    case QUESTION_TOOL: {
      const asked = AskUserQuestionSchema.safeParse(input);
      return asked.success ? { kind: "question", questions: asked.data.questions } : generic;
    }
    default:
      return compact(name, input) ?? generic;
  }
}

/** A TodoWrite call's list, or null when the input is not one. */
export function planOf(input: unknown): Todo[] | null {
  const plan = TodoWriteSchema.safeParse(input);
  return plan.success ? plan.data.todos : null;
}

/** A path as people read it: relative to the workspace when it is inside it (SPEC: /workspace/<repo>). */
export function shownPath(path: string): string {
  return path.startsWith("/workspace/") ? path.slice("/workspace/".length) : path;
}
