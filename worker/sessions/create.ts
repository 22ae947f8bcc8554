import { insertSession, deleteSessionRow } from "../db/sessions";
import { setSessionWorkflow } from "../db/workflows";
import type { Env } from "../env";
import { catalogOf, requireLiveModel, requireModelSettings } from "../models/catalog";
import {
  defaultModel,
  entryOf,
  isRetired,
  liveSuccessor,
  type Catalog,
  type ModelEntry,
  type ModelId,
} from "../protocol/models";
import type { Actor, CreateSessionBody, Origin } from "../protocol/session";
import type { SessionInit } from "../session/state";
import { requireBudgetLeft } from "./budget-checks";
import { namesLike } from "../db/session-list";
import { generateDisplayName, nameFromPrompt, numbered } from "./names";
import { roomOf, unwrap } from "./rooms";
import { resolveWorkflow } from "./workflow-lookup";

/**
 * The model a new session runs. A person naming a retired model gets 400 `model_retired`; a trigger's or
 * schedule's stored model that has retired since runs as its successor (`succeeded` says so, as an event of
 * the session) instead of failing unattended; a retired model with no successor is refused for them too.
 */
function modelFor(
  catalog: Catalog,
  id: ModelId,
  origin: Origin,
  now: number,
): { entry: ModelEntry; succeeded: string | null } {
  const stored = entryOf(catalog, id);
  if (origin.kind === "person" || !isRetired(stored, now) || stored.successor === null)
    return { entry: requireLiveModel(catalog, id, now), succeeded: null };
  const entry = liveSuccessor(catalog, id, now);
  return {
    entry,
    succeeded: `${stored.id} reached its end of life on ${stored.endOfLife}: this ${origin.kind}'s session runs as its successor ${entry.id}`,
  };
}

/**
 * A new session's name when none was given: a person's from their prompt's first words, a trigger's or
 * schedule's from its own name (its prompt is a template, the same every time), numbered when the
 * workspace has one of that name; a readable random one when there is nothing to name it by.
 */
async function nameFor(db: D1Database, workspaceId: string, body: CreateSessionBody, origin: Origin) {
  const base =
    origin.kind === "trigger"
      ? origin.triggerName
      : origin.kind === "schedule"
        ? origin.scheduleName
        : nameFromPrompt(body.prompt);
  if (!base?.trim()) return generateDisplayName();
  const name = base.trim().slice(0, 90);
  return numbered(name, await namesLike(db, workspaceId, name));
}

/**
 * Creates a session: its index row first (so it is listed and authorized), then its room. One that awaits
 * approval stays in Pending until an owner or editor approves it.
 */
export async function createSession(
  env: Env,
  workspaceId: string,
  body: CreateSessionBody,
  createdBy: Actor,
  origin: Origin,
  /** `id`: a schedule's run chooses its session's id before it starts it, so a retried run finds it. */
  { awaitingApproval = false, id = crypto.randomUUID() }: { awaitingApproval?: boolean; id?: string } = {},
) {
  const workflowDefinition = await resolveWorkflow(env.DB, workspaceId, body.workflow);
  const now = Date.now();
  const catalog = catalogOf(env);
  const { entry, succeeded } = modelFor(catalog, body.model ?? defaultModel(catalog, now).id, origin, now);
  const model = entry.id;
  // Thinking and effort as the model takes them: unset thinking is on where it always thinks.
  const { thinking, effort } = requireModelSettings(entry, body);
  await requireBudgetLeft(env.DB, workspaceId, now);
  const displayName = body.displayName ?? (await nameFor(env.DB, workspaceId, body, origin));
  await insertSession(env.DB, {
    id,
    workspaceId,
    name: displayName,
    model,
    createdBy: createdBy.id,
    origin,
    createdAt: now,
    awaitingApproval,
    prompt: body.prompt ?? "",
  });
  if (workflowDefinition) await setSessionWorkflow(env.DB, id, workflowDefinition.name);
  const init: SessionInit & { prompt?: string; modelNote?: string } = {
    id,
    workspaceId,
    displayName,
    config: {
      model,
      temperature: body.temperature,
      maxTokens: body.maxTokens,
      timeoutSeconds: body.timeoutSeconds,
      thinking,
      effort,
      // People's sessions wait for the next message; a trigger's (or schedule's) completes when its work is done.
      interactive: body.interactive ?? origin.kind === "person",
      permissionMode: body.permissionMode,
    },
    repos: body.repos,
    workflow: body.workflow ?? null,
    workflowDefinition,
    origin,
    createdBy,
    createdAt: now,
    prompt: body.prompt,
    awaitingApproval,
    ...(succeeded ? { modelNote: succeeded } : {}),
  };
  try {
    return unwrap(await (await roomOf(env, id)).create(init));
  } catch (err) {
    await deleteSessionRow(env.DB, id);
    throw err;
  }
}
