/**
 * One agent incarnation's way to its workspace's MCP servers: a random token, each server's proxied URL
 * (`<proxy>/mcp/<token>/<name>` followed by the upstream path), its headers, its pinned lookup, its own
 * connection pools (a socket checked under one session's rules is never reused under another's), the
 * requests in flight (aborted when it closes), and each server's latest problem for the session to show.
 */
import { timingSafeEqual } from "node:crypto";
import { setMaxListeners } from "node:events";
import { Agent as HttpAgent, type IncomingMessage, type ServerResponse } from "node:http";
import { Agent as HttpsAgent } from "node:https";
import { mintToken } from "../route-token";
import { type ProxiedServer, type ProxyLimits, forward } from "./forward";
import { type Resolve, pinnedLookup } from "./pinned-lookup";

/** A server as the session hands it to the proxy: its URL already known to be http(s). */
export interface McpUpstream {
  name: string;
  url: string;
  transport: "http" | "sse";
  headers: Record<string, string>;
  privateHostsAllowed: boolean;
}

export interface McpRouteOptions {
  servers: readonly McpUpstream[];
  /** Each server's problems as they happen (its name first). */
  log?: (line: string) => void;
}

export class McpRoute {
  readonly #base: string;
  readonly #digest: Buffer;
  readonly #servers = new Map<string, ProxiedServer>();
  readonly #problems = new Map<string, string>();
  readonly #closing = new AbortController();
  readonly #agents = { http: new HttpAgent({ keepAlive: true }), https: new HttpsAgent({ keepAlive: true }) };
  readonly #limits: ProxyLimits;
  readonly #log: (line: string) => void;
  readonly #onClose: (route: McpRoute) => void;

  constructor(
    origin: string,
    options: McpRouteOptions,
    proxy: { resolve: Resolve; limits: ProxyLimits; onClose(route: McpRoute): void },
  ) {
    const { token, digest } = mintToken();
    this.#base = `${origin}/mcp/${token}`;
    this.#digest = digest;
    this.#limits = proxy.limits;
    this.#log = options.log ?? (() => undefined);
    this.#onClose = proxy.onClose;
    // Every request in flight listens for the close (a legacy stream and a GET stream per server stay open).
    setMaxListeners(0, this.#closing.signal);
    for (const server of options.servers) {
      const url = new URL(server.url);
      const base = `${this.#base}/${server.name}`;
      this.#servers.set(server.name, {
        ...server,
        url,
        lookup: pinnedLookup(proxy.resolve, server.privateHostsAllowed),
        proxied: (upstream) =>
          upstream.origin === url.origin ? `${base}${upstream.pathname}${upstream.search}` : null,
      });
    }
  }

  /** What Claude Code connects to for `name`: the proxy's URL of the server's configured one. */
  urlOf(name: string): string {
    const server = this.#servers.get(name);
    if (!server) throw new Error(`no MCP server ${name} on this route`);
    return server.proxied(server.url)!;
  }

  /** Why the server's latest request failed in the proxy, or null once it answered. */
  problem(name: string): string | null {
    return this.#problems.get(name) ?? null;
  }

  /** Constant time: the digest of the token asked for against this route's. */
  matches(digest: Buffer): boolean {
    return !this.#closing.signal.aborted && timingSafeEqual(this.#digest, digest);
  }

  /** Forwards a request for `name` to the server's origin, `path` and `search` as Claude Code asked; false for no such server. */
  handle(req: IncomingMessage, res: ServerResponse, name: string, path: string, search: string): boolean {
    const server = this.#servers.get(name);
    if (!server) return false;
    const target = new URL(server.url.origin);
    // Set, not parsed: a path like `//elsewhere` stays a path on the server's own origin.
    target.pathname = path;
    target.search = search;
    forward({
      req,
      res,
      server,
      target,
      agents: this.#agents,
      limits: this.#limits,
      signal: this.#closing.signal,
      outcome: (problem) => {
        if (problem === null) return void this.#problems.delete(name);
        this.#problems.set(name, problem);
        this.#log(`${name}: ${problem}`);
      },
    });
    return true;
  }

  close(): void {
    if (this.#closing.signal.aborted) return;
    this.#closing.abort(new Error("the session's MCP route closed"));
    this.#agents.http.destroy();
    this.#agents.https.destroy();
    this.#onClose(this);
  }
}
