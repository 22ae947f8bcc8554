/**
 * The fake Messages API's answers as the API sends them: a message as its server-sent events (`stream:
 * true`) or as one JSON object (no `stream`), and the API's error shape.
 */
import type { ServerResponse } from "node:http";

export type FakeBlock =
  | { type: "text"; text: string; chunks?: string[] }
  | { type: "thinking"; thinking: string; signature: string }
  | { type: "tool_use"; id: string; name: string; input: unknown };

export type StopReason = "end_turn" | "tool_use" | "max_tokens" | "stop_sequence" | "refusal";

export interface FakeUsage {
  input_tokens: number;
  output_tokens: number;
  cache_read_input_tokens?: number;
  cache_creation_input_tokens?: number;
}

export interface FakeMessage {
  kind: "message";
  content: FakeBlock[];
  /** Default: tool_use when a tool_use block is present, else end_turn. */
  stopReason?: StopReason;
  usage?: FakeUsage;
  /** Pause between SSE events, to make streaming observable. */
  eventDelayMs?: number;
}

let counter = 0;
export const requestId = () => `req_fake_${(++counter).toString().padStart(6, "0")}`;

/** Writes the API's error shape: `{type:"error", error:{type, message}, request_id}` with its status. */
export function sendError(
  res: ServerResponse,
  status: number,
  type: string,
  message: string,
  retryAfterMs?: number,
): void {
  const id = requestId();
  const headers: Record<string, string> = { "content-type": "application/json", "request-id": id };
  // Real responses say `retry-after` in seconds; the millisecond variant (honoured by the SDK) keeps tests fast.
  if (status === 429 || status >= 500) headers["retry-after-ms"] = String(retryAfterMs ?? 1);
  res.writeHead(status, headers);
  res.end(JSON.stringify({ type: "error", error: { type, message }, request_id: id }));
}

function chunksOf(text: string): string[] {
  return text.match(/\s*\S+\s*|\s+/g) ?? [text];
}

const usageOf = (response: FakeMessage): FakeUsage =>
  response.usage ?? { input_tokens: 25, output_tokens: 10 };
const stopReasonOf = (response: FakeMessage): StopReason =>
  response.stopReason ??
  (response.content.some((block) => block.type === "tool_use") ? "tool_use" : "end_turn");

function startUsage(usage: FakeUsage) {
  return {
    input_tokens: usage.input_tokens,
    output_tokens: 1,
    cache_creation_input_tokens: usage.cache_creation_input_tokens ?? 0,
    cache_read_input_tokens: usage.cache_read_input_tokens ?? 0,
  };
}

/** The SSE events of one message, exactly as the Messages API streams them. */
export function messageEvents(response: FakeMessage, model: string): [string, unknown][] {
  const message = {
    id: `msg_fake_${++counter}`,
    type: "message",
    role: "assistant",
    model,
    content: [],
    stop_reason: null,
    stop_sequence: null,
  };
  const events: [string, unknown][] = [
    [
      "message_start",
      { type: "message_start", message: { ...message, usage: startUsage(usageOf(response)) } },
    ],
    ["ping", { type: "ping" }],
  ];
  const delta = (index: number, value: Record<string, unknown>) =>
    events.push(["content_block_delta", { type: "content_block_delta", index, delta: value }]);
  response.content.forEach((block, index) => {
    if (block.type === "text") {
      events.push([
        "content_block_start",
        { type: "content_block_start", index, content_block: { type: "text", text: "" } },
      ]);
      for (const text of block.chunks ?? chunksOf(block.text)) delta(index, { type: "text_delta", text });
    } else if (block.type === "thinking") {
      events.push([
        "content_block_start",
        {
          type: "content_block_start",
          index,
          content_block: { type: "thinking", thinking: "", signature: "" },
        },
      ]);
      for (const thinking of chunksOf(block.thinking)) delta(index, { type: "thinking_delta", thinking });
      delta(index, { type: "signature_delta", signature: block.signature });
    } else {
      events.push([
        "content_block_start",
        {
          type: "content_block_start",
          index,
          content_block: { type: "tool_use", id: block.id, name: block.name, input: {} },
        },
      ]);
      const json = JSON.stringify(block.input);
      const mid = Math.floor(json.length / 2);
      for (const partial_json of ["", json.slice(0, mid), json.slice(mid)])
        delta(index, { type: "input_json_delta", partial_json });
    }
    events.push(["content_block_stop", { type: "content_block_stop", index }]);
  });
  events.push([
    "message_delta",
    {
      type: "message_delta",
      delta: { stop_reason: stopReasonOf(response), stop_sequence: null },
      usage: { output_tokens: usageOf(response).output_tokens },
    },
  ]);
  events.push(["message_stop", { type: "message_stop" }]);
  return events;
}

/** The same message as the non-streaming answer's JSON. */
export function messageJSON(response: FakeMessage, model: string): unknown {
  const usage = usageOf(response);
  return {
    id: `msg_fake_${++counter}`,
    type: "message",
    role: "assistant",
    model,
    content: response.content.map(({ ...block }) => {
      if (block.type === "text") return { type: "text", text: block.text };
      return block;
    }),
    stop_reason: stopReasonOf(response),
    stop_sequence: null,
    usage: { ...startUsage(usage), output_tokens: usage.output_tokens },
  };
}

/** Called as each SSE event is written: benchmarks take a token's send time from here. */
export type SentListener = (event: string, data: unknown) => void;

export async function sendStream(
  res: ServerResponse,
  events: [string, unknown][],
  delayMs: number,
  onSent?: SentListener,
): Promise<void> {
  res.writeHead(200, {
    "content-type": "text/event-stream",
    "cache-control": "no-cache",
    "request-id": requestId(),
  });
  for (const [event, data] of events) {
    if (delayMs > 0) await new Promise((resolve) => setTimeout(resolve, delayMs));
    res.write(`event: ${event}\ndata: ${JSON.stringify(data)}\n\n`);
    onSent?.(event, data);
  }
  res.end();
}
