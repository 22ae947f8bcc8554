/**
 * What the offline model reads of a Claude Code request: what people said last (their messages, and
 * those that reached Claude Code while a tool ran), the tool results to summarise, the command in force and
 * the calls already made for it, the tools offered, and the workspace.
 */
import { z } from "zod";
import type { ContentBlock, CountTokensRequest, Message } from "../request-body";
import { type Command, asTyped, parseCommand, withoutAuthor } from "./commands";

const TextBlockSchema = z.looseObject({ type: z.literal("text"), text: z.string() });
const ToolUseSchema = z.looseObject({
  type: z.literal("tool_use"),
  id: z.string(),
  name: z.string(),
  input: z.unknown(),
});
const ToolResultSchema = z.looseObject({
  type: z.literal("tool_result"),
  tool_use_id: z.string(),
  is_error: z.boolean().nullish(),
  content: z
    .union([z.string(), z.array(z.looseObject({ type: z.string(), text: z.string().optional() }))])
    .nullish(),
});
export type ToolUse = z.infer<typeof ToolUseSchema>;
export type ToolResult = z.infer<typeof ToolResultSchema>;

/** Claude Code's own context in a user message (environment, reminders, hook output): never a person's words. */
const CLAUDE_CODE_CONTEXT = /^\s*<(system-reminder|local-command-\w+)>/;
const REMINDER = /\s*<system-reminder>[\s\S]*?<\/system-reminder>\s*/g;
/** A slash command Claude Code ran (`<command-name>`); a skill's (`<command-message>` first) is followed by the skill's own text. */
const SLASH_COMMAND = /^\s*<command-(name|message)>/;
const SKILL = /^\s*<command-message>/;
/** How Claude Code hands over a message a person sent while a tool ran, inside that tool's result. */
const SENT_WHILE_WORKING =
  /The user sent (?:a )?(?:new )?messages? while you were working:\s*([\s\S]*?)\s*(?:\n\nThis is how Claude Code surfaces|<\/system-reminder>|$)/g;
const WORKING_DIRECTORY = /Primary working directory: (.+)/;
/** Claude Code's plan-mode reminder, and the plan file its "Plan File Info" names (new, or one that exists). */
const PLAN_MODE = /Plan mode is active/;
const PLAN_FILE = /Plan File Info:[\s\S]*?(\/\S+?\.md)\b/;
/** Claude Code's compaction prompt (it asks for `<analysis>` then `<summary>`). */
const COMPACTION = /Your task is to create a detailed summary of the conversation/;

export interface ResultToSummarise {
  use: ToolUse | undefined;
  result: ToolResult;
}

export interface Conversation {
  workspace: string | null;
  offered: ReadonlySet<string>;
  /** The tool results in the last message, each with the call it answers. */
  results: ResultToSummarise[];
  /** What people said in the last message, in order (commands included). */
  said: string[];
  /** The latest command of the turn and the calls already made for it. */
  command: { command: Command; made: string[] } | null;
  /** Plan mode was on when the command was given: the plan file Claude Code named for it. */
  planFile: string | null;
  /** Claude Code asks for a summary of the conversation (compaction): what people said and the tools called before. */
  compaction: { said: string[]; tools: string[] } | null;
}

function blocksOf(message: Message | undefined): ContentBlock[] {
  if (!message) return [];
  return typeof message.content === "string" ? [{ type: "text", text: message.content }] : message.content;
}

/** A tool result as the tool gave it, without the reminders Claude Code appends for the model. */
export function resultText(result: ToolResult): string {
  return contentText(result).replace(REMINDER, "\n").trim();
}

function contentText(result: ToolResult): string {
  if (typeof result.content === "string") return result.content;
  return (result.content ?? [])
    .map((part) => (part.type === "text" ? (part.text ?? "") : `[${part.type}]`))
    .join("\n");
}

function parsed<T>(schema: z.ZodType<T>, blocks: ContentBlock[]): T[] {
  return blocks.flatMap((block) => {
    const result = schema.safeParse(block);
    return result.success ? [result.data] : [];
  });
}

/**
 * People's words in one user message. A message that starts a turn is theirs (less Claude Code's
 * reminders); in a message of tool results only what reached Claude Code while a tool ran is (the other
 * text there, "Tool loaded." for one, is Claude Code's).
 */
