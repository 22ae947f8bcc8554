/**
 * One request of Claude Code's to a workspace's MCP server, forwarded by the proxy: to the server's own
 * origin only, through the pinned lookup (one resolution, checked and connected to), with the server's
 * headers added here (the CLI never holds them). Both ways stream: a POST's JSON or SSE answer, a GET's SSE
 * stream, a DELETE. A redirect is handed back rewritten to the proxy when it stays on the server's origin
 * (Claude Code follows it through the proxy, checked again) and refused when it leaves it.
 */
import type {
  Agent as HttpAgent,
  IncomingHttpHeaders,
  IncomingMessage,
  OutgoingHttpHeaders,
  ServerResponse,
} from "node:http";
import { request as httpRequest } from "node:http";
import { type Agent as HttpsAgent, request as httpsRequest } from "node:https";
import type { LookupFunction } from "node:net";
import { Transform, type TransformCallback, pipeline } from "node:stream";
import { endpointRewrite } from "./sse-endpoint";
import { McpRefusal, literalRefusal } from "./pinned-lookup";

export interface ProxiedServer {
  name: string;
  /** The URL the workspace configured: its origin is the only one this server's requests go to. */
  url: URL;
  transport: "http" | "sse";
  headers: Record<string, string>;
  privateHostsAllowed: boolean;
  lookup: LookupFunction;
  /** The proxy's URL for an upstream URL on the server's origin, null for any other origin. */
  proxied(upstream: URL): string | null;
}

export interface ProxyLimits {
  /** A request's body, a response's that is not an event stream, one event of a legacy SSE stream. */
  maxBodyBytes: number;
  /** From the socket's start to its connection (and TLS handshake). */
  connectTimeoutMs: number;
  /** From the request to the response's headers: a tool call answered as JSON takes as long as the tool. */
  responseTimeoutMs: number;
}

export interface ForwardCall {
  req: IncomingMessage;
  res: ServerResponse;
  server: ProxiedServer;
  /** The upstream URL: the server's origin with the path and query Claude Code asked for. */
  target: URL;
  agents: { http: HttpAgent; https: HttpsAgent };
  limits: ProxyLimits;
  /** Aborted when the session's route closes. */
  signal: AbortSignal;
  /** What became of the request: null once the server answered, else why it failed (the session shows it). */
  outcome(problem: string | null): void;
}

const HOP_BY_HOP = new Set([
  "connection",
  "keep-alive",
  "proxy-authenticate",
  "proxy-authorization",
  "proxy-connection",
  "te",
  "trailer",
  "transfer-encoding",
  "upgrade",
]);

function withoutHopByHop(headers: IncomingHttpHeaders): OutgoingHttpHeaders {
  const named = String(headers.connection ?? "")
    .split(",")
    .map((name) => name.trim().toLowerCase());
  const kept: OutgoingHttpHeaders = {};
  for (const [name, value] of Object.entries(headers))
    if (value !== undefined && !HOP_BY_HOP.has(name) && !named.includes(name)) kept[name] = value;
  return kept;
}

/** Claude Code's headers, less what belongs to its hop, with the server's own (credentials) set last. */
function upstreamHeaders(incoming: IncomingHttpHeaders, server: ProxiedServer): OutgoingHttpHeaders {
  const headers = withoutHopByHop(incoming);
  delete headers.host;
  // The legacy stream is read here (its endpoint rewritten): no compression to undo on the way.
  headers["accept-encoding"] = "identity";
  for (const [name, value] of Object.entries(server.headers)) headers[name.toLowerCase()] = value;
  return headers;
}

/**
 * The server's headers, less its hop's. A 401's WWW-Authenticate goes too: its resource_metadata URL would
 * have Claude Code fetch a URL of the server's choosing directly, past the proxy.
 */
function downstreamHeaders(incoming: IncomingHttpHeaders): OutgoingHttpHeaders {
  const headers = withoutHopByHop(incoming);
  delete headers["www-authenticate"];
  return headers;
}

/** Passes at most `max` bytes, then fails with a refusal naming `what`. */
function byteLimit(max: number, what: string): Transform {
  let seen = 0;
  return new Transform({
    transform(chunk: Buffer, _encoding, callback: TransformCallback) {
      seen += chunk.length;
      if (seen > max) return callback(new McpRefusal(`${what} is over ${max} bytes`));
      callback(null, chunk);
    },
  });
}

