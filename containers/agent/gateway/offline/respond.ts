/**
 * The offline model's answer on the wire, exactly as the Messages API sends one: SSE events when the
 * request streams (text token by token), a whole message otherwise. Each event also goes through the usage
 * meter, so offline usage is read the same way as the API's.
 */
import type { ServerResponse } from "node:http";
import { setTimeout as sleep } from "node:timers/promises";
import type { UsageMeter } from "../usage";
import type { PlannedBlock } from "./reply";

export interface OfflineAnswer {
  id: string;
  model: string;
  blocks: PlannedBlock[];
  inputTokens: number;
}

/** The offline model's token count of a request: a quarter of its characters (as the tests' fake API counts). */
export function offlineTokens(request: { system?: unknown; messages?: unknown; tools?: unknown }): number {
  return Math.ceil(
    JSON.stringify([request.system ?? "", request.messages ?? [], request.tools ?? []]).length / 4,
  );
}

const tokensOf = (text: string) => text.match(/\s*\S+\s*|\s+/g) ?? [];

function outputTokens(blocks: PlannedBlock[]): number {
  return blocks.reduce((sum, block) => {
    if (block.type === "text") return sum + tokensOf(block.text).length;
    if (block.type === "thinking") return sum + tokensOf(block.thinking).length;
    return sum + Math.ceil(JSON.stringify(block.input).length / 4);
  }, 0);
}

const stopReason = (blocks: PlannedBlock[]) =>
  blocks.some((block) => block.type === "tool_use") ? "tool_use" : "end_turn";

function usage(answer: OfflineAnswer, output: number) {
  return {
    input_tokens: answer.inputTokens,
    output_tokens: output,
    cache_creation_input_tokens: 0,
    cache_read_input_tokens: 0,
  };
}

function startOf(block: PlannedBlock): Record<string, unknown> {
  if (block.type === "text") return { type: "text", text: "" };
  if (block.type === "thinking") return { type: "thinking", thinking: "", signature: "" };
  return { type: "tool_use", id: block.id, name: block.name, input: {} };
}

/** The block's deltas: text and thinking a token at a time (paced), a tool call's input in two halves. */
function deltasOf(block: PlannedBlock): { delta: Record<string, unknown>; paced: boolean }[] {
  if (block.type === "text")
    return tokensOf(block.text).map((text) => ({ delta: { type: "text_delta", text }, paced: true }));
  if (block.type === "thinking") {
    const thinking = tokensOf(block.thinking).map((text) => ({
      delta: { type: "thinking_delta", thinking: text },
      paced: true,
    }));
    return [...thinking, { delta: { type: "signature_delta", signature: block.signature }, paced: false }];
  }
  const json = JSON.stringify(block.input);
  const half = Math.ceil(json.length / 2);
  return [json.slice(0, half), json.slice(half)].map((partial_json) => ({
    delta: { type: "input_json_delta", partial_json },
    paced: false,
  }));
}

export async function writeStream(
  res: ServerResponse,
  answer: OfflineAnswer,
  meter: UsageMeter,
  options: { tokenDelayMs: number; signal: AbortSignal },
): Promise<void> {
  const send = (data: Record<string, unknown> & { type: string }) => {
    if (options.signal.aborted) throw options.signal.reason;
    res.write(`event: ${data.type}\ndata: ${JSON.stringify(data)}\n\n`);
    meter.readEvent(data);
  };
  res.writeHead(200, {
    "content-type": "text/event-stream; charset=utf-8",
    "cache-control": "no-cache",
    "request-id": answer.id.replace(/^msg_/, "req_"),
  });
  const message = {
    id: answer.id,
    type: "message",
    role: "assistant",
    model: answer.model,
    content: [],
    stop_reason: null,
    stop_sequence: null,
  };
  send({ type: "message_start", message: { ...message, usage: usage(answer, 1) } });
  send({ type: "ping" });
  for (const [index, block] of answer.blocks.entries()) {
    send({ type: "content_block_start", index, content_block: startOf(block) });
    for (const { delta, paced } of deltasOf(block)) {
      if (paced && options.tokenDelayMs > 0) await sleep(options.tokenDelayMs);
      send({ type: "content_block_delta", index, delta });
    }
    send({ type: "content_block_stop", index });
  }
  send({
    type: "message_delta",
    delta: { stop_reason: stopReason(answer.blocks), stop_sequence: null },
    usage: { output_tokens: outputTokens(answer.blocks) },
  });
  send({ type: "message_stop" });
  res.end();
}

export function writeMessage(res: ServerResponse, answer: OfflineAnswer, meter: UsageMeter): void {
  const message = {
    id: answer.id,
    type: "message",
    role: "assistant",
    model: answer.model,
    content: answer.blocks,
    stop_reason: stopReason(answer.blocks),
    stop_sequence: null,
    usage: usage(answer, outputTokens(answer.blocks)),
  };
  meter.readMessage(message);
  res.writeHead(200, {
    "content-type": "application/json",
    "request-id": answer.id.replace(/^msg_/, "req_"),
  });
  res.end(JSON.stringify(message));
}
