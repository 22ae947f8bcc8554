/**
 * A fake Anthropic Messages API for tests: `POST /v1/messages` answers with the API's exact streaming
 * SSE (or its JSON error shape), scripted per test, and records every request body the SDK sent.
 * `POST /v1/messages/count_tokens` answers `{input_tokens}`. With a context window set (per test), a
 * request whose input is longer is refused as the API refuses it (400 invalid_request_error "prompt is
 * too long: N tokens > W maximum"), before any scripted response is used. Its tokens are
 * `fakeTokens(body)`: a quarter of the characters of the request's system, messages and tools as JSON.
 */
import { type IncomingHttpHeaders, type ServerResponse, createServer } from "node:http";

export type FakeBlock =
  | { type: "text"; text: string; chunks?: string[] }
  | { type: "thinking"; thinking: string; signature: string }
  | { type: "tool_use"; id: string; name: string; input: unknown };

export type FakeResponse =
  | {
      kind: "message";
      content: FakeBlock[];
      /** Default: tool_use when a tool_use block is present, else end_turn. */
      stopReason?: "end_turn" | "tool_use" | "max_tokens" | "stop_sequence" | "refusal";
      usage?: { input_tokens: number; output_tokens: number; cache_read_input_tokens?: number; cache_creation_input_tokens?: number };
      /** Pause between SSE events, to make streaming observable. */
      eventDelayMs?: number;
    }
  | { kind: "error"; status: number; type?: string; message?: string; retryAfterMs?: number }
  /** A stream that starts fine then sends an SSE `error` event (e.g. overloaded mid-response). */
  | { kind: "stream_error"; type: string; message: string };

/** What the SDK sent: the parsed JSON body and the headers. */
export interface RecordedRequest {
  body: {
    model: string;
    max_tokens: number;
    temperature?: number;
    thinking?: { type: string; budget_tokens?: number };
    system?: unknown;
    stream?: boolean;
    tools?: { name: string }[];
    messages: { role: "user" | "assistant"; content: string | Record<string, unknown>[] }[];
  };
  headers: IncomingHttpHeaders;
}

type Script = FakeResponse | ((request: RecordedRequest) => FakeResponse);

export interface FakeAnthropic {
  /** Base URL for the SDK (`baseURL` / ANTHROPIC_BASE_URL). */
  url: string;
  requests: RecordedRequest[];
  /** Queues responses, consumed one per request in order. */
  enqueue(...responses: Script[]): void;
  /** Responses still queued. */
  readonly pending: number;
  /** The context window enforced from now on (null: none, the default). */
  contextWindow: number | null;
  /** count_tokens answers this share of the true count (1 by default): below 1 it under-counts, so an overflow gets through. */
  countScale: number;
  /** count_tokens requests answered. */
  readonly counts: number;
  /** Requests refused as longer than the context window. */
  readonly overflows: number;
  close(): Promise<void>;
}

/** The fake's token count of a request: what count_tokens answers and the context window is checked against. */
export function fakeTokens(body: { system?: unknown; messages?: unknown; tools?: unknown }): number {
  return Math.ceil(JSON.stringify([body.system ?? "", body.messages ?? [], body.tools ?? []]).length / 4);
}

export const fake = {
  text: (text: string, chunks?: string[]): FakeBlock => ({ type: "text", text, chunks }),
  thinking: (thinking: string, signature: string): FakeBlock => ({ type: "thinking", thinking, signature }),
  toolUse: (id: string, name: string, input: unknown): FakeBlock => ({ type: "tool_use", id, name, input }),
  message: (...content: FakeBlock[]): FakeResponse => ({ kind: "message", content }),
  error: (status: number, message = `fake error ${status}`, type?: string): FakeResponse => ({ kind: "error", status, message, type }),
};

const ERROR_TYPES: Record<number, string> = {
  400: "invalid_request_error",
  401: "authentication_error",
  403: "permission_error",
  404: "not_found_error",
  413: "request_too_large",
  429: "rate_limit_error",
  500: "api_error",
  529: "overloaded_error",
};

let requestCounter = 0;
const requestId = () => `req_fake_${(++requestCounter).toString().padStart(6, "0")}`;

function sendError(res: ServerResponse, response: Extract<FakeResponse, { kind: "error" }>): void {
  const id = requestId();
  const headers: Record<string, string> = { "content-type": "application/json", "request-id": id };
  // Real responses say `retry-after` in seconds; the millisecond variant (honoured by the SDK) keeps tests fast.
  if (response.status === 429 || response.status >= 500) headers["retry-after-ms"] = String(response.retryAfterMs ?? 1);
  res.writeHead(response.status, headers);
  res.end(
    JSON.stringify({
      type: "error",
      error: { type: response.type ?? ERROR_TYPES[response.status] ?? "api_error", message: response.message ?? `fake error ${response.status}` },
      request_id: id,
    }),
  );
}

function chunksOf(text: string): string[] {
  return text.match(/\s*\S+\s*|\s+/g) ?? [text];
}

