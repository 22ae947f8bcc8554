/** Rebuilds the Messages API conversation from a transcript, so a resumed agent continues with it. */
import type Anthropic from "@anthropic-ai/sdk";
import type { HistoryMessage } from "@tandem/protocol/agent";

type Block = Anthropic.ContentBlockParam;

/** The text the model sees for a person's message: the author's name first, as several people share a session. */
export function authored(author: string | undefined, text: string): string {
  return author ? `[${author}] ${text}` : text;
}

/** Appends content to the conversation, merging into the last message when it has the same role. */
export function appendContent(messages: Anthropic.MessageParam[], role: "user" | "assistant", blocks: Block[]): void {
  if (!blocks.length) return;
  const last = messages.at(-1);
  if (last?.role === role) {
    last.content = [...(typeof last.content === "string" ? [{ type: "text" as const, text: last.content }] : last.content), ...blocks];
  } else {
    messages.push({ role, content: blocks });
  }
}

export function historyToMessages(history: readonly HistoryMessage[]): Anthropic.MessageParam[] {
  const messages: Anthropic.MessageParam[] = [];
  for (const message of history) {
    if (message.role === "user") {
      const texts = message.blocks.flatMap((b) => (b.type === "text" && b.text ? [b.text] : []));
      appendContent(messages, "user", texts.map((text) => ({ type: "text", text: authored(message.author, text) })));
      continue;
    }
    if (message.role !== "assistant") continue; // system lines (phase changes, errors) are not conversation
    const content: Block[] = [];
    const results: Anthropic.ToolResultBlockParam[] = [];
    for (const block of message.blocks) {
      switch (block.type) {
        case "text":
          if (block.text) content.push({ type: "text", text: block.text });
          break;
        case "thinking":
          // Unsigned thinking cannot be sent back; the API would refuse it.
          if (block.signature) content.push({ type: "thinking", thinking: block.text, signature: block.signature });
          break;
        case "tool_use":
          content.push({ type: "tool_use", id: block.id, name: block.name, input: block.input ?? {} });
          results.push({
            type: "tool_result",
            tool_use_id: block.id,
            content: block.result ?? "(no result was recorded: the session ended before the tool finished)",
            is_error: block.result === undefined ? true : (block.isError ?? false),
          });
          break;
        case "question":
          content.push({ type: "text", text: `(asked the people in the session) ${block.text}` });
          break;
      }
    }
    appendContent(messages, "assistant", content);
    appendContent(messages, "user", results);
  }
  // The API needs the conversation to open with a user message.
  if (messages[0]?.role === "assistant") messages.unshift({ role: "user", content: "(the session resumes an earlier conversation)" });
  return messages;
}
