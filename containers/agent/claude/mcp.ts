/**
 * The workspace's MCP servers as this incarnation's Claude Code gets them. Before Claude Code connects,
 * each URL's host is resolved here: a name that resolves to a private, loopback or link-local address would
 * let a session reach what only the agent host can reach (its model gateway on loopback, which holds the
 * real key), so it is refused unless the room allows private hosts (dev). Claude Code resolves the name
 * again when it connects; a DNS answer that changes in between is not caught here (the container's own
 * network policy is the boundary for that). A server refused here, or by the room, is reported failed with
 * its reason, beside what Claude Code reports for the others.
 */
import { lookup } from "node:dns/promises";
import type { McpServerConfig, McpServerStatus } from "@anthropic-ai/claude-agent-sdk";
import type { StartMcpServer } from "@tandem/protocol/agent";
import type { McpConnection } from "@tandem/protocol/mcp-servers";
import ipaddr from "ipaddr.js";

export interface SessionMcp {
  /** What Claude Code connects to, by server name. */
  configs: Record<string, McpServerConfig>;
  /** Servers not given to Claude Code, each failed with its reason. */
  refused: McpConnection[];
}

/** Why the host of `url` may not be connected to, or null when it may. */
export async function hostRefusal(url: string): Promise<string | null> {
  let host: string;
  try {
    host = new URL(url).hostname;
  } catch {
    return "the URL is not a URL";
  }
  const literal = host.startsWith("[") && host.endsWith("]") ? host.slice(1, -1) : host;
  let addresses: string[];
  try {
    addresses = ipaddr.isValid(literal)
      ? [literal]
      : (await lookup(literal, { all: true, verbatim: true })).map((entry) => entry.address);
  } catch (error) {
    return `${host} does not resolve (${error instanceof Error ? error.message : String(error)})`;
  }
  for (const address of addresses) {
    const range = ipaddr.process(address).range();
    if (range !== "unicast") return `${host} resolves to ${address}, a ${range} address`;
  }
  return null;
}

export async function sessionMcp(servers: readonly StartMcpServer[]): Promise<SessionMcp> {
  const configs: Record<string, McpServerConfig> = {};
  const refused: McpConnection[] = [];
  await Promise.all(
    servers.map(async (server) => {
      const refusal = server.failure ?? (server.privateHostsAllowed ? null : await hostRefusal(server.url));
      if (refusal) {
        refused.push({ name: server.name, status: "failed", error: refusal });
        return;
      }
      // alwaysLoad: the tools are in the first turn's prompt (not behind tool search); that turn waits for
      // the connection at most 5 s. The session does not wait: it is idle at once.
      configs[server.name] = {
        type: server.transport,
        url: server.url,
        headers: server.headers,
        alwaysLoad: true,
      };
    }),
  );
  return { configs, refused };
}

/** Claude Code's statuses for the workspace's servers (not any other it may report), beside the refused ones. */
export function connections(statuses: readonly McpServerStatus[], mcp: SessionMcp): McpConnection[] {
  const ours = statuses
    .filter((status) => status.name in mcp.configs)
    .map((status): McpConnection => ({
      name: status.name,
      status: status.status,
      ...(status.error ? { error: status.error.slice(0, 1800) } : {}),
    }));
  return [...ours, ...mcp.refused].sort((a, b) => a.name.localeCompare(b.name));
}