export function forward(call: ForwardCall): void {
  const { req, res, server, target, limits } = call;
  const fail = (status: number, problem: string, theServers: boolean) => {
    if (theServers) call.outcome(problem);
    if (res.headersSent) return void res.destroy();
    res
      .writeHead(status, { "content-type": "text/plain; charset=utf-8", connection: "close" })
      .end(`Tandem's MCP proxy: ${problem}\n`);
  };
  const over = `a request body of Claude Code's`;
  if (Number(req.headers["content-length"] ?? 0) > limits.maxBodyBytes) {
    req.resume();
    return fail(413, `${over} is over ${limits.maxBodyBytes} bytes`, false);
  }
  const literal = literalRefusal(target, server.privateHostsAllowed);
  if (literal) {
    req.resume();
    return fail(502, literal, true);
  }
  const secure = target.protocol === "https:";
  const upstream = (secure ? httpsRequest : httpRequest)(target, {
    method: req.method,
    headers: upstreamHeaders(req.headers, server),
    agent: secure ? call.agents.https : call.agents.http,
    lookup: server.lookup,
    signal: call.signal,
  });
  let cliGone = false;
  const answerTimer = setTimeout(
    () => upstream.destroy(new Error(`no answer within ${limits.responseTimeoutMs} ms`)),
    limits.responseTimeoutMs,
  );
  /** The address the one lookup gave: where this request's connection went. */
  let address = "";
  upstream.on("socket", (socket) => {
    if (!socket.connecting) return void (address = socket.remoteAddress ?? "");
    socket.once("lookup", (_error: Error | null, answer: string) => (address = answer));
    const connectTimer = setTimeout(
      () => upstream.destroy(new Error(`no connection within ${limits.connectTimeoutMs} ms`)),
      limits.connectTimeoutMs,
    );
    socket.once(secure ? "secureConnect" : "connect", () => clearTimeout(connectTimer));
    socket.once("close", () => clearTimeout(connectTimer));
  });
  res.on("close", () => {
    clearTimeout(answerTimer);
    if (res.writableFinished) return;
    cliGone = true;
    upstream.destroy();
  });

  let tooLarge = false;
  const bodyLimit = byteLimit(limits.maxBodyBytes, over);
  bodyLimit.on("error", (error) => {
    tooLarge = true;
    upstream.destroy();
    fail(413, error.message, false);
  });
  req.pipe(bodyLimit).pipe(upstream);

  upstream.on("error", (error) => {
    clearTimeout(answerTimer);
    if (cliGone || tooLarge) return;
    // The session's route closed: Claude Code is going too.
    if (call.signal.aborted) return void res.destroy();
    const problem =
      error instanceof McpRefusal
        ? error.message
        : `${target.host}${address ? ` (${address})` : ""} could not be reached: ${error.message}`;
    fail(502, problem, true);
  });

  upstream.on("response", (answer) => {
    clearTimeout(answerTimer);
    call.outcome(null);
    const status = answer.statusCode ?? 502;
    const headers = downstreamHeaders(answer.headers);
    if (status >= 300 && status < 400 && answer.headers.location !== undefined) {
      const to = URL.canParse(answer.headers.location, target)
        ? new URL(answer.headers.location, target)
        : null;
      const proxied = to ? server.proxied(to) : null;
      if (!proxied) {
        answer.resume();
        return fail(
          502,
          `${target.host} redirected to ${to?.origin ?? "a URL that is not one"}, another origin: not followed`,
          true,
        );
      }
      headers.location = proxied;
    }
    const eventStream = String(answer.headers["content-type"] ?? "").startsWith("text/event-stream");
    if (!eventStream && Number(answer.headers["content-length"] ?? 0) > limits.maxBodyBytes) {
      answer.destroy();
      return fail(502, `${target.host} answered with a body over ${limits.maxBodyBytes} bytes`, true);
    }
    // A Streamable HTTP event stream passes as it is; the legacy one has its endpoint rewritten.
    const transform = !eventStream
      ? byteLimit(limits.maxBodyBytes, `${target.host}'s answer`)
      : server.transport === "sse"
        ? endpointRewrite({ streamUrl: target, proxied: server.proxied, maxEventBytes: limits.maxBodyBytes })
        : null;
    if (eventStream && transform) delete headers["content-length"];
    res.writeHead(status, headers);
    const done = (error: Error | null) => {
      if (error instanceof McpRefusal) call.outcome(error.message);
      if (error) res.destroy();
    };
    if (transform) pipeline(answer, transform, res, done);
    else pipeline(answer, res, done);
  });
}
