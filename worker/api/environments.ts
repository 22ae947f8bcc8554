import { requireRole } from "../auth/membership";
import { getEnvironment, putEnvironment } from "../db/environments";
import { listSecretRows } from "../db/secrets";
import { newApp } from "../http/app";
import { readJson } from "../http/body";
import { HttpError } from "../http/errors";
import { EMPTY_ENVIRONMENT, EnvironmentSchema, type WorkspaceEnvironment } from "../protocol/environment";

/**
 * /api/workspaces/:ws/environment: the setup script and non-secret variables of every new session. Owners
 * change it (it runs with the workspace's agent secrets); owners and editors read it, since the sessions
 * they start run it and they answer for what it does; viewers only watch sessions, and need not know how
 * they are set up (the setup's output in a transcript stays visible to them, redacted like any output).
 */
export const environmentRoutes = newApp();

environmentRoutes.get("/", async (c) => {
  requireRole(c, "owner", "editor");
  const environment = await getEnvironment(c.env.DB, c.req.param("ws")!);
  return c.json({
    environment:
      environment ??
      ({ ...EMPTY_ENVIRONMENT, updatedAt: null, updatedBy: null } satisfies WorkspaceEnvironment),
  });
});

environmentRoutes.put("/", async (c) => {
  requireRole(c, "owner");
  const environment = await readJson(c, EnvironmentSchema);
  const ws = c.req.param("ws")!;
  // A variable named like a secret would hide the secret from the agent (or the secret would silently win).
  const secrets = new Set((await listSecretRows(c.env.DB, ws)).map((row) => row.name));
  const shadowing = Object.keys(environment.env).find((name) => secrets.has(name));
  if (shadowing)
    throw new HttpError(
      "invalid_input",
      `"${shadowing}" is the name of a secret of this workspace: a variable cannot shadow it`,
      { field: `env.${shadowing}` },
    );
  await putEnvironment(c.env.DB, ws, environment, c.var.user.id, Date.now());
  return c.json({ environment: (await getEnvironment(c.env.DB, ws))! });
});
