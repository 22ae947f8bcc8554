/**
 * The agent host's MCP proxy through real MCP clients (the MCP SDK's own Streamable HTTP and SSE client
 * transports, as Claude Code speaks them) and plain fetch, against the real MCP server of the fakes, with a
 * resolver the test scripts: a name that answers a public address first and loopback after (a DNS
 * rebinding with TTL 0) is connected to at the address that was checked; a loopback or link-local answer
 * is refused; a redirect to another origin is not followed; the legacy transport's endpoint is rewritten to
 * the proxy, or refused when it names another origin; the server's headers are the proxy's to add.
 */
import { Client } from "@modelcontextprotocol/sdk/client/index.js";
import { SSEClientTransport } from "@modelcontextprotocol/sdk/client/sse.js";
import { StreamableHTTPClientTransport } from "@modelcontextprotocol/sdk/client/streamableHttp.js";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { connections, sessionMcp } from "../../containers/agent/claude/mcp";
import {
  type McpProxy,
  type McpRoute,
  type McpUpstream,
  type Resolve,
  startMcpProxy,
} from "../../containers/agent/mcp-proxy";
import { type FakeMcpServer, startFakeMcpServer } from "../fakes/mcp-server";

/** A public address (no test's server is there): where a rebinding's first answer points. */
const PUBLIC_ADDRESS = "93.184.216.34";

/** Each name's answers in turn; the last one repeats. */
const answers = new Map<string, string[][]>();
const asked: string[] = [];
const resolve: Resolve = async (hostname) => {
  asked.push(hostname);
  const queue = answers.get(hostname);
  if (!queue) throw new Error(`getaddrinfo ENOTFOUND ${hostname}`);
  const answer = queue.length > 1 ? queue.shift()! : queue[0]!;
  return answer.map((address) => ({ address, family: address.includes(":") ? 6 : 4 }));
};

let fake: FakeMcpServer;
/** Stands for what only the agent host can reach (its model gateway on loopback). */
let inner: FakeMcpServer;
let proxy: McpProxy;
const routes: McpRoute[] = [];
const clients: Client[] = [];
const token = `Bearer mcp-${crypto.randomUUID()}`;

beforeAll(async () => {
  [fake, inner] = await Promise.all([startFakeMcpServer(), startFakeMcpServer()]);
  proxy = await startMcpProxy({ resolve, limits: { connectTimeoutMs: 1500 } });
});
afterEach(async () => {
  await Promise.all(clients.splice(0).map((client) => client.close()));
  for (const route of routes.splice(0)) route.close();
  fake.requests.splice(0);
  inner.requests.splice(0);
  fake.redirects.clear();
  answers.clear();
  asked.splice(0);
});
afterAll(async () => {
  await proxy.close();
  await Promise.all([fake.close(), inner.close()]);
});

const port = (server: FakeMcpServer) => new URL(server.origin).port;

function open(...servers: (Partial<McpUpstream> & { name: string; url: string })[]): McpRoute {
  const route = proxy.open({
    servers: servers.map((server) => ({
      transport: "http",
      headers: { Authorization: token },
      privateHostsAllowed: false,
      ...server,
    })),
  });
  routes.push(route);
  return route;
}

/**
 * A real MCP client of the proxied URL; it holds no credential of its own but a forged one, and follows
 * every redirect (fetch's default, and what the proxy cannot count on a client not to do).
 */
async function connect(url: string, transport: "http" | "sse" = "http"): Promise<Client> {
  const client = new Client({ name: "tandem-test-client", version: "1.0.0" });
  const options = {
    requestInit: { headers: { Authorization: "Bearer forged-by-the-client" } },
    redirectPolicy: "follow" as const,
  };
  await client.connect(
    transport === "http"
      ? new StreamableHTTPClientTransport(new URL(url), options)
      : new SSEClientTransport(new URL(url), options),
  );
  clients.push(client);
  return client;
}

/** What a GET of `url` delivers until it ends, fails or `ms` pass. */
async function readFor(url: string, ms: number): Promise<string> {
  const decoder = new TextDecoder();
  let text = "";
  try {
    const answer = await fetch(url, {
      headers: { accept: "text/event-stream" },
      signal: AbortSignal.timeout(ms),
    });
    for await (const chunk of answer.body!) text += decoder.decode(chunk, { stream: true });
  } catch {
    // cut off, or still open after `ms`: what arrived is the answer
  }
  return text;
}

const initialize = (url: string, headers: Record<string, string> = {}) =>
  fetch(url, {
    method: "POST",
    headers: {
      "content-type": "application/json",
      accept: "application/json, text/event-stream",
      ...headers,
    },
    body: JSON.stringify({
      jsonrpc: "2.0",
      id: 1,
      method: "initialize",
      params: {
        protocolVersion: "2025-06-18",
        capabilities: {},
        clientInfo: { name: "probe", version: "1" },
      },
    }),
  });

