import { createMiddleware } from "hono/factory";
import { z } from "zod";
import { requireRole } from "../auth/membership";
import { deleteSecret, listSecretRows } from "../db/secrets";
import { newApp, type AppEnv } from "../http/app";
import { notFound, parseInput } from "../http/errors";
import { readJson } from "../http/body";
import { MIN_SECRET_LENGTH, putWorkspaceSecret } from "../secrets";

/** Secret names are environment variable names: they become the agent's environment. */
export const SecretNameSchema = z
  .string()
  .regex(/^[A-Za-z_][A-Za-z0-9_]{0,127}$/, "must be an environment variable name (letters, digits, underscores)");
/** A value shorter than MIN_SECRET_LENGTH cannot be redacted reliably (it would match ordinary text): refused. */
export const PutSecretSchema = z.strictObject({
  value: z
    .string()
    .min(MIN_SECRET_LENGTH, `must be at least ${MIN_SECRET_LENGTH} characters: shorter values cannot be kept out of transcripts reliably`)
    .max(64 * 1024),
});

const Params = z.object({ name: SecretNameSchema });

/** For sub-apps whose every route is the owner's: integrations (secrets, triggers, callbacks). */
export const ownerOnly = createMiddleware<AppEnv>(async (c, next) => {
  requireRole(c, "owner");
  await next();
});

/** Secrets of a workspace, owners only: /api/workspaces/:ws/secrets. Values go in and never come out. */
export const secretRoutes = newApp();

secretRoutes.use(ownerOnly);

secretRoutes.get("/", async (c) => {
  const rows = await listSecretRows(c.env.DB, c.req.param("ws")!);
  return c.json({ secrets: rows.map((row) => ({ name: row.name, updatedAt: row.updated_at })) });
});

secretRoutes.put("/:name", async (c) => {
  const { name } = parseInput(Params, { name: c.req.param("name") });
  const { value } = await readJson(c, PutSecretSchema);
  await putWorkspaceSecret(c.env, c.req.param("ws")!, name, value);
  return c.body(null, 204);
});

secretRoutes.delete("/:name", async (c) => {
  const { name } = parseInput(Params, { name: c.req.param("name") });
  if (!(await deleteSecret(c.env.DB, c.req.param("ws")!, name))) throw notFound("secret not found");
  return c.body(null, 204);
});
