/**
 * A transcript (`start.history`) as context for a Claude Code that cannot resume the session's own
 * conversation: a session saved before Claude Code ran it, or one whose agent was lost before its first
 * save. The newest part is kept, up to a bound, and given in Tandem's append to the system prompt.
 */
import type { HistoryMessage } from "@tandem/protocol/agent";

/** About 15,000 tokens: enough to continue, small beside any model's window. */
export const HISTORY_CONTEXT_MAX_CHARS = 60_000;
/** A tool's input or result is cut to this in the context: the files themselves are in the workspace. */
const TOOL_TEXT_MAX_CHARS = 600;
/** One long message does not crowd out all the others. */
const LINE_MAX_CHARS = 8_000;

/** The text a person's message carries for Claude: the author's name first, as several people share a session. */
export function authored(author: string | undefined, text: string): string {
  return author ? `[${author}] ${text}` : text;
}

const cut = (text: string, max = TOOL_TEXT_MAX_CHARS) =>
  text.length > max ? `${text.slice(0, max)}… [${text.length - max} more characters]` : text;

function lines(message: HistoryMessage): string[] {
  if (message.role === "user")
    return message.blocks.flatMap((b) =>
      b.type === "text" && b.text ? [authored(message.author, b.text)] : [],
    );
  if (message.role !== "assistant") return []; // system lines (phase changes, errors) are not conversation
  return message.blocks.flatMap((block) => {
    switch (block.type) {
      case "text":
        return block.text ? [`Agent: ${block.text}`] : [];
      case "tool_use":
        return [
          `Agent used ${block.name} ${cut(JSON.stringify(block.input ?? {}))} → ${cut(block.result ?? "(no result: the session ended first)")}`,
        ];
      case "question":
        return [`Agent asked the people in the session: ${block.text}`];
      default:
        return [];
    }
  });
}

/** The transcript as context, newest part kept; null when there is nothing to continue from. */
export function historyAsContext(
  history: readonly HistoryMessage[],
  maxChars = HISTORY_CONTEXT_MAX_CHARS,
): string | null {
  const all = history.flatMap(lines).map((line) => cut(line, LINE_MAX_CHARS));
  if (!all.length) return null;
  const kept: string[] = [];
  let size = 0;
  for (let i = all.length - 1; i >= 0 && size + all[i].length <= maxChars; i--) {
    kept.unshift(all[i]);
    size += all[i].length + 1;
  }
  const dropped = all.length - kept.length;
  const head = dropped ? `(${dropped} earlier lines are not included.)\n` : "";
  return [
    "<earlier-conversation>",
    "This Tandem session ran before; the agent that ran it is gone, and you continue its work. Its conversation so far, for context:",
    `${head}${kept.join("\n")}`,
    "</earlier-conversation>",
  ].join("\n");
}