describe("the MCP proxy's one resolution", () => {
  it("connects to the address it checked, not to a second answer that points at loopback (DNS rebinding)", async () => {
    answers.set("rebind.test", [[PUBLIC_ADDRESS], ["127.0.0.1"]]);
    const route = open({ name: "docs", url: `http://rebind.test:${port(fake)}/mcp` });
    const first = await initialize(route.urlOf("docs"));
    expect(first.status).toBe(502);
    // One lookup, and the connection went where it said: the public address, never the loopback server.
    expect(asked).toEqual(["rebind.test"]);
    expect(route.problem("docs")).toContain(
      `rebind.test:${port(fake)} (${PUBLIC_ADDRESS}) could not be reached`,
    );
    expect(await first.text()).toContain(PUBLIC_ADDRESS);
    expect(fake.requests).toEqual([]);
    // The next connection asks again: its answer is now loopback, which is refused before any connection.
    const second = await initialize(route.urlOf("docs"));
    expect(second.status).toBe(502);
    expect(route.problem("docs")).toBe("rebind.test resolves to 127.0.0.1, a loopback address");
    expect(asked).toEqual(["rebind.test", "rebind.test"]);
    expect(fake.requests).toEqual([]);
  });

  it("refuses loopback, link-local and private answers and address literals, and a name with no answer", async () => {
    answers.set("metadata.test", [[PUBLIC_ADDRESS, "169.254.169.254"]]);
    answers.set("v6.test", [["::ffff:127.0.0.1"]]);
    const route = open(
      { name: "meta", url: `http://metadata.test:${port(fake)}/mcp` },
      { name: "six", url: `http://v6.test:${port(fake)}/mcp` },
      { name: "literal", url: `http://169.254.169.254/latest/meta-data/` },
      { name: "mapped", url: `http://[::ffff:7f00:1]:${port(fake)}/mcp` },
      { name: "lan", url: `https://10.0.0.5/mcp` },
      { name: "nowhere", url: `https://nowhere.test/mcp` },
    );
    const expected: Record<string, string | RegExp> = {
      meta: "metadata.test resolves to 169.254.169.254, a linkLocal address",
      six: "v6.test resolves to ::ffff:127.0.0.1, a loopback address",
      literal: "169.254.169.254 is a linkLocal address",
      mapped: "::ffff:7f00:1 is a loopback address",
      lan: "10.0.0.5 is a private address",
      nowhere: /^nowhere\.test does not resolve/,
    };
    for (const [name, reason] of Object.entries(expected)) {
      const answer = await initialize(route.urlOf(name));
      expect(answer.status, name).toBe(502);
      expect(route.problem(name), name).toMatch(reason);
    }
    expect(fake.requests).toEqual([]);
  });
});

