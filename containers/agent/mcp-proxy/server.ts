/**
 * The MCP proxy's HTTP server: loopback only, `/mcp/<token>/<server>/<upstream path>` under each route's
 * random token; a wrong or closed token, another path, another method or a request from a page (an Origin
 * header) all get the same 404.
 */
import { type IncomingMessage, type ServerResponse, createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { findByToken } from "../route-token";
import type { ProxyLimits } from "./forward";
import { type Resolve, systemResolve } from "./pinned-lookup";
import { McpRoute, type McpRouteOptions } from "./route";

const ROUTE_PATH = /^\/mcp\/([A-Za-z0-9_-]{1,100})\/([a-z0-9-]{1,40})(\/[^?]*)?(\?.*)?$/;
const METHODS = new Set(["GET", "POST", "DELETE"]);

export const DEFAULT_PROXY_LIMITS: ProxyLimits = {
  maxBodyBytes: 4 * 1024 * 1024,
  // As long as Claude Code waits for a server to connect (claude/options.ts' MCP_TIMEOUT).
  connectTimeoutMs: 10_000,
  responseTimeoutMs: 5 * 60_000,
};

export interface McpProxyOptions {
  /** The resolver every connection's one lookup asks: the system's by default. */
  resolve?: Resolve;
  limits?: Partial<ProxyLimits>;
  port?: number;
}

export interface McpProxy {
  /** `http://127.0.0.1:<port>`. */
  url: string;
  /** A route for one incarnation's servers; closed by its owner when the incarnation ends. */
  open(options: McpRouteOptions): McpRoute;
  close(): Promise<void>;
}

export async function startMcpProxy(options: McpProxyOptions = {}): Promise<McpProxy> {
  const routes = new Set<McpRoute>();
  const limits = { ...DEFAULT_PROXY_LIMITS, ...options.limits };
  const resolve = options.resolve ?? systemResolve;

  function serve(req: IncomingMessage, res: ServerResponse): void {
    const match = ROUTE_PATH.exec(req.url ?? "/");
    const route =
      match && METHODS.has(req.method ?? "") && req.headers.origin === undefined
        ? findByToken(routes, match[1]!)
        : null;
    if (match && route?.handle(req, res, match[2]!, match[3] ?? "/", match[4] ?? "")) return;
    req.resume();
    res.writeHead(404, { "content-type": "text/plain; charset=utf-8" }).end("not found\n");
  }

  const server = createServer(serve);
  await new Promise<void>((resolved, reject) => {
    server.once("error", reject);
    server.listen(options.port ?? 0, "127.0.0.1", () => resolved());
  });
  const origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  return {
    url: origin,
    open(routeOptions) {
      const route = new McpRoute(origin, routeOptions, {
        resolve,
        limits,
        onClose: (closed) => routes.delete(closed),
      });
      routes.add(route);
      return route;
    },
    async close() {
      for (const route of [...routes]) route.close();
      server.closeAllConnections();
      await new Promise<void>((resolved) => server.close(() => resolved()));
    },
  };
}
