import { createMiddleware } from "hono/factory";
import { z } from "zod";
import { requireRole } from "../auth/membership";
import { deleteSecret, listSecretRows } from "../db/secrets";
import { newApp, type AppEnv } from "../http/app";
import { notFound, parseInput } from "../http/errors";
import { readJson } from "../http/body";
import { PutSecretSchema, SecretNameSchema, type Secret } from "../protocol/workspace";
import { putWorkspaceSecret } from "../secrets";

const Params = z.object({ name: SecretNameSchema });

/** For sub-apps whose every route is the owner's: integrations (secrets, triggers, callbacks). */
export const ownerOnly = createMiddleware<AppEnv>(async (c, next) => {
  requireRole(c, "owner");
  await next();
});

/**
 * Secrets of a workspace, owners only: /api/workspaces/:ws/secrets. Values go in and never come out; each
 * has a scope (`agent`: the agent's environment; `integration`: the Worker alone).
 */
export const secretRoutes = newApp();

secretRoutes.use(ownerOnly);

secretRoutes.get("/", async (c) => {
  const rows = await listSecretRows(c.env.DB, c.req.param("ws")!);
  return c.json({
    secrets: rows.map((row): Secret => ({ name: row.name, scope: row.scope, updatedAt: row.updated_at })),
  });
});

secretRoutes.put("/:name", async (c) => {
  const { name } = parseInput(Params, { name: c.req.param("name") });
  const { value, scope } = await readJson(c, PutSecretSchema);
  await putWorkspaceSecret(c.env, c.req.param("ws")!, name, value, scope ?? null);
  return c.body(null, 204);
});

secretRoutes.delete("/:name", async (c) => {
  const { name } = parseInput(Params, { name: c.req.param("name") });
  if (!(await deleteSecret(c.env.DB, c.req.param("ws")!, name, Date.now())))
    throw notFound("secret not found");
  return c.body(null, 204);
});
