import { EnvironmentSchema, type Environment, type WorkspaceEnvironment } from "../protocol/environment";

interface EnvironmentRow {
  setup_script: string;
  env: string;
  updated_at: number;
  updated_by: string;
}

/** The workspace's environment, or null when none was set (the empty one). */
export async function getEnvironment(
  db: D1Database,
  workspaceId: string,
): Promise<WorkspaceEnvironment | null> {
  const row = await db
    .prepare(
      "SELECT setup_script, env, updated_at, updated_by FROM workspace_environments WHERE workspace_id = ?",
    )
    .bind(workspaceId)
    .first<EnvironmentRow>();
  if (!row) return null;
  // Written only through EnvironmentSchema; parsed again so a bad row is an error here, not in the agent.
  const { setupScript, env } = EnvironmentSchema.parse({
    setupScript: row.setup_script,
    env: JSON.parse(row.env),
  });
  return { setupScript, env, updatedAt: row.updated_at, updatedBy: row.updated_by };
}

export async function putEnvironment(
  db: D1Database,
  workspaceId: string,
  environment: Environment,
  userId: string,
  now: number,
): Promise<void> {
  await db
    .prepare(
      `INSERT INTO workspace_environments (workspace_id, setup_script, env, updated_at, updated_by) VALUES (?, ?, ?, ?, ?)
       ON CONFLICT (workspace_id) DO UPDATE SET setup_script = excluded.setup_script, env = excluded.env, updated_at = excluded.updated_at, updated_by = excluded.updated_by`,
    )
    .bind(workspaceId, environment.setupScript, JSON.stringify(environment.env), now, userId)
    .run();
}
