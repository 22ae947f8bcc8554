/** Builders for the Messages API's raw stream events, so a local model can speak the same stream. */
import type Anthropic from "@anthropic-ai/sdk";
import type { ModelStreamEvent } from "./types";

export type PlannedBlock = { type: "text"; text: string } | { type: "tool_use"; id: string; name: string; input: unknown };

function usage(inputTokens: number, outputTokens: number): Anthropic.Usage {
  return {
    input_tokens: inputTokens,
    output_tokens: outputTokens,
    cache_creation: null,
    cache_creation_input_tokens: null,
    cache_read_input_tokens: null,
    inference_geo: null,
    output_tokens_details: null,
    server_tool_use: null,
    service_tier: null,
    speed: null,
  };
}

export function messageStart(id: string, model: string, inputTokens: number): ModelStreamEvent {
  return {
    type: "message_start",
    message: {
      id,
      type: "message",
      role: "assistant",
      model,
      content: [],
      container: null,
      diagnostics: null,
      stop_details: null,
      stop_reason: null,
      stop_sequence: null,
      usage: usage(inputTokens, 0),
    },
  };
}

export function blockStart(index: number, block: PlannedBlock): ModelStreamEvent {
  const content_block: Anthropic.RawContentBlockStartEvent["content_block"] =
    block.type === "text"
      ? { type: "text", text: "", citations: null }
      : { type: "tool_use", id: block.id, name: block.name, input: {}, caller: { type: "direct" } };
  return { type: "content_block_start", index, content_block };
}

export function textDelta(index: number, text: string): ModelStreamEvent {
  return { type: "content_block_delta", index, delta: { type: "text_delta", text } };
}

export function inputJsonDelta(index: number, partialJson: string): ModelStreamEvent {
  return { type: "content_block_delta", index, delta: { type: "input_json_delta", partial_json: partialJson } };
}

export function blockStop(index: number): ModelStreamEvent {
  return { type: "content_block_stop", index };
}

export function messageDelta(stopReason: Anthropic.StopReason, outputTokens: number): ModelStreamEvent {
  return {
    type: "message_delta",
    delta: { stop_reason: stopReason, stop_sequence: null, container: null, stop_details: null },
    usage: {
      output_tokens: outputTokens,
      input_tokens: null,
      cache_creation_input_tokens: null,
      cache_read_input_tokens: null,
      output_tokens_details: null,
      server_tool_use: null,
    },
  };
}

export function messageStop(): ModelStreamEvent {
  return { type: "message_stop" };
}
