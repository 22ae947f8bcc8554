/**
 * A strict fake of Anthropic's Messages API, for every test, bench and stack that needs a model: it speaks
 * the real protocol to the real clients (the SDK, Claude Code) and refuses what the real API refuses, with
 * its status, error shape and message (./anthropic-refusals.ts: sampling parameters under API version
 * 2026-10-21, a thinking type or effort the model does not take, max_tokens over the model's maximum, an
 * unknown or retired model), so a request that drifts from the API fails a test instead of production.
 *
 *     const api = await startFakeAnthropic();            // knows the built-in catalog's live models
 *     api.enqueue(fake.message(fake.text("Hello")));     // one scripted answer per request, in order
 *     // point the client at api.url (baseURL / ANTHROPIC_BASE_URL), any non-empty key
 *     expect(api.refusals).toEqual([]);                  // nothing the real API would refuse was sent
 *     await api.close();
 *
 * Routes: `POST /v1/messages` and `POST /v1/messages/count_tokens`, each with or without a query string
 * (Claude Code calls `/v1/messages?beta=true`). The key may come as `x-api-key` or `Authorization: Bearer`.
 * A message streams as the API's server-sent events when the request says `stream: true`, else comes back
 * as one JSON message. count_tokens answers `{input_tokens}`: `fakeTokens(body)`, a quarter of the
 * characters of the request's system, messages and tools as JSON. With a context window set (per test), a
 * longer request is refused as the API refuses it (400 "prompt is too long: N tokens > W maximum") before
 * any scripted response is used. Every request is recorded, refused or not.
 */
import { createServer, type IncomingHttpHeaders, type IncomingMessage, type ServerResponse } from "node:http";
import { CATALOG, type Catalog } from "@tandem/protocol/models";
import { bodyRefusal, headerRefusal, type Refusal } from "./anthropic-refusals";
import {
  type FakeBlock,
  type FakeMessage,
  messageEvents,
  messageJSON,
  sendError,
  sendStream,
  type SentListener,
} from "./anthropic-stream";

export type { FakeBlock, SentListener } from "./anthropic-stream";
export { API_VERSIONS, SDK_API_VERSION, type Refusal } from "./anthropic-refusals";

export type FakeResponse = (
  | FakeMessage
  | { kind: "error"; status: number; type?: string; message?: string; retryAfterMs?: number }
  /** A stream that starts fine then sends an SSE `error` event (e.g. overloaded mid-response). */
  | { kind: "stream_error"; type: string; message: string }
) & {
  /**
   * Answers only a request whose last message holds this text; others pass it by. Claude Code sends
   * requests of its own (a "Hi" to the new model on a model switch), which would otherwise take a
   * scripted turn meant for the next message.
   */
  answers?: string;
};

/** A request as it arrived: the parsed JSON body, the headers, and the path with its query string. */
export interface RecordedRequest {
  body: {
    model: string;
    max_tokens: number;
    temperature?: number;
    top_p?: number;
    top_k?: number;
    thinking?: { type: string; budget_tokens?: number; display?: string };
    output_config?: { effort?: string | null; format?: unknown };
    system?: unknown;
    stream?: boolean;
    tools?: { name: string }[];
    messages: { role: "user" | "assistant"; content: string | Record<string, unknown>[] }[];
  };
  headers: IncomingHttpHeaders;
  path: string;
}

/** A request the fake refused as the real API would, and why. */
export interface RecordedRefusal extends Refusal {
  request: RecordedRequest;
}

type Script = FakeResponse | ((request: RecordedRequest) => FakeResponse);

export interface FakeAnthropicOptions {
  /** Called as each SSE event is written (benchmarks take a token's send time from here). */
  onSent?: SentListener;
  /** The models the API knows, with their capabilities. Default: the built-in catalog. */
  catalog?: Catalog;
  /** The clock that retires models past their end of life. Default: the real one. */
  now?: () => number;
  /** The API keys accepted. Default: any non-empty key. */
  apiKeys?: readonly string[];
  /**
   * Serve the fake's own controls beside the API, for a test in another process (the e2e stack): `POST
   * /_fake/enqueue` (a JSON array of FakeResponse), `GET /_fake/requests` and `GET /_fake/refusals`.
   */
  controls?: boolean;
}