describe("what the proxy forwards", () => {
  it("adds the server's headers itself over the client's, and streams a tool call both ways (dev: loopback allowed)", async () => {
    const route = open({ name: "docs", url: `${fake.origin}/mcp`, privateHostsAllowed: true });
    expect(route.urlOf("docs")).toMatch(new RegExp(`^${proxy.url}/mcp/[A-Za-z0-9_-]{43}/docs/mcp$`));
    const client = await connect(route.urlOf("docs"));
    expect((await client.listTools()).tools.map((tool) => tool.name)).toEqual(["echo"]);
    const result = await client.callTool({ name: "echo", arguments: { text: "through the proxy" } });
    expect(result.content).toEqual([{ type: "text", text: "echo from MCP: through the proxy" }]);
    expect(fake.calls).toContain("through the proxy");
    expect(fake.requests.length).toBeGreaterThan(0);
    for (const request of fake.requests) {
      expect(request.headers.authorization).toBe(token);
      expect(request.headers.host).toBe(new URL(fake.origin).host);
    }
    expect(route.problem("docs")).toBeNull();
  });

  it("rewrites the legacy SSE endpoint to the proxy, so the client's messages go through it with the headers", async () => {
    const route = open({
      name: "legacy",
      url: `${fake.origin}/sse`,
      transport: "sse",
      privateHostsAllowed: true,
    });
    const client = await connect(route.urlOf("legacy"), "sse");
    const result = await client.callTool({ name: "echo", arguments: { text: "legacy" } });
    expect(result.content).toEqual([{ type: "text", text: "echo from MCP: legacy" }]);
    const paths = fake.requests.map((request) => request.path);
    expect(paths).toContain("/sse");
    expect(paths).toContain("/messages");
    for (const request of fake.requests) expect(request.headers.authorization).toBe(token);
  });

  it("refuses a legacy SSE endpoint on another origin: the client never sees it", async () => {
    const route = open({
      name: "foreign",
      url: `${fake.origin}/sse-foreign`,
      transport: "sse",
      privateHostsAllowed: true,
    });
    // The stream is cut off where the endpoint was: what the client got before names no other origin.
    const seen = await readFor(route.urlOf("foreign"), 3000);
    expect(seen).not.toContain("localhost");
    expect(route.problem("foreign")).toMatch(
      new RegExp(
        `the server's SSE endpoint "http://localhost:${port(fake)}/messages" is not on its own origin`,
      ),
    );
    await expect(connect(route.urlOf("foreign"), "sse")).rejects.toThrow();
    expect(fake.requests.some((request) => request.headers.host?.startsWith("localhost"))).toBe(false);
  });

  it("follows a redirect on the server's origin through the proxy, and not one to another origin (127.0.0.1)", async () => {
    fake.redirects.set("/moved", "/mcp");
    fake.redirects.set("/away", `${inner.origin}/mcp`);
    const route = open(
      { name: "moved", url: `${fake.origin}/moved`, privateHostsAllowed: true },
      { name: "away", url: `${fake.origin}/away`, privateHostsAllowed: true },
    );
    const moved = await connect(route.urlOf("moved"));
    expect((await moved.listTools()).tools.map((tool) => tool.name)).toEqual(["echo"]);
    expect(fake.requests.filter((request) => request.path === "/mcp").length).toBeGreaterThan(0);
    const away = await connect(route.urlOf("away")).catch(() => null);
    expect(inner.requests).toEqual([]);
    expect(away).toBeNull();
    expect(route.problem("away")).toBe(
      `${new URL(fake.origin).host} redirected to ${inner.origin}, another origin: not followed`,
    );
  });

  it("refuses a body over 4 MiB, a wrong or closed token, and a request from a page", async () => {
    const route = open({ name: "docs", url: `${fake.origin}/mcp`, privateHostsAllowed: true });
    const url = route.urlOf("docs");
    const big = await fetch(url, { method: "POST", body: "x".repeat(4 * 1024 * 1024 + 1) });
    expect(big.status).toBe(413);
    expect(fake.requests).toEqual([]);
    const wrong = url.replace(/\/mcp\/[^/]+\//, `/mcp/${"A".repeat(43)}/`);
    expect((await initialize(wrong)).status).toBe(404);
    expect((await initialize(url.replace("/docs/", "/other/"))).status).toBe(404);
    expect((await initialize(url, { origin: "http://evil.example" })).status).toBe(404);
    expect(fake.requests).toEqual([]);
    expect((await initialize(url)).status).toBe(200);
    route.close();
    expect((await initialize(url)).status).toBe(404);
  });
});

describe("what Claude Code is given", () => {
  it("the proxy's URL under the incarnation's token and no header; the proxy's refusal as a failed server's reason", async () => {
    answers.set("loop.test", [["127.0.0.1"]]);
    const server = (name: string, url: string, transport: "http" | "sse" = "http") => ({
      name,
      url,
      transport,
      headers: { Authorization: token, "X-Key": `key-${name}` },
      failure: null,
      privateHostsAllowed: false,
    });
    const mcp = sessionMcp(
      [
        server("docs", `http://loop.test:${port(fake)}/mcp?tenant=a`),
        server("legacy", `https://mcp.example.com/sse`, "sse"),
        server("odd", "ftp://mcp.example.com/"),
        { ...server("stale", "https://stale.example.com/"), failure: "the secret GONE is gone" },
      ],
      proxy,
      () => undefined,
    );
    routes.push(mcp.route!);
    const text = JSON.stringify(mcp.configs);
    expect(text).not.toContain(token.slice("Bearer ".length));
    expect(text).not.toContain("key-");
    expect(text).not.toContain("loop.test");
    const tokenPath = new RegExp(`^${proxy.url}/mcp/[A-Za-z0-9_-]{43}/`);
    expect(mcp.configs).toEqual({
      docs: { type: "http", url: expect.stringMatching(tokenPath), alwaysLoad: true },
      legacy: { type: "sse", url: expect.stringMatching(tokenPath), alwaysLoad: true },
    });
    expect(mcp.configs.docs).toMatchObject({ url: expect.stringMatching(/\/docs\/mcp\?tenant=a$/) });
    expect(mcp.refused).toEqual([
      { name: "odd", status: "failed", error: "ftp: is not http or https" },
      { name: "stale", status: "failed", error: "the secret GONE is gone" },
    ]);
    // Claude Code connects, the proxy refuses: the session shows the proxy's reason, not Claude Code's.
    const url = (mcp.configs.docs as { url: string }).url;
    expect((await initialize(url)).status).toBe(502);
    const statuses = connections(
      [
        { name: "docs", status: "failed", error: "Streamable HTTP error: HTTP 502" },
        { name: "legacy", status: "pending" },
      ],
      mcp,
    );
    expect(statuses).toEqual([
      { name: "docs", status: "failed", error: "loop.test resolves to 127.0.0.1, a loopback address" },
      { name: "legacy", status: "pending" },
      { name: "odd", status: "failed", error: "ftp: is not http or https" },
      { name: "stale", status: "failed", error: "the secret GONE is gone" },
    ]);
    expect(fake.requests).toEqual([]);
  });
});
