/** The agent's tools: their API definitions and one entry point that runs a call. */
import type Anthropic from "@anthropic-ai/sdk";
import { z } from "zod";
import { bashTool } from "./bash";
import { editFileTool, readFileTool, writeFileTool } from "./files";
import { grepTool, listTool } from "./search";
import type { ToolContext, ToolDefinition } from "./types";
import { WRITING_TOOL_NAMES } from "@tandem/protocol/git";

export type { ToolContext } from "./types";

export const ASK_USER = "ask_user";

/** ask_user is answered by a person, so the loop runs it; only its definition lives here. */
const askUserInput = z.object({
  question: z.string().min(1).describe("one clear question for the people in the session"),
});
export type AskUserInput = z.infer<typeof askUserInput>;

const TOOLS: readonly ToolDefinition[] = [
  readFileTool,
  writeFileTool,
  editFileTool,
  listTool,
  grepTool,
  bashTool,
];

/** Tools after which files may have changed (artifacts are rescanned). */
export const WRITING_TOOLS = new Set<string>(WRITING_TOOL_NAMES);

function inputSchema(schema: z.ZodType): Anthropic.Tool.InputSchema {
  const { $schema: _ignored, ...json } = z.toJSONSchema(schema) as Record<string, unknown>;
  return { ...json, type: "object" };
}

export function toolDefinitions(): Anthropic.Tool[] {
  return [
    ...TOOLS.map((tool) => ({ name: tool.name, description: tool.description, input_schema: inputSchema(tool.input) })),
    {
      name: ASK_USER,
      description:
        "Ask the people in the session a clarifying question and wait for the answer. Use it when a decision needs a person; the session shows it as waiting for input.",
      input_schema: inputSchema(askUserInput),
    },
  ];
}

export function parseAskUser(input: unknown): AskUserInput | null {
  const parsed = askUserInput.safeParse(input);
  return parsed.success ? parsed.data : null;
}

export interface ToolOutcome {
  output: string;
  isError: boolean;
}

export async function runTool(name: string, input: unknown, context: ToolContext): Promise<ToolOutcome> {
  const tool = TOOLS.find((t) => t.name === name);
  if (!tool) return { output: `unknown tool: ${name}`, isError: true };
  try {
    return { output: await tool.execute(input, context), isError: false };
  } catch (error) {
    return { output: error instanceof Error ? error.message : String(error), isError: true };
  }
}
