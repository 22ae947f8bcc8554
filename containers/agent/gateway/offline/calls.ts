/**
 * The Claude Code tool calls each offline command makes, in order. A command's next call depends only on
 * the calls already made for it, so the conversation alone says where a command stands, across gateway
 * restarts and Resume too.
 */
import { existsSync } from "node:fs";
import path from "node:path";
import type { Command } from "./commands";

export interface ToolCall {
  name: string;
  input: Record<string, unknown>;
  /** What the reply says before the call. */
  intro: string;
  /** A preparatory call (a Read before an Edit): its result is not summarised. */
  quiet?: boolean;
}

export interface CallContext {
  workspace: string | null;
  offered: ReadonlySet<string>;
  /** In plan mode, the plan file Claude Code named: a command that changes something asks for approval first. */
  planFile: string | null;
}

/** Commands that change the workspace: in plan mode they wait for the plan's approval. */
const CHANGES: ReadonlySet<Command["name"]> = new Set(["run", "steps", "write", "edit"]);

/** A POSIX shell word that means exactly `text`. */
function shellQuote(text: string): string {
  return `'${text.replaceAll("'", `'\\''`)}'`;
}

/** Claude Code's file tools take absolute paths; the person names them from the workspace. */
function absolute(file: string, workspace: string | null): string {
  return path.isAbsolute(file) || !workspace ? file : path.join(workspace, file);
}

function shortDescription(prompt: string): string {
  const words = prompt
    .replace(/^\/\w+\s*/, "")
    .split(/\s+/)
    .filter(Boolean)
    .slice(0, 4);
  return words.length ? words.join(" ") : "Offline subtask";
}

/** Claude Code writes over a file only after reading it in the same conversation. */
function writeCalls(file: string, content: string, shown: string, made: readonly string[]): ToolCall[] {
  const write: ToolCall = {
    name: "Write",
    input: { file_path: file, content },
    intro: `Writing \`${shown}\`.`,
  };
  const readFirst = made.length ? made[0] === "Read" : existsSync(file);
  return readFirst
    ? [
        {
          name: "Read",
          input: { file_path: file },
          intro: `Reading \`${shown}\` before writing it.`,
          quiet: true,
        },
        write,
      ]
    : [write];
}

/** With tool search on, Claude Code offers some tools by name only, until ToolSearch loads their schema. */
function loadCalls(tool: string, offered: ReadonlySet<string>, made: readonly string[]): ToolCall[] {
  const load = made.length ? made[0] === "ToolSearch" : !offered.has(tool) && offered.has("ToolSearch");
  return load
    ? [
        {
          name: "ToolSearch",
          input: { query: `select:${tool}`, max_results: 1 },
          intro: `Loading the ${tool} tool.`,
          quiet: true,
        },
      ]
    : [];
}

function planText(command: Command): string {
  const step =
    command.name === "run"
      ? `Run \`${command.command}\`.`
      : command.name === "steps"
        ? `Run ${command.commands.map((c) => `\`${c}\``).join(", then ")}.`
        : command.name === "write"
          ? `Write \`${command.path}\`.`
          : command.name === "edit"
            ? `Edit \`${command.path}\`: \`${command.oldText}\` becomes \`${command.newText}\`.`
            : "";
  return `# Plan (offline model)\n\n1. ${step}\n`;
}

/** Plan mode: the plan written to Claude Code's plan file, then ExitPlanMode, which asks people to approve it. */
function approvalCalls(command: Command, context: CallContext, made: readonly string[]): ToolCall[] {
  if (!context.planFile || !CHANGES.has(command.name)) return [];
  const write = writeCalls(context.planFile, planText(command), "the plan", made).map((call) => ({
    ...call,
    quiet: true,
    intro: call.name === "Write" ? "Writing the plan." : "Reading the plan first.",
  }));
  const load = loadCalls("ExitPlanMode", context.offered, made.slice(write.length));
  return [
    ...write,
    ...load,
    {
      name: "ExitPlanMode",
      input: {},
      intro: "This changes the workspace: it waits for the plan's approval.",
    },
  ];
}

function commandCalls(command: Command, context: CallContext, made: readonly string[]): ToolCall[] {
  const { workspace, offered } = context;
  switch (command.name) {
    case "ls":
      return [
        {
          name: "Bash",
          input: {
            command: `ls -A1p -- ${shellQuote(command.path)}`,
            description: "List the files in a folder",
          },
          intro: `Listing \`${command.path}\`.`,
        },
      ];
    case "read":
      return [
        {
          name: "Read",
          input: { file_path: absolute(command.path, workspace) },
          intro: `Reading \`${command.path}\`.`,
        },
      ];
    case "run":
      return [
        {
          name: "Bash",
          input: { command: command.command, description: "Run the command a person gave" },
          intro: `Running \`${command.command}\`.`,
        },
      ];
    case "steps":
      // One call after another with no words between (as a model that explores in silence): each result
      // read, none summarised.
      return command.commands.map((line, index) => ({
        name: "Bash",
        input: { command: line, description: "Run one of the commands a person gave" },
        intro: index === 0 ? `Running ${command.commands.length} commands, one after another.` : "",
        quiet: true,
      }));
    case "write":
      return writeCalls(absolute(command.path, workspace), command.content, command.path, made);
    case "edit": {
      const file = absolute(command.path, workspace);
      return [
        {
          name: "Read",
          input: { file_path: file },
          intro: `Reading \`${command.path}\` before editing it.`,
          quiet: true,
        },
        {
          name: "Edit",
          input: { file_path: file, old_string: command.oldText, new_string: command.newText },
          intro: `Editing \`${command.path}\`.`,
        },
      ];
    }
    case "ask": {
      const options = command.options.map((label) => ({ label, description: `Answer: ${label}` }));
      return [
        {
          name: "AskUserQuestion",
          input: {
            questions: [{ question: command.question, header: "Question", options, multiSelect: false }],
          },
          intro: "I need to ask you something.",
        },
      ];
    }
    case "plan": {
      const todos = command.steps.map((step, index) => ({
        content: step,
        status: index === 0 ? "in_progress" : "pending",
        activeForm: `Working on: ${step}`,
      }));
      const write: ToolCall = {
        name: "TodoWrite",
        input: { todos },
        intro: `Planning ${command.steps.length} step${command.steps.length === 1 ? "" : "s"}.`,
      };
      return [...loadCalls("TodoWrite", offered, made), write];
    }
    case "task": {
      const input = {
        description: shortDescription(command.prompt),
        prompt: command.prompt,
        subagent_type: "general-purpose",
        run_in_background: false,
      };
      return [{ name: "Agent", input, intro: "Handing this to a subagent." }];
    }
    case "call":
      return [
        ...loadCalls(command.tool, offered, made),
        { name: command.tool, input: command.input, intro: `Calling \`${command.tool}\`.` },
      ];
  }
}

/** Every call the command makes, given the calls already made for it (`made`, by tool name). */
export function callsOf(command: Command, context: CallContext, made: readonly string[]): ToolCall[] {
  const approval = approvalCalls(command, context, made);
  return [...approval, ...commandCalls(command, context, made.slice(approval.length))];
}

/** The command's next call, or null once every call was made (or the calls made are not this command's). */
export function nextCall(command: Command, context: CallContext, made: readonly string[]): ToolCall | null {
  const calls = callsOf(command, context, made);
  const followsPlan = made.every((name, index) => calls[index]?.name === name);
  return followsPlan ? (calls[made.length] ?? null) : null;
}
