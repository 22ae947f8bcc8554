/**
 * The model gateway's HTTP server: loopback only, two paths under each route's random token, everything
 * else 404 in the API's error shape (a wrong or closed token looks exactly like a wrong path).
 */
import { type IncomingMessage, type ServerResponse, createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { ApiError, notFound, sendApiError } from "./api-error";
import { DEFAULT_MAX_BODY_BYTES, readBody } from "./request-body";
import { findByToken } from "../route-token";
import { Route, type RouteCall } from "./route";
import type { GatewayRouteOptions, ModelGateway, ModelGatewayOptions } from "./types";

const ROUTE_PATH = /^\/([A-Za-z0-9_-]{1,100})\/v1\/messages(\/count_tokens)?$/;
const DEFAULT_TOKEN_DELAY_MS = 5;

export async function startModelGateway(options: ModelGatewayOptions = {}): Promise<ModelGateway> {
  const routes = new Set<Route>();
  const maxBodyBytes = options.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES;
  const tokenDelayMs = options.offlineTokenDelayMs ?? DEFAULT_TOKEN_DELAY_MS;

  async function serve(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? "/", "http://127.0.0.1");
    const match = ROUTE_PATH.exec(url.pathname);
    // A browser never talks to the gateway (an Origin means a page is trying to).
    const route =
      match && req.method === "POST" && req.headers.origin === undefined
        ? findByToken(routes, match[1])
        : null;
    if (!match || !route) {
      req.resume();
      return sendApiError(res, notFound());
    }
    let raw: Buffer;
    try {
      raw = await readBody(req, maxBodyBytes);
    } catch (error) {
      if (error instanceof ApiError) return route.refuse(res, error);
      throw error;
    }
    const call: RouteCall = {
      kind: match[2] ? "count_tokens" : "messages",
      raw,
      query: url.searchParams,
      headers: req.headers,
      res,
    };
    await route.handle(call);
  }

  const server = createServer((req, res) => {
    serve(req, res).catch((error: unknown) => {
      options.log?.(error instanceof Error ? (error.stack ?? error.message) : String(error));
      sendApiError(res, new ApiError(500, "api_error", "The model gateway failed on this request."));
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port ?? 0, "127.0.0.1", () => resolve());
  });
  const origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  return {
    url: origin,
    open(routeOptions: GatewayRouteOptions) {
      const route = new Route(origin, routeOptions, {
        tokenDelayMs,
        onClose: (closed) => routes.delete(closed),
      });
      routes.add(route);
      return route;
    },
    async close() {
      for (const route of [...routes]) route.close();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
