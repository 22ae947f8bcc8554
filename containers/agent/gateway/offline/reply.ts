/**
 * The offline model's answer to one request, as content blocks: a summary of the tool results it was
 * given, then the next call of the command in force, or a reply that quotes what people said.
 */
import { readdir } from "node:fs/promises";
import path from "node:path";
import { z } from "zod";
import { type ToolCall, callsOf, nextCall } from "./calls";
import { COMMAND_HELP, parseCommand } from "./commands";
import { type Conversation, type ResultToSummarise, resultText } from "./conversation";

export const OFFLINE_LABEL = "_(offline model)_";
/** The signature of the offline model's thinking blocks: no API would take it (see withoutOfflineThinking). */
export const OFFLINE_SIGNATURE = "tandem-offline-model";
const MAX_QUOTED_OUTPUT = 2000;

export type PlannedBlock =
  | { type: "thinking"; thinking: string; signature: string }
  | { type: "text"; text: string }
  | { type: "tool_use"; id: string; name: string; input: Record<string, unknown> };

function fence(text: string): string {
  const shown = text.length > MAX_QUOTED_OUTPUT ? `${text.slice(0, MAX_QUOTED_OUTPUT)}\n…` : text;
  return `\n\n\`\`\`\n${shown.replaceAll("```", "ˋˋˋ")}\n\`\`\``;
}

function quote(text: string): string {
  return text
    .split("\n")
    .map((line) => `> ${line}`)
    .join("\n");
}

/** A path as people named it: from the workspace when it is inside. */
function shownPath(file: string, workspace: string | null): string {
  const inside = workspace ? path.relative(workspace, file) : "";
  return inside && !inside.startsWith("..") && !path.isAbsolute(inside) ? inside : file;
}

const InputSchema = z.record(z.string(), z.unknown());

function field(input: unknown, name: string): string {
  const fields = InputSchema.safeParse(input);
  return fields.success ? String(fields.data[name] ?? "") : "";
}

function summarise({ use, result }: ResultToSummarise, workspace: string | null): string {
  const output = resultText(result);
  const failed = result.is_error ? " failed" : "";
  const input = use?.input;
  const file = shownPath(field(input, "file_path"), workspace);
  switch (use?.name) {
    case "Bash":
      return `\`${field(input, "command")}\`${failed || " finished"}:${fence(output)}`;
    case "Read":
      return `Contents of \`${file}\`${failed}:${fence(output)}`;
    case "Write":
      return `Writing \`${file}\`${failed || " done"}: ${output}`;
    case "Edit":
      return `Editing \`${file}\`${failed || " done"}: ${output}`;
    case "AskUserQuestion":
      return result.is_error
        ? `No answer: ${output}`
        : `Thanks. You answered:\n\n${quote(answersIn(output))}`;
    case "ExitPlanMode":
      return result.is_error ? `The plan was not approved: ${output}` : "The plan is approved.";
    case "TodoWrite":
      return result.is_error ? `The plan could not be set: ${output}` : "The plan is set.";
    case "Agent":
      return `The subagent${failed || " finished"}:\n\n${quote(subagentReport(output))}`;
    default:
      return `\`${use?.name ?? "tool"}\`${failed || " done"}: ${output}`;
  }
}

/** Claude Code hands answers back as `"<question>"="<answer>"` pairs in a sentence: the answers alone. */
function answersIn(output: string): string {
  const answers = [...output.matchAll(/"((?:[^"\\]|\\.)*)"="((?:[^"\\]|\\.)*)"/g)].map((pair) => pair[2]);
  return answers.length ? answers.join("\n") : output;
}

/** Claude Code frames a subagent's report (a preamble, the report indented, then its id and usage): the report alone. */
function subagentReport(output: string): string {
  const framed = /The report follows:\n([\s\S]*?)\n(?:agentId:|<usage>|$)/.exec(output);
  if (!framed) return output;
  return framed[1]
    .split("\n")
    .map((line) => line.replace(/^ {2}/, ""))
    .join("\n")
    .trim();
}

