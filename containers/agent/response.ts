/** Reads one model response (raw stream events) into an assistant message, emitting frames as it streams. */
import type Anthropic from "@anthropic-ai/sdk";
import { ASK_USER } from "./tools/index";
import type { OutFrame } from "./outbox";
import type { ModelStreamEvent } from "./models/types";

export interface AssistantResponse {
  content: Anthropic.ContentBlockParam[];
  toolUses: Anthropic.ToolUseBlockParam[];
  stopReason: Anthropic.StopReason | null;
  inputTokens: number;
  outputTokens: number;
  /** Prompt-cache reads and writes (billed apart from inputTokens). */
  cacheReadTokens: number;
  cacheWriteTokens: number;
}

type Building =
  | { type: "text"; text: string }
  | { type: "thinking"; thinking: string; signature: string }
  | { type: "redacted_thinking"; data: string }
  | { type: "tool_use"; id: string; name: string; json: string; input: unknown }
  | { type: "unsupported" };

function parseToolInput(json: string): unknown {
  if (!json.trim()) return {};
  try {
    return JSON.parse(json);
  } catch {
    // A response cut off by max_tokens can leave the JSON incomplete; the tool then reports invalid input.
    return { unparsed_input: json };
  }
}

function toParam(block: Building): Anthropic.ContentBlockParam | null {
  switch (block.type) {
    case "text":
      return block.text ? { type: "text", text: block.text } : null; // the API refuses empty text blocks
    case "thinking":
      return { type: "thinking", thinking: block.thinking, signature: block.signature };
    case "redacted_thinking":
      return { type: "redacted_thinking", data: block.data };
    case "tool_use":
      return { type: "tool_use", id: block.id, name: block.name, input: block.input };
    case "unsupported":
      return null;
  }
}

export async function readResponse(
  events: AsyncIterable<ModelStreamEvent>,
  messageId: string,
  emit: (frame: OutFrame) => void,
): Promise<AssistantResponse> {
  const blocks = new Map<number, Building>();
  const response: AssistantResponse = { content: [], toolUses: [], stopReason: null, inputTokens: 0, outputTokens: 0, cacheReadTokens: 0, cacheWriteTokens: 0 };
  for await (const event of events) {
    switch (event.type) {
      case "message_start":
        response.inputTokens = event.message.usage.input_tokens;
        response.outputTokens = event.message.usage.output_tokens;
        response.cacheReadTokens = event.message.usage.cache_read_input_tokens ?? 0;
        response.cacheWriteTokens = event.message.usage.cache_creation_input_tokens ?? 0;
        emit({ type: "message_start", id: messageId });
        break;
      case "content_block_start": {
        const start = event.content_block;
        const block: Building =
          start.type === "text" ? { type: "text", text: start.text }
          : start.type === "thinking" ? { type: "thinking", thinking: start.thinking, signature: start.signature ?? "" }
          : start.type === "redacted_thinking" ? { type: "redacted_thinking", data: start.data }
          : start.type === "tool_use" ? { type: "tool_use", id: start.id, name: start.name, json: "", input: {} }
          : { type: "unsupported" };
        blocks.set(event.index, block);
        if (block.type === "text" && block.text) emit({ type: "text_delta", id: messageId, text: block.text });
        break;
      }
      case "content_block_delta": {
        const block = blocks.get(event.index);
        const delta = event.delta;
        if (delta.type === "text_delta" && block?.type === "text") {
          block.text += delta.text;
          emit({ type: "text_delta", id: messageId, text: delta.text });
        } else if (delta.type === "thinking_delta" && block?.type === "thinking") {
          block.thinking += delta.thinking;
          emit({ type: "thinking_delta", id: messageId, text: delta.thinking });
        } else if (delta.type === "signature_delta" && block?.type === "thinking") {
          block.signature += delta.signature;
        } else if (delta.type === "input_json_delta" && block?.type === "tool_use") {
          block.json += delta.partial_json;
        }
        break;
      }
      case "content_block_stop": {
        const block = blocks.get(event.index);
        if (block?.type === "thinking" && block.signature) {
          emit({ type: "thinking_delta", id: messageId, text: "", signature: block.signature });
        } else if (block?.type === "tool_use") {
          block.input = parseToolInput(block.json);
          // ask_user becomes a `question` frame when it runs, not a tool block.
          if (block.name !== ASK_USER) emit({ type: "tool_use", id: block.id, messageId, name: block.name, input: block.input });
        }
        break;
      }
      case "message_delta":
        response.stopReason = event.delta.stop_reason;
        response.outputTokens = event.usage.output_tokens;
        // The final counts, where the API sends them here too.
        response.inputTokens = event.usage.input_tokens ?? response.inputTokens;
        response.cacheReadTokens = event.usage.cache_read_input_tokens ?? response.cacheReadTokens;
        response.cacheWriteTokens = event.usage.cache_creation_input_tokens ?? response.cacheWriteTokens;
        break;
      case "message_stop":
        break;
    }
  }
  for (const index of [...blocks.keys()].sort((a, b) => a - b)) {
    const param = toParam(blocks.get(index)!);
    if (!param) continue;
    response.content.push(param);
    if (param.type === "tool_use") response.toolUses.push(param);
  }
  return response;
}