function peopleIn(message: Message): { said: string[]; startsTurn: boolean } {
  if (message.role !== "user") return { said: [], startsTurn: false };
  const blocks = blocksOf(message);
  const results = parsed(ToolResultSchema, blocks);
  const texts = parsed(TextBlockSchema, blocks).map((block) => block.text);
  const sentWhileWorking = [...results.map(contentText), ...texts].flatMap((text) =>
    [...text.matchAll(SENT_WHILE_WORKING)].map((match) => match[1]),
  );
  const startsTurn = results.length === 0;
  const own = !startsTurn
    ? []
    : texts.flatMap((text, index) => {
        if (index > 0 && SKILL.test(texts[index - 1])) return [];
        // Claude Code's own commands (/compact, /clear…) are not words to answer; the offline commands are.
        if (SLASH_COMMAND.test(text)) return parseCommand(asTyped(text)) ? [asTyped(text)] : [];
        return text.trim() && !CLAUDE_CODE_CONTEXT.test(text) ? [text] : [];
      });
  return {
    said: [...own, ...sentWhileWorking].map((text) => withoutAuthor(text.trim())).filter(Boolean),
    startsTurn,
  };
}

function workspaceNamed(request: CountTokensRequest): string | null {
  const system =
    typeof request.system === "string"
      ? [request.system]
      : parsed(TextBlockSchema, request.system ?? []).map((block) => block.text);
  const texts = [
    ...system,
    ...request.messages.flatMap((m) => parsed(TextBlockSchema, blocksOf(m)).map((block) => block.text)),
  ];
  for (const text of texts) {
    const match = WORKING_DIRECTORY.exec(text);
    if (match) return match[1].trim();
  }
  return null;
}

/** Every text of a message, its tool results' included: where Claude Code's reminders may be. */
function allTexts(message: Message): string[] {
  const blocks = blocksOf(message);
  return [
    ...parsed(TextBlockSchema, blocks).map((block) => block.text),
    ...parsed(ToolResultSchema, blocks).map(contentText),
  ];
}

function planFileIn(message: Message): string | null {
  const texts = allTexts(message);
  if (!texts.some((text) => PLAN_MODE.test(text))) return null;
  for (const text of texts) {
    const named = PLAN_FILE.exec(text);
    if (named) return named[1];
  }
  return null;
}

/** The latest command of the turn (searched back to the message that started it), and plan mode then. */
function commandInForce(messages: Message[]): Pick<Conversation, "command" | "planFile"> {
  for (let index = messages.length - 1; index >= 0; index--) {
    const { said, startsTurn } = peopleIn(messages[index]);
    const command = said.map(parseCommand).findLast((found) => found !== null);
    if (command) {
      const made = messages
        .slice(index + 1)
        .flatMap((m) =>
          m.role === "assistant" ? parsed(ToolUseSchema, blocksOf(m)).map((use) => use.name) : [],
        );
      return { command: { command, made }, planFile: planFileIn(messages[index]) };
    }
    if (startsTurn && said.length) break;
  }
  return { command: null, planFile: null };
}

function compactionOf(messages: Message[]): Conversation["compaction"] {
  const asked = parsed(TextBlockSchema, blocksOf(messages.at(-1))).some((block) =>
    COMPACTION.test(block.text),
  );
  if (!asked) return null;
  const before = messages.slice(0, -1);
  return {
    said: before.flatMap((message) => peopleIn(message).said),
    tools: before.flatMap((message) =>
      message.role === "assistant" ? parsed(ToolUseSchema, blocksOf(message)).map((use) => use.name) : [],
    ),
  };
}

export function readConversation(request: CountTokensRequest, workspace: string | undefined): Conversation {
  const { messages } = request;
  const last = messages.at(-1);
  const compaction = compactionOf(messages);
  const uses = parsed(ToolUseSchema, blocksOf(messages.at(-2)));
  const results = parsed(ToolResultSchema, blocksOf(last)).map((result) => ({
    use: uses.find((use) => use.id === result.tool_use_id),
    result,
  }));
  return {
    workspace: workspace ?? workspaceNamed(request),
    offered: new Set((request.tools ?? []).map((tool) => tool.name)),
    results,
    said: last && !compaction ? peopleIn(last).said : [],
    ...(compaction ? { command: null, planFile: null } : commandInForce(messages)),
    compaction,
  };
}
