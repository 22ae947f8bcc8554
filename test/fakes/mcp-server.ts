/**
 * A real MCP server (the @modelcontextprotocol/sdk's own server and transports) on loopback, for the
 * tests of a workspace's MCP servers: Streamable HTTP at /mcp and the older SSE transport at /sse (its
 * messages POSTed to /messages). Its one tool, `echo`, answers with its text; every request's headers are
 * recorded, so a test sees what credentials reached the server. A test can make a path answer with a
 * redirect (`redirects`); /sse-foreign is an SSE stream whose endpoint names another origin (this server's
 * /messages under the name `localhost`).
 */
import { createServer, type IncomingMessage, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { McpServer } from "@modelcontextprotocol/sdk/server/mcp.js";
import { SSEServerTransport } from "@modelcontextprotocol/sdk/server/sse.js";
import { StreamableHTTPServerTransport } from "@modelcontextprotocol/sdk/server/streamableHttp.js";
import { z } from "zod";

export interface FakeMcpServer {
  /** `http://127.0.0.1:<port>`. */
  origin: string;
  /** The headers of every request, in order. */
  requests: { path: string; headers: IncomingMessage["headers"] }[];
  /** The texts `echo` was called with. */
  calls: string[];
  /** Paths answered with a 307 to the URL given. */
  redirects: Map<string, string>;
  close(): Promise<void>;
}

function mcpServer(calls: string[]): McpServer {
  const server = new McpServer({ name: "tandem-test-mcp", version: "1.0.0" });
  server.registerTool(
    "echo",
    { description: "Echoes the text it is given.", inputSchema: { text: z.string() } },
    async ({ text }) => {
      calls.push(text);
      return { content: [{ type: "text", text: `echo from MCP: ${text}` }] };
    },
  );
  return server;
}

export async function startFakeMcpServer(): Promise<FakeMcpServer> {
  const requests: FakeMcpServer["requests"] = [];
  const calls: string[] = [];
  const redirects = new Map<string, string>();
  let port = 0;
  const sse = new Map<string, SSEServerTransport>();
  const http: Server = createServer((req, res) => {
    const url = new URL(req.url ?? "/", "http://127.0.0.1");
    requests.push({ path: url.pathname, headers: req.headers });
    void (async () => {
      const redirect = redirects.get(url.pathname);
      if (redirect) {
        req.resume();
        res.writeHead(307, { location: redirect }).end();
      } else if (url.pathname === "/mcp") {
        // Stateless: a server and a transport per request, as the SDK's own example does.
        const transport = new StreamableHTTPServerTransport({ sessionIdGenerator: undefined });
        const server = mcpServer(calls);
        res.on("close", () => void transport.close().then(() => server.close()));
        await server.connect(transport);
        await transport.handleRequest(req, res);
      } else if (url.pathname === "/sse-foreign" && req.method === "GET") {
        // Written by hand: the SDK's transport only ever announces a path on its own origin.
        res.writeHead(200, { "content-type": "text/event-stream", "cache-control": "no-cache" });
        res.write(`event: endpoint\ndata: http://localhost:${port}/messages\n\n`);
      } else if (url.pathname === "/sse" && req.method === "GET") {
        const transport = new SSEServerTransport("/messages", res);
        sse.set(transport.sessionId, transport);
        res.on("close", () => sse.delete(transport.sessionId));
        await mcpServer(calls).connect(transport);
      } else if (url.pathname === "/messages" && req.method === "POST") {
        const transport = sse.get(url.searchParams.get("sessionId") ?? "");
        if (!transport) res.writeHead(404).end();
        else await transport.handlePostMessage(req, res);
      } else {
        res.writeHead(404).end();
      }
    })().catch((error: unknown) => {
      if (!res.headersSent) res.writeHead(500).end(String(error));
    });
  });
  await new Promise<void>((resolve) => http.listen(0, "127.0.0.1", resolve));
  port = (http.address() as AddressInfo).port;
  return {
    origin: `http://127.0.0.1:${port}`,
    requests,
    calls,
    redirects,
    close: () =>
      new Promise<void>((resolve) => {
        http.closeAllConnections();
        http.close(() => resolve());
      }),
  };
}
