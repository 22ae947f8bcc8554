/**
 * The MCP proxy: every connection Claude Code makes to a workspace's MCP server goes through the agent
 * host, which resolves the server's host once, refuses a private, loopback or link-local answer and
 * connects to that same answer, and adds the server's headers itself. README.md (the agent's) says more.
 */
export { DEFAULT_PROXY_LIMITS, type McpProxy, type McpProxyOptions, startMcpProxy } from "./server";
export { McpRoute, type McpRouteOptions, type McpUpstream } from "./route";
export type { ProxyLimits } from "./forward";
export { McpRefusal, type Resolve, systemResolve } from "./pinned-lookup";
