/**
 * Forwarding to the real Messages API: the installed SDK makes the request (its authentication header, its
 * `anthropic-version`), with no retries of its own (Claude Code retries as it does against the API), and the
 * response goes back to the CLI unbuffered, byte for byte, while its usage is read from the passing stream.
 */
import { once } from "node:events";
import type { IncomingHttpHeaders, ServerResponse } from "node:http";
import Anthropic from "@anthropic-ai/sdk";
import { createParser } from "eventsource-parser";
import { ApiError, errorTypeOf } from "./api-error";
import type { GatewayUpstream } from "./types";
import type { UsageMeter } from "./usage";

/** Headers of the API's answer that the CLI acts on (retries, rate limits); nothing else is passed back. */
const PASSED_BACK =
  /^(content-type|request-id|retry-after|retry-after-ms|x-should-retry|anthropic-ratelimit-.*)$/;
/** As long as the CLI itself waits (its x-stainless-timeout is 600 s); a longer stream is still read to its end. */
const TIMEOUT_MS = 10 * 60 * 1000;

export function upstreamClient(upstream: GatewayUpstream): Anthropic {
  // authToken null: a host's ANTHROPIC_AUTH_TOKEN must never ride along with the session's key.
  return new Anthropic({
    apiKey: upstream.apiKey,
    authToken: null,
    baseURL: upstream.baseURL,
    maxRetries: 0,
    timeout: TIMEOUT_MS,
  });
}

export interface ForwardedRequest {
  path: "/v1/messages" | "/v1/messages/count_tokens";
  query: URLSearchParams;
  body: Record<string, unknown>;
  headers: IncomingHttpHeaders;
  signal: AbortSignal;
  /** Reads the response's usage; absent for count_tokens, which generates nothing. */
  meter?: UsageMeter;
}

function passedBack(headers: Headers): Record<string, string> {
  return Object.fromEntries([...headers.entries()].filter(([name]) => PASSED_BACK.test(name)));
}

/** The API's refusal as the CLI must see it: its status, its own body when it has the API's shape. */
function refusalOf(error: InstanceType<typeof Anthropic.APIError>): {
  error: ApiError;
  headers: Record<string, string>;
} {
  const status = error.status ?? 502;
  const body: unknown = error.error;
  const inner = typeof body === "object" && body !== null && "error" in body ? body.error : null;
  const type =
    typeof inner === "object" && inner !== null && "type" in inner && typeof inner.type === "string"
      ? inner.type
      : errorTypeOf(status);
  const message =
    typeof inner === "object" && inner !== null && "message" in inner && typeof inner.message === "string"
      ? inner.message
      : error.message;
  return {
    error: new ApiError(status, type, message),
    headers: error.headers ? passedBack(error.headers) : {},
  };
}

async function pipeBody(
  response: Response,
  res: ServerResponse,
  meter: UsageMeter | undefined,
  signal: AbortSignal,
): Promise<void> {
  const streamed = (response.headers.get("content-type") ?? "").startsWith("text/event-stream");
  const parser = createParser({
    onEvent: (event) => {
      try {
        meter?.readEvent(JSON.parse(event.data));
      } catch {
        // Not JSON: nothing to count in it; the CLI still gets it as it came.
      }
    },
  });
  const decoder = new TextDecoder();
  const whole: Uint8Array[] = [];
  const reader = response.body?.getReader();
  while (reader) {
    const { done, value } = await reader.read();
    if (done) break;
    // A CLI that reads slowly slows the read from the API; one that went away aborts the wait.
    if (!res.write(value)) await once(res, "drain", { signal });
    if (streamed) parser.feed(decoder.decode(value, { stream: true }));
    else whole.push(value);
  }
  if (!streamed && meter) {
    try {
      meter.readMessage(JSON.parse(Buffer.concat(whole).toString("utf8")));
    } catch {
      // A body that is not a message counts nothing.
    }
  }
}

/**
 * Sends the request upstream and the answer back to the CLI. Returns the error the CLI got (an API
 * refusal, an unreachable API, a stream broken midway or carrying an `error` event), or null: success, or
 * an abort (the route closed or the CLI went away), which the caller knows by its signal.
 */
export async function forward(
  client: Anthropic,
  request: ForwardedRequest,
  res: ServerResponse,
): Promise<ApiError | null> {
  const beta = request.headers["anthropic-beta"];
  let response: Response;
  try {
    response = await client
      .post(request.path, {
        body: request.body,
        // Only the beta switch Claude Code sets (`?beta=true`) goes on; any other query parameter stays here.
        query: request.query.has("beta") ? { beta: request.query.get("beta") } : {},
        headers: beta ? { "anthropic-beta": Array.isArray(beta) ? beta.join(",") : beta } : {},
        stream: request.body.stream === true,
        signal: request.signal,
      })
      .asResponse();
  } catch (error) {
    if (request.signal.aborted) return null;
    if (error instanceof Anthropic.APIError && error.status !== undefined) {
      const refusal = refusalOf(error);
      res.writeHead(refusal.error.status, { ...refusal.headers, "content-type": "application/json" });
      res.end(JSON.stringify(refusal.error.body));
      return refusal.error;
    }
    const unreachable = new ApiError(
      502,
      "api_error",
      `The gateway cannot reach the Anthropic API: ${error instanceof Error ? error.message : String(error)}`,
    );
    res.writeHead(unreachable.status, { "content-type": "application/json" });
    res.end(JSON.stringify(unreachable.body));
    return unreachable;
  }
  res.writeHead(response.status, passedBack(response.headers));
  res.flushHeaders();
  try {
    await pipeBody(response, res, request.meter, request.signal);
  } catch (error) {
    if (request.signal.aborted) return null;
    // The API's own way to fail mid-stream: an SSE error event, then the end.
    const broken = new ApiError(
      502,
      "api_error",
      `The connection to the Anthropic API broke mid-response: ${error instanceof Error ? error.message : String(error)}`,
    );
    res.end(`event: error\ndata: ${JSON.stringify(broken.body)}\n\n`);
    return broken;
  }
  res.end();
  const streamError = request.meter?.streamError;
  if (streamError) return new ApiError(statusOfType(streamError.type), streamError.type, streamError.message);
  return null;
}

/** The status the API gives an error type, for an error that arrived as an SSE event (status 200 already sent). */
function statusOfType(type: string): number {
  for (const status of [400, 401, 402, 403, 404, 413, 429, 500, 504, 529])
    if (errorTypeOf(status) === type) return status;
  return 500;
}
