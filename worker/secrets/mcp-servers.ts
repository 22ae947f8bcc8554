/**
 * The workspace's MCP servers between the API and a session's start: definitions sealed on the way in
 * (a literal header value is a credential), and opened only to build the agent's `start` frame, where each
 * header naming a secret gets that secret's value. A server that cannot be given to Claude Code (a secret
 * deleted since, a URL the rules now refuse) still goes to the agent, as a failure with its reason, so the
 * session shows it failed instead of silently lacking it.
 */
import { listMcpServerRows, type McpServerRow, type McpServerWrite } from "../db/mcp-servers";
import { callbackURLRefusal } from "../http/outbound";
import type { StartMcpServer } from "../protocol/agent";
import {
  headerSecretName,
  McpHeadersSchema,
  type McpHeaders,
  type McpServerDefinition,
} from "../protocol/mcp-servers";
import { openValue, sealValue, type SecretsEnv } from "./index";

const sealContext = (workspaceId: string, name: string) => `mcp:${workspaceId}:${name}`;

/**
 * Why a session may not connect to this URL, or null when it may: https only, and no private, loopback or
 * link-local host (the callbacks' rules, worker/http/outbound.ts); dev allows both (a loopback server).
 */
export function mcpURLRefusal(url: string, authMode: string): string | null {
  if (authMode === "dev") return null;
  let protocol: string;
  try {
    protocol = new URL(url).protocol;
  } catch {
    return "it is not a URL";
  }
  if (protocol !== "https:") return "it must be https";
  return callbackURLRefusal(url, authMode);
}

/** The secrets the headers name, each once. */
export function namedSecrets(headers: McpHeaders): string[] {
  return [
    ...new Set(
      Object.values(headers)
        .map(headerSecretName)
        .filter((name): name is string => name !== null),
    ),
  ];
}

export async function sealMcpServer(
  env: SecretsEnv,
  workspaceId: string,
  name: string,
  definition: McpServerDefinition,
): Promise<McpServerWrite> {
  const headers = definition.headers ?? {};
  const secretHeaders = Object.fromEntries(
    Object.entries(headers).flatMap(([header, value]) => {
      const secret = headerSecretName(value);
      return secret ? [[header, secret]] : [];
    }),
  );
  return {
    url: definition.url,
    transport: definition.transport,
    headers: await sealValue(env, sealContext(workspaceId, name), JSON.stringify(headers)),
    headerNames: Object.keys(headers),
    secretHeaders,
  };
}

async function openHeaders(env: SecretsEnv, workspaceId: string, row: McpServerRow): Promise<McpHeaders> {
  const json = await openValue(env, sealContext(workspaceId, row.name), {
    ciphertext: row.headers_ciphertext,
    iv: row.headers_iv,
  });
  return McpHeadersSchema.parse(JSON.parse(json));
}

/** One server as this session's agent gets it: headers resolved, or the reason it cannot connect. */
function resolveServer(
  row: McpServerRow,
  headers: McpHeaders,
  secrets: Record<string, string>,
  authMode: string,
): StartMcpServer {
  const base = {
    name: row.name,
    url: row.url,
    transport: row.transport,
    privateHostsAllowed: authMode === "dev",
  };
  const refused = mcpURLRefusal(row.url, authMode);
  if (refused) return { ...base, headers: {}, failure: `not connected: ${refused}` };
  const resolved: Record<string, string> = {};
  for (const [header, value] of Object.entries(headers)) {
    const secret = headerSecretName(value);
    if (secret === null) resolved[header] = value;
    else if (secret in secrets) resolved[header] = secrets[secret]!;
    else
      return {
        ...base,
        headers: {},
        failure: `not connected: the header ${header} names the secret ${secret}, which the workspace does not have for agents (no such secret, or an integration secret, which never reaches an agent)`,
      };
  }
  return { ...base, headers: resolved, failure: null };
}

/** The workspace's servers for a session's `start` frame, read now (a server added later reaches sessions started later). */
export async function sessionMcpServers(
  env: SecretsEnv,
  workspaceId: string,
  secrets: Record<string, string>,
  authMode: string,
): Promise<StartMcpServer[]> {
  const rows = await listMcpServerRows(env.DB, workspaceId);
  return Promise.all(
    rows.map(async (row) => resolveServer(row, await openHeaders(env, workspaceId, row), secrets, authMode)),
  );
}

/** Every header value a session's servers carry: redacted like a secret wherever the session's words go. */
export function mcpHeaderValues(servers: StartMcpServer[]): string[] {
  return servers.flatMap((server) => Object.values(server.headers));
}
