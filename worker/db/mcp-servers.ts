import type { McpServer, McpTransport } from "../protocol/mcp-servers";
import type { Sealed } from "./types";

/** One server's row; its headers are sealed (`headers_ciphertext`, `headers_iv`) with worker/secrets. */
export interface McpServerRow {
  name: string;
  url: string;
  transport: McpTransport;
  headers_ciphertext: string;
  headers_iv: string;
  header_names: string;
  secret_headers: string;
  created_at: number;
  updated_at: number;
}

/** What is written for a server: its definition with the headers already sealed. */
export interface McpServerWrite {
  url: string;
  transport: McpTransport;
  headers: Sealed;
  headerNames: string[];
  secretHeaders: Record<string, string>;
}

const COLUMNS =
  "name, url, transport, headers_ciphertext, headers_iv, header_names, secret_headers, created_at, updated_at";

/** A row as the API lists it: owners also see which secret each header names. */
export function mcpServerView(row: McpServerRow, owner: boolean): McpServer {
  return {
    name: row.name,
    url: row.url,
    transport: row.transport,
    headerNames: JSON.parse(row.header_names) as string[],
    ...(owner ? { secretHeaders: JSON.parse(row.secret_headers) as Record<string, string> } : {}),
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}

export async function listMcpServerRows(db: D1Database, workspaceId: string): Promise<McpServerRow[]> {
  const { results } = await db
    .prepare(`SELECT ${COLUMNS} FROM mcp_servers WHERE workspace_id = ? ORDER BY name`)
    .bind(workspaceId)
    .all<McpServerRow>();
  return results;
}

export async function countMcpServers(db: D1Database, workspaceId: string): Promise<number> {
  const row = await db
    .prepare(`SELECT COUNT(*) AS n FROM mcp_servers WHERE workspace_id = ?`)
    .bind(workspaceId)
    .first<{ n: number }>();
  return row?.n ?? 0;
}

export function getMcpServerRow(
  db: D1Database,
  workspaceId: string,
  name: string,
): Promise<McpServerRow | null> {
  return db
    .prepare(`SELECT ${COLUMNS} FROM mcp_servers WHERE workspace_id = ? AND name = ?`)
    .bind(workspaceId, name)
    .first<McpServerRow>();
}

/**
 * Inserts the server unless the workspace has one of that name or `max` servers already (one statement, so
 * two concurrent creates cannot pass the limit together); false when nothing was inserted.
 */
export async function insertMcpServer(
  db: D1Database,
  workspaceId: string,
  name: string,
  server: McpServerWrite,
  createdBy: string,
  now: number,
  max: number,
): Promise<boolean> {
  const result = await db
    .prepare(
      `INSERT INTO mcp_servers (workspace_id, name, url, transport, headers_ciphertext, headers_iv, header_names, secret_headers, created_by, created_at, updated_at)
       SELECT ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ? WHERE (SELECT COUNT(*) FROM mcp_servers WHERE workspace_id = ?) < ?
       ON CONFLICT (workspace_id, name) DO NOTHING`,
    )
    .bind(
      workspaceId,
      name,
      server.url,
      server.transport,
      server.headers.ciphertext,
      server.headers.iv,
      JSON.stringify(server.headerNames),
      JSON.stringify(server.secretHeaders),
      createdBy,
      now,
      now,
      workspaceId,
      max,
    )
    .run();
  return result.meta.changes > 0;
}

/** Replaces the server's definition; false when there is none of that name. */
export async function updateMcpServer(
  db: D1Database,
  workspaceId: string,
  name: string,
  server: McpServerWrite,
  now: number,
): Promise<boolean> {
  const result = await db
    .prepare(
      `UPDATE mcp_servers SET url = ?, transport = ?, headers_ciphertext = ?, headers_iv = ?, header_names = ?, secret_headers = ?, updated_at = ?
       WHERE workspace_id = ? AND name = ?`,
    )
    .bind(
      server.url,
      server.transport,
      server.headers.ciphertext,
      server.headers.iv,
      JSON.stringify(server.headerNames),
      JSON.stringify(server.secretHeaders),
      now,
      workspaceId,
      name,
    )
    .run();
  return result.meta.changes > 0;
}

export async function deleteMcpServer(db: D1Database, workspaceId: string, name: string): Promise<boolean> {
  const result = await db
    .prepare(`DELETE FROM mcp_servers WHERE workspace_id = ? AND name = ?`)
    .bind(workspaceId, name)
    .run();
  return result.meta.changes > 0;
}
