/**
 * The workspace's MCP servers as this incarnation's Claude Code gets them: each one's URL on the agent
 * host's MCP proxy (mcp-proxy/), under a token of this incarnation's, and no headers. The proxy resolves
 * the server's host once per connection, refuses a private, loopback or link-local answer (unless the room
 * allows private hosts: dev) and connects to that same answer, so a DNS answer that changes between a check
 * and a connection cannot reach what only the agent host can (its model gateway on loopback, which holds
 * the real key; the container's metadata). It adds the server's headers itself: the workspace's secrets
 * never reach the CLI's config. A server the room refused is reported failed with its reason; one the
 * proxy refused at connect time is too, beside what Claude Code reports for the others.
 */
import type { McpServerConfig, McpServerStatus } from "@anthropic-ai/claude-agent-sdk";
import type { StartMcpServer } from "@tandem/protocol/agent";
import type { McpConnection } from "@tandem/protocol/mcp-servers";
import type { McpProxy, McpRoute, McpUpstream } from "../mcp-proxy";

export interface SessionMcp {
  /** What Claude Code connects to, by server name: the proxy's URLs. */
  configs: Record<string, McpServerConfig>;
  /** Servers not given to Claude Code, each failed with its reason. */
  refused: McpConnection[];
  /** The proxy's route for this incarnation's servers (null when none is given to Claude Code); its owner closes it. */
  route: McpRoute | null;
}

/** Why a server's URL cannot be proxied at all, or null. */
function urlRefusal(url: string): string | null {
  if (!URL.canParse(url)) return "the URL is not a URL";
  const { protocol } = new URL(url);
  return protocol === "http:" || protocol === "https:" ? null : `${protocol} is not http or https`;
}

export function sessionMcp(
  servers: readonly StartMcpServer[],
  proxy: McpProxy,
  log: (line: string) => void,
): SessionMcp {
  const refused: McpConnection[] = [];
  const upstreams: McpUpstream[] = [];
  for (const server of servers) {
    const refusal = server.failure ?? urlRefusal(server.url);
    if (refusal) refused.push({ name: server.name, status: "failed", error: refusal });
    else
      upstreams.push({
        name: server.name,
        url: server.url,
        transport: server.transport,
        headers: server.headers,
        privateHostsAllowed: server.privateHostsAllowed,
      });
  }
  const route = upstreams.length ? proxy.open({ servers: upstreams, log }) : null;
  const configs: Record<string, McpServerConfig> = {};
  for (const server of upstreams)
    // alwaysLoad: the tools are in the first turn's prompt (not behind tool search); that turn waits for
    // the connection at most 5 s. The session does not wait: it is idle at once.
    configs[server.name] = { type: server.transport, url: route!.urlOf(server.name), alwaysLoad: true };
  return { configs, refused, route };
}

/**
 * Claude Code's statuses for the workspace's servers (not any other it may report), beside the refused
 * ones. A server Claude Code failed because the proxy refused or could not reach it shows the proxy's
 * reason (the address it resolved to, the redirect it did not follow), not the CLI's "HTTP 502".
 */
export function connections(statuses: readonly McpServerStatus[], mcp: SessionMcp): McpConnection[] {
  const ours = statuses
    .filter((status) => status.name in mcp.configs)
    .map((status): McpConnection => {
      const error = (status.status === "failed" ? mcp.route?.problem(status.name) : null) ?? status.error;
      return { name: status.name, status: status.status, ...(error ? { error: error.slice(0, 1800) } : {}) };
    });
  return [...ours, ...mcp.refused].sort((a, b) => a.name.localeCompare(b.name));
}
