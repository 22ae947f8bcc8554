/**
 * The offline model's commands (containers/agent/gateway/README.md) and the Claude Code tool calls each
 * one makes, in order. A command's next call depends only on the calls already made for it, so the
 * conversation alone says where a command stands, across gateway restarts and Resume too.
 */
import { existsSync } from "node:fs";
import path from "node:path";

export type Command =
  | { name: "ls"; path: string }
  | { name: "read"; path: string }
  | { name: "run"; command: string }
  | { name: "write"; path: string; content: string }
  | { name: "edit"; path: string; oldText: string; newText: string }
  | { name: "ask"; question: string; options: string[] }
  | { name: "plan"; steps: string[] }
  | { name: "task"; prompt: string };

export interface ToolCall {
  name: string;
  input: Record<string, unknown>;
  /** What the reply says before the call. */
  intro: string;
  /** A preparatory call (a Read before an Edit): its result is not summarised. */
  quiet?: boolean;
}

export const COMMAND_HELP =
  "No API key is set, so I follow simple rules: try `/ls [dir]`, `/read <path>`, `/run <command>`, `/write <path> <text>`, " +
  "`/edit <path> <old> => <new>`, `/ask <question> [| option | option]`, `/plan <step>; <step>` (or `/todo`) or `/task <prompt>`.";

/** Strips the `[author] ` prefix a person's message may carry. */
export function withoutAuthor(text: string): string {
  return text.replace(/^\[[^\]\n]*\]\s*/, "");
}

/**
 * Claude Code runs a message that starts with a slash as its own command or skill (`/run` is a bundled
 * skill) and sends the model `<command-name>/run</command-name>` with `<command-args>`: read back as typed.
 */
export function asTyped(text: string): string {
  const name = /<command-name>\/?([\w:-]+)<\/command-name>/.exec(text);
  if (!name) return text;
  const args = /<command-args>([\s\S]*?)<\/command-args>/.exec(text);
  return `/${name[1]} ${args?.[1] ?? ""}`.trim();
}

const DEFAULT_OPTIONS = ["Yes", "No"];

export function parseCommand(message: string): Command | null {
  const match = /^\/(ls|read|run|write|edit|ask|plan|todo|task)(?:\s+([\s\S]*))?$/.exec(withoutAuthor(asTyped(message)).trim());
  if (!match) return null;
  const arg = (match[2] ?? "").trim();
  switch (match[1]) {
    case "ls":
      return { name: "ls", path: arg || "." };
    case "read":
      return arg ? { name: "read", path: arg } : null;
    case "run":
      return arg ? { name: "run", command: arg } : null;
    case "write": {
      const [, file, text] = /^(\S+)\s*([\s\S]*)$/.exec(arg) ?? [];
      return file ? { name: "write", path: file, content: text ?? "" } : null;
    }
    case "edit": {
      const [, file, oldText, newText] = /^(\S+)\s+([\s\S]+?)\s*=>\s?([\s\S]*)$/.exec(arg) ?? [];
      return file && oldText ? { name: "edit", path: file, oldText, newText: newText ?? "" } : null;
    }
    case "ask": {
      const [question, ...options] = arg.split("|").map((part) => part.trim());
      const offered = options.filter(Boolean).slice(0, 4);
      return question ? { name: "ask", question, options: offered.length >= 2 ? offered : DEFAULT_OPTIONS } : null;
    }
    case "plan":
    case "todo": {
      const steps = arg.split(/[;\n]/).map((step) => step.trim()).filter(Boolean);
      return steps.length ? { name: "plan", steps } : null;
    }
    case "task":
      return arg ? { name: "task", prompt: arg } : null;
  }
  return null;
}

/** A POSIX shell word that means exactly `text`. */
function shellQuote(text: string): string {
  return `'${text.replaceAll("'", `'\\''`)}'`;
}

/** Claude Code's file tools take absolute paths; the person names them from the workspace. */
function absolute(file: string, workspace: string | null): string {
  return path.isAbsolute(file) || !workspace ? file : path.join(workspace, file);
}

function shortDescription(prompt: string): string {
  const words = prompt.replace(/^\/\w+\s*/, "").split(/\s+/).filter(Boolean).slice(0, 4);
  return words.length ? words.join(" ") : "Offline subtask";
}

export interface PlanContext {
  workspace: string | null;
  offered: ReadonlySet<string>;
}

/** Every call the command makes, given the calls already made for it (`made`, by tool name). */
export function callsOf(command: Command, context: PlanContext, made: readonly string[]): ToolCall[] {
  const { workspace, offered } = context;
  switch (command.name) {
    case "ls":
      return [{ name: "Bash", input: { command: `ls -A1p -- ${shellQuote(command.path)}`, description: "List the files in a folder" }, intro: `Listing \`${command.path}\`.` }];
    case "read":
      return [{ name: "Read", input: { file_path: absolute(command.path, workspace) }, intro: `Reading \`${command.path}\`.` }];
    case "run":
      return [{ name: "Bash", input: { command: command.command, description: "Run the command a person gave" }, intro: `Running \`${command.command}\`.` }];
    case "write": {
      const file = absolute(command.path, workspace);
      const write: ToolCall = { name: "Write", input: { file_path: file, content: command.content }, intro: `Writing \`${command.path}\`.` };
      // Claude Code writes over a file only after reading it in the same conversation.
      const readFirst = made.length ? made[0] === "Read" : existsSync(file);
      return readFirst ? [{ name: "Read", input: { file_path: file }, intro: `Reading \`${command.path}\` before writing it.`, quiet: true }, write] : [write];
    }
    case "edit": {
      const file = absolute(command.path, workspace);
      return [
        { name: "Read", input: { file_path: file }, intro: `Reading \`${command.path}\` before editing it.`, quiet: true },
        { name: "Edit", input: { file_path: file, old_string: command.oldText, new_string: command.newText }, intro: `Editing \`${command.path}\`.` },
      ];
    }
    case "ask":
      return [
        {
          name: "AskUserQuestion",
          input: { questions: [{ question: command.question, header: "Question", options: command.options.map((label) => ({ label, description: `Answer: ${label}` })), multiSelect: false }] },
          intro: "I need to ask you something.",
        },
      ];
    case "plan": {
      const todos = command.steps.map((step, index) => ({ content: step, status: index === 0 ? "in_progress" : "pending", activeForm: `Working on: ${step}` }));
      const write: ToolCall = { name: "TodoWrite", input: { todos }, intro: `Planning ${command.steps.length} step${command.steps.length === 1 ? "" : "s"}.` };
      // With tool search on, Claude Code offers TodoWrite only by name until ToolSearch loads its schema.
      const loadFirst = made.length ? made[0] === "ToolSearch" : !offered.has("TodoWrite") && offered.has("ToolSearch");
      return loadFirst ? [{ name: "ToolSearch", input: { query: "select:TodoWrite", max_results: 1 }, intro: "Loading the TodoWrite tool.", quiet: true }, write] : [write];
    }
    case "task":
      return [
        {
          name: "Agent",
          input: { description: shortDescription(command.prompt), prompt: command.prompt, subagent_type: "general-purpose", run_in_background: false },
          intro: "Handing this to a subagent.",
        },
      ];
  }
}

/** The command's next call, or null once every call was made (or the calls made are not this command's). */
export function nextCall(command: Command, context: PlanContext, made: readonly string[]): ToolCall | null {
  const calls = callsOf(command, context, made);
  const followsPlan = made.every((name, index) => calls[index]?.name === name);
  return followsPlan ? (calls[made.length] ?? null) : null;
}
