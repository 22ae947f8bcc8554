/** The offline model's commands (containers/agent/gateway/README.md), as people type them. */

export type Command =
  | { name: "ls"; path: string }
  | { name: "read"; path: string }
  | { name: "run"; command: string }
  | { name: "steps"; commands: string[] }
  | { name: "write"; path: string; content: string }
  | { name: "edit"; path: string; oldText: string; newText: string }
  | { name: "ask"; question: string; options: string[] }
  | { name: "plan"; steps: string[] }
  | { name: "task"; prompt: string }
  | { name: "call"; tool: string; input: Record<string, unknown> };

export const COMMAND_HELP =
  "No API key is set, so I follow simple rules: try `/ls [dir]`, `/read <path>`, `/run <command>`, `/steps <command>; <command>`, `/write <path> <text>`, " +
  "`/edit <path> <old> => <new>`, `/ask <question> [| option | option]`, `/plan <step>; <step>` (or `/todo`), `/task <prompt>` or `/call mcp__<server>__<tool> [JSON input]`.";

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
  const match = /^\/(ls|read|run|steps|write|edit|ask|plan|todo|task|call)(?:\s+([\s\S]*))?$/.exec(
    withoutAuthor(asTyped(message)).trim(),
  );
  if (!match) return null;
  const arg = (match[2] ?? "").trim();
  switch (match[1]) {
    case "ls":
      return { name: "ls", path: arg || "." };
    case "read":
      return arg ? { name: "read", path: arg } : null;
    case "run":
      return arg ? { name: "run", command: arg } : null;
    case "steps": {
      const commands = arg
        .split(";")
        .map((command) => command.trim())
        .filter(Boolean);
      return commands.length ? { name: "steps", commands } : null;
    }
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
      return question
        ? { name: "ask", question, options: offered.length >= 2 ? offered : DEFAULT_OPTIONS }
        : null;
    }
    case "plan":
    case "todo": {
      const steps = arg
        .split(/[;\n]/)
        .map((step) => step.trim())
        .filter(Boolean);
      return steps.length ? { name: "plan", steps } : null;
    }
    case "task":
      return arg ? { name: "task", prompt: arg } : null;
    case "call":
      return mcpCall(arg);
  }
  return null;
}

/** `/call mcp__<server>__<tool> {…}`: a tool of one of the workspace's MCP servers, with a JSON object as its input. */
function mcpCall(arg: string): Command | null {
  const [, tool, json] = /^(mcp__[\w-]+__[\w-]+)\s*([\s\S]*)$/.exec(arg) ?? [];
  if (!tool) return null;
  if (!json) return { name: "call", tool, input: {} };
  try {
    const input: unknown = JSON.parse(json);
    return typeof input === "object" && input !== null && !Array.isArray(input)
      ? { name: "call", tool, input: input as Record<string, unknown> }
      : null;
  } catch {
    return null;
  }
}