export interface FakeAnthropic {
  /** Base URL for the SDK (`baseURL` / ANTHROPIC_BASE_URL). */
  url: string;
  /** Create-message requests (count_tokens ones are not kept), refused ones included. */
  requests: RecordedRequest[];
  /** Requests refused as the real API refuses them: a test that expects none asserts this is empty. */
  refusals: RecordedRefusal[];
  /** Queues responses, consumed one per accepted request in order. */
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
  error: (status: number, message = `fake error ${status}`, type?: string): FakeResponse => ({
    kind: "error",
    status,
    message,
    type,
  }),
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

function parse(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

export async function startFakeAnthropic(options: FakeAnthropicOptions = {}): Promise<FakeAnthropic> {
  const catalog = options.catalog ?? CATALOG;
  const now = options.now ?? Date.now;
  const queue: Script[] = [];
  const requests: RecordedRequest[] = [];
  const refusals: RecordedRefusal[] = [];
  const window = { contextWindow: null as number | null, countScale: 1, counts: 0, overflows: 0 };

  const refuse = (res: ServerResponse, refusal: Refusal, request: RecordedRequest) => {
    refusals.push({ ...refusal, request });
    sendError(res, refusal.status, refusal.type, refusal.message);
  };

  const control = (req: IncomingMessage, res: ServerResponse, text: string) => {
    const reply = (body: unknown) =>
      res.writeHead(200, { "content-type": "application/json" }).end(JSON.stringify(body));
    if (req.method === "POST" && req.url === "/_fake/enqueue") {
      queue.push(...(JSON.parse(text) as FakeResponse[]));
      return reply({ pending: queue.length });
    }
    if (req.url === "/_fake/requests")
      return reply({ requests: requests.map(({ body, path }) => ({ body, path })) });
    if (req.url === "/_fake/refusals")
      return reply({
        refusals: refusals.map(({ status, type, message, request }) => ({
          status,
          type,
          message,
          body: request.body,
        })),
      });
    sendError(res, 404, "not_found_error", `fake anthropic: no control ${req.method} ${req.url}`);
  };

  const answer = (req: IncomingMessage, res: ServerResponse, text: string) => {
    const path = req.url ?? "/";
    const route = path.split("?")[0];
    if (options.controls && route.startsWith("/_fake/")) return control(req, res, text);
    if (req.method !== "POST" || (route !== "/v1/messages" && route !== "/v1/messages/count_tokens")) {
      return sendError(res, 404, "not_found_error", `fake anthropic: no route ${req.method} ${path}`);
    }
    const counting = route === "/v1/messages/count_tokens";
    const parsed = parse(text);
    const recorded: RecordedRequest = { body: parsed as RecordedRequest["body"], headers: req.headers, path };
    if (!counting) requests.push(recorded);
    const refusal =
      headerRefusal(req.headers, options.apiKeys ?? null) ??
      bodyRefusal(parsed, {
        catalog,
        now: now(),
        version: String(req.headers["anthropic-version"]),
        counting,
      });
    if (refusal) return refuse(res, refusal, recorded);
    const tokens = fakeTokens(recorded.body);
    if (counting) {
      window.counts++;
      res.writeHead(200, { "content-type": "application/json" });
      return void res.end(JSON.stringify({ input_tokens: Math.ceil(tokens * window.countScale) }));
    }
    if (window.contextWindow !== null && tokens > window.contextWindow) {
      window.overflows++;
      return sendError(
        res,
        400,
        "invalid_request_error",
        `prompt is too long: ${tokens} tokens > ${window.contextWindow} maximum`,
      );
    }
    const last = JSON.stringify(recorded.body.messages?.at(-1) ?? null);
    const at = queue.findIndex(
      (script) =>
        typeof script === "function" || script.answers === undefined || last.includes(script.answers),
    );
    const script = at < 0 ? undefined : queue.splice(at, 1)[0];
    const response = typeof script === "function" ? script(recorded) : script;
    if (!response)
      return sendError(res, 400, "invalid_request_error", "fake anthropic: no scripted response left");
    if (response.kind === "error") {
      return sendError(
        res,
        response.status,
        response.type ?? ERROR_TYPES[response.status] ?? "api_error",
        response.message ?? `fake error ${response.status}`,
        response.retryAfterMs,
      );
    }
    const model = recorded.body.model;
    if (response.kind === "stream_error") {
      const start = messageEvents({ kind: "message", content: [] }, model).slice(0, 2);
      return void sendStream(
        res,
        [...start, ["error", { type: "error", error: { type: response.type, message: response.message } }]],
        0,
      );
    }
    // With a window set, the input tokens a response reports are the fake's count of the request.
    const sized =
      window.contextWindow !== null && !response.usage
        ? { ...response, usage: { input_tokens: tokens, output_tokens: 10 } }
        : response;
    if (recorded.body.stream !== true) {
      res.writeHead(200, { "content-type": "application/json" });
      return void res.end(JSON.stringify(messageJSON(sized, model)));
    }
    void sendStream(res, messageEvents(sized, model), response.eventDelayMs ?? 0, options.onSent);
  };

  const server = createServer((req, res) => {
    const parts: Buffer[] = [];
    req.on("data", (chunk: Buffer) => parts.push(chunk));
    req.on("end", () => answer(req, res, Buffer.concat(parts).toString("utf8")));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const address = server.address();
  const port = typeof address === "object" && address ? address.port : 0;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    refusals,
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