async function topLevelFiles(workspace: string | null): Promise<string> {
  const entries = workspace ? await readdir(workspace, { withFileTypes: true }).catch(() => []) : [];
  const names = entries.map((entry) => `\`${entry.name}${entry.isDirectory() ? "/" : ""}\``).sort();
  return names.length ? `The workspace has: ${names.join(", ")}.` : "The workspace is empty.";
}

/** Whether a result answers a preparatory call of the command in force (then it is not summarised). */
function isQuiet(conversation: Conversation, summary: ResultToSummarise): boolean {
  const inForce = conversation.command;
  if (!inForce || summary.result.is_error || inForce.made.at(-1) !== summary.use?.name) return false;
  return callsOf(inForce.command, conversation, inForce.made)[inForce.made.length - 1]?.quiet === true;
}

/** Which rule answers, said in the offline model's thinking when the session thinks. */
function ruleOf(next: ToolCall | null, conversation: Conversation): string {
  if (next) return `The command in force calls ${next.name} next.`;
  if (conversation.results.length) return "Tool results arrived: I summarise them.";
  return "No command: I quote the message and list the workspace.";
}

export interface ReplyOptions {
  thinking: boolean;
  newToolUseId(): string;
}

/** The answer to Claude Code's compaction prompt: the `<analysis>` and `<summary>` it asks for, by rule. */
function compactionSummary({ said, tools }: NonNullable<Conversation["compaction"]>): string {
  const counts = [...new Set(tools)].map(
    (name) => `${name} ×${tools.filter((tool) => tool === name).length}`,
  );
  const messages = said.length ? said.map((text) => `- ${text.split("\n")[0]}`).join("\n") : "- (none)";
  return `<analysis>\nThe offline model summarises by rule: what people said, and the tools called.\n</analysis>\n\n<summary>\nWhat people said:\n${messages}\n\nTools called: ${counts.join(", ") || "none"}.\n</summary>`;
}

export async function planReply(conversation: Conversation, options: ReplyOptions): Promise<PlannedBlock[]> {
  if (conversation.compaction)
    return [{ type: "text", text: `${OFFLINE_LABEL} ${compactionSummary(conversation.compaction)}` }];
  const parts = conversation.results
    .filter((result) => !isQuiet(conversation, result))
    .map((result) => summarise(result, conversation.workspace));
  const plain = conversation.said.filter((text) => text && parseCommand(text) === null);
  const inForce = conversation.command;
  // A plan people did not approve ends the command there.
  const refused = conversation.results.some(
    ({ use, result }) => use?.name === "ExitPlanMode" && result.is_error,
  );
  const next = inForce && !refused ? nextCall(inForce.command, conversation, inForce.made) : null;
  if (plain.length) {
    parts.push(
      `You said:\n\n${plain.map(quote).join("\n\n")}\n\n${await topLevelFiles(conversation.workspace)}`,
    );
    if (!conversation.results.length && !next) parts.push(COMMAND_HELP);
  }
  const blocks: PlannedBlock[] = [];
  if (options.thinking)
    blocks.push({
      type: "thinking",
      thinking: `Offline rules. ${ruleOf(next, conversation)}`,
      signature: OFFLINE_SIGNATURE,
    });
  if (next && !conversation.offered.has(next.name)) {
    parts.push(`Claude Code does not offer the ${next.name} tool here, so I cannot do that.`);
  } else if (next) {
    if (next.intro) parts.push(next.intro);
    // A call that goes on with a run of calls says nothing: the reply is the call alone.
    if (parts.length) blocks.push({ type: "text", text: `${OFFLINE_LABEL} ${parts.join("\n\n")}` });
    blocks.push({ type: "tool_use", id: options.newToolUseId(), name: next.name, input: next.input });
    return blocks;
  }
  blocks.push({ type: "text", text: `${OFFLINE_LABEL} ${parts.join("\n\n") || "Done."}` });
  return blocks;
}
