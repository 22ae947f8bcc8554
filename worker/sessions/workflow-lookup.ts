import { getWorkflow } from "../db/workflows";
import { HttpError } from "../http/errors";
import type { Workflow } from "../protocol/session-config";
import { builtinWorkflow } from "../protocol/workflows";

/**
 * The workflow a session (or a trigger's sessions) names, as the agent receives it: a built-in, or one of
 * the workspace's own. An unknown name is a 400 on `field`.
 */
export async function resolveWorkflow(
  db: D1Database,
  workspaceId: string,
  name: string | null | undefined,
  field = "workflow",
): Promise<Workflow | null> {
  if (!name) return null;
  const builtin = builtinWorkflow(name);
  if (builtin)
    return { name: builtin.name, systemPrompt: builtin.systemPrompt, firstMessage: builtin.firstMessage };
  const own = await getWorkflow(db, workspaceId, name);
  if (own) return { name: own.name, systemPrompt: own.systemPrompt, firstMessage: own.firstMessage };
  throw new HttpError(
    "invalid_input",
    `${field}: no workflow named "${name}" (neither built-in nor this workspace's)`,
    { field },
  );
}