/** The SSE events of one message, exactly as the Messages API streams them. */
function messageEvents(response: Extract<FakeResponse, { kind: "message" }>, model: string): [string, unknown][] {
  const usage = response.usage ?? { input_tokens: 25, output_tokens: 10 };
  const hasTool = response.content.some((b) => b.type === "tool_use");
  const events: [string, unknown][] = [
    [
      "message_start",
      {
        type: "message_start",
        message: {
          id: `msg_fake_${++requestCounter}`,
          type: "message",
          role: "assistant",
          model,
          content: [],
          stop_reason: null,
          stop_sequence: null,
          usage: {
            input_tokens: usage.input_tokens,
            output_tokens: 1,
            cache_creation_input_tokens: usage.cache_creation_input_tokens ?? 0,
            cache_read_input_tokens: usage.cache_read_input_tokens ?? 0,
          },
        },
      },
    ],
    ["ping", { type: "ping" }],
  ];
  response.content.forEach((block, index) => {
    if (block.type === "text") {
      events.push(["content_block_start", { type: "content_block_start", index, content_block: { type: "text", text: "" } }]);
      for (const text of block.chunks ?? chunksOf(block.text)) {
        events.push(["content_block_delta", { type: "content_block_delta", index, delta: { type: "text_delta", text } }]);
      }
    } else if (block.type === "thinking") {
      events.push(["content_block_start", { type: "content_block_start", index, content_block: { type: "thinking", thinking: "", signature: "" } }]);
      for (const thinking of chunksOf(block.thinking)) {
        events.push(["content_block_delta", { type: "content_block_delta", index, delta: { type: "thinking_delta", thinking } }]);
      }
      events.push(["content_block_delta", { type: "content_block_delta", index, delta: { type: "signature_delta", signature: block.signature } }]);
    } else {
      events.push(["content_block_start", { type: "content_block_start", index, content_block: { type: "tool_use", id: block.id, name: block.name, input: {} } }]);
      const json = JSON.stringify(block.input);
      const mid = Math.floor(json.length / 2);
      for (const partial_json of ["", json.slice(0, mid), json.slice(mid)]) {
        events.push(["content_block_delta", { type: "content_block_delta", index, delta: { type: "input_json_delta", partial_json } }]);
      }
    }
    events.push(["content_block_stop", { type: "content_block_stop", index }]);
  });
  events.push([
    "message_delta",
    {
      type: "message_delta",
      delta: { stop_reason: response.stopReason ?? (hasTool ? "tool_use" : "end_turn"), stop_sequence: null },
      usage: { output_tokens: usage.output_tokens },
    },
  ]);
  events.push(["message_stop", { type: "message_stop" }]);
  return events;
}

/** Called as each SSE event is written: benchmarks take a token's send time from here. */
export type SentListener = (event: string, data: unknown) => void;

async function sendStream(res: ServerResponse, events: [string, unknown][], delayMs: number, onSent?: SentListener): Promise<void> {
  res.writeHead(200, { "content-type": "text/event-stream", "cache-control": "no-cache", "request-id": requestId() });
  for (const [event, data] of events) {
    if (delayMs > 0) await new Promise((resolve) => setTimeout(resolve, delayMs));
    res.write(`event: ${event}\ndata: ${JSON.stringify(data)}\n\n`);
    onSent?.(event, data);
  }
  res.end();
}

export async function startFakeAnthropic(options: { onSent?: SentListener } = {}): Promise<FakeAnthropic> {
  const queue: Script[] = [];
  const requests: RecordedRequest[] = [];
  const window = { contextWindow: null as number | null, countScale: 1, counts: 0, overflows: 0 };
  const server = createServer((req, res) => {
    const parts: Buffer[] = [];
    req.on("data", (chunk: Buffer) => parts.push(chunk));
    req.on("end", () => {
      if (req.method === "POST" && req.url?.split("?")[0] === "/v1/messages/count_tokens") {
        window.counts++;
        const tokens = fakeTokens(JSON.parse(Buffer.concat(parts).toString("utf8")) as RecordedRequest["body"]);
        res.writeHead(200, { "content-type": "application/json", "request-id": requestId() });
        return void res.end(JSON.stringify({ input_tokens: Math.ceil(tokens * window.countScale) }));
      }
      if (req.method !== "POST" || !req.url?.startsWith("/v1/messages")) {
        return sendError(res, { kind: "error", status: 404, message: `fake anthropic: no route ${req.method} ${req.url}` });
      }
      const recorded: RecordedRequest = { body: JSON.parse(Buffer.concat(parts).toString("utf8")), headers: req.headers };
      requests.push(recorded);
      const tokens = fakeTokens(recorded.body);
      if (window.contextWindow !== null && tokens > window.contextWindow) {
        window.overflows++;
        return sendError(res, { kind: "error", status: 400, type: "invalid_request_error", message: `prompt is too long: ${tokens} tokens > ${window.contextWindow} maximum` });
      }
      const script = queue.shift();
      const response = typeof script === "function" ? script(recorded) : script;
      if (!response) return sendError(res, { kind: "error", status: 400, message: "fake anthropic: no scripted response left" });
      if (response.kind === "error") return sendError(res, response);
      if (response.kind === "stream_error") {
        const start = messageEvents({ kind: "message", content: [] }, recorded.body.model).slice(0, 2);
        return void sendStream(res, [...start, ["error", { type: "error", error: { type: response.type, message: response.message } }]], 0);
      }
      // With a window set, the input tokens a response reports are the fake's count of the request.
      const sized = window.contextWindow !== null && !response.usage ? { ...response, usage: { input_tokens: tokens, output_tokens: 10 } } : response;
      void sendStream(res, messageEvents(sized, recorded.body.model), response.eventDelayMs ?? 0, options.onSent);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const address = server.address();
  const port = typeof address === "object" && address ? address.port : 0;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    enqueue: (...responses) => void queue.push(...responses),
    get pending() {
      return queue.length;
    },
    get contextWindow() {
      return window.contextWindow;
    },
    set contextWindow(tokens: number | null) {
      window.contextWindow = tokens;
    },
    get countScale() {
      return window.countScale;
    },
    set countScale(scale: number) {
      window.countScale = scale;
    },
    get counts() {
      return window.counts;
    },
    get overflows() {
      return window.overflows;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
