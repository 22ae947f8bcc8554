import type { Context } from "hono";
import { requireRole } from "../auth/membership";
import { listSecretRows } from "../db/secrets";
import {
  deleteMcpServer,
  getMcpServerRow,
  insertMcpServer,
  listMcpServerRows,
  mcpServerView,
  updateMcpServer,
} from "../db/mcp-servers";
import { newApp, type AppEnv } from "../http/app";
import { readJson } from "../http/body";
import { HttpError, notFound, parseInput } from "../http/errors";
import { mcpURLRefusal, namedSecrets, sealMcpServer } from "../secrets/mcp-servers";
import {
  CreateMcpServerSchema,
  MAX_MCP_SERVERS,
  McpServerParamsSchema,
  UpdateMcpServerSchema,
  type McpServerDefinition,
} from "../protocol/mcp-servers";

/** /api/workspaces/:ws/mcp-servers: members list them (without header values), owners change them. */
export const mcpServerRoutes = newApp();

/** The URL follows the callbacks' rules and every secret a header names exists: checked at input (and again at each session's start). */
async function checkDefinition(c: Context<AppEnv>, definition: McpServerDefinition): Promise<void> {
  const refused = mcpURLRefusal(definition.url, c.env.AUTH_MODE);
  if (refused)
    throw new HttpError("invalid_input", `url: ${refused}; MCP servers must be public https hosts`, {
      field: "url",
    });
  const named = namedSecrets(definition.headers ?? {});
  if (named.length === 0) return;
  const existing = new Set((await listSecretRows(c.env.DB, c.req.param("ws")!)).map((row) => row.name));
  const missing = named.find((name) => !existing.has(name));
  if (missing)
    throw new HttpError("invalid_input", `headers: the workspace has no secret named ${missing}`, {
      field: "headers",
    });
}

const nameOf = (param: string | undefined) => parseInput(McpServerParamsSchema, { name: param }).name;

mcpServerRoutes.get("/", async (c) => {
  const rows = await listMcpServerRows(c.env.DB, c.req.param("ws")!);
  const owner = c.var.member.role === "owner";
  return c.json({ mcpServers: rows.map((row) => mcpServerView(row, owner)) });
});

mcpServerRoutes.post("/", async (c) => {
  requireRole(c, "owner");
  const { name, ...definition } = await readJson(c, CreateMcpServerSchema);
  await checkDefinition(c, definition);
  const ws = c.req.param("ws")!;
  const write = await sealMcpServer(c.env, ws, name, definition);
  if (!(await insertMcpServer(c.env.DB, ws, name, write, c.var.user.id, Date.now(), MAX_MCP_SERVERS))) {
    if (await getMcpServerRow(c.env.DB, ws, name))
      throw new HttpError("exists", `the workspace has an MCP server named "${name}" already`, {
        field: "name",
      });
    throw new HttpError("invalid_input", `a workspace has at most ${MAX_MCP_SERVERS} MCP servers`, {
      field: "name",
    });
  }
  return c.json({ mcpServer: mcpServerView((await getMcpServerRow(c.env.DB, ws, name))!, true) }, 201);
});

mcpServerRoutes.put("/:name", async (c) => {
  requireRole(c, "owner");
  const name = nameOf(c.req.param("name"));
  const definition = await readJson(c, UpdateMcpServerSchema);
  await checkDefinition(c, definition);
  const ws = c.req.param("ws")!;
  const write = await sealMcpServer(c.env, ws, name, definition);
  if (!(await updateMcpServer(c.env.DB, ws, name, write, Date.now()))) throw notFound("MCP server not found");
  return c.json({ mcpServer: mcpServerView((await getMcpServerRow(c.env.DB, ws, name))!, true) });
});

mcpServerRoutes.delete("/:name", async (c) => {
  requireRole(c, "owner");
  const name = nameOf(c.req.param("name"));
  if (!(await deleteMcpServer(c.env.DB, c.req.param("ws")!, name))) throw notFound("MCP server not found");
  return c.body(null, 204);
});
