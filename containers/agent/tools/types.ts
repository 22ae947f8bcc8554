import { z } from "zod";

export interface ToolContext {
  /** The session's workspace directory (the cwd of commands). */
  workspace: string;
  /** Environment of spawned processes: a clean base plus the session's secrets. */
  env: NodeJS.ProcessEnv;
  /** Aborted when the turn is stopped or the session disposed: a running command is killed. */
  signal: AbortSignal;
  /**
   * For output cut short by a cap: drops a tail that could be the beginning of a secret (the redaction of
   * the whole output would not know it for one, since the rest of it was cut off). None: nothing to hide.
   */
  cut?: (head: string) => string;
}

/** A tool with its input type erased: `execute` validates the raw input the model sent. */
export interface ToolDefinition {
  name: string;
  description: string;
  input: z.ZodType;
  /** Returns the tool's output; throws ToolError (or anything) to report an error result. */
  execute(input: unknown, context: ToolContext): Promise<string>;
}

/** Declares a tool with its input type inferred from its zod schema. */
export function defineTool<S extends z.ZodType>(tool: {
  name: string;
  description: string;
  input: S;
  run(input: z.infer<S>, context: ToolContext): Promise<string>;
}): ToolDefinition {
  return {
    name: tool.name,
    description: tool.description,
    input: tool.input,
    async execute(raw, context) {
      const parsed = tool.input.safeParse(raw);
      if (!parsed.success) throw new Error(`invalid input for ${tool.name}: ${z.prettifyError(parsed.error)}`);
      return tool.run(parsed.data, context);
    },
  };
}

/** Caps text sent back to the model, keeping the head (less a tail that may start a secret) and saying how much was cut. */
export function capOutput(text: string, max: number, cut: (head: string) => string = (head) => head): string {
  if (text.length <= max) return text;
  return `${cut(text.slice(0, max))}\n… [output truncated: ${text.length - max} more characters]`;
}
