import type { Context } from "hono";
import { z } from "zod";
import { deliveryView, listDeliveries } from "../db/deliveries";
import {
  callbackSecretContext,
  deleteTrigger,
  deleteWorkspaceCallback,
  findTrigger,
  getWorkspaceCallback,
  insertTrigger,
  listTriggers,
  putWorkspaceCallback,
  triggerSecretContext,
  type TriggerRow,
} from "../db/triggers";
import { newApp, type AppEnv } from "../http/app";
import { HttpError, notFound, parseInput } from "../http/errors";
import { readJson } from "../http/body";
import { callbackURLRefusal } from "../http/outbound";
import { newSigningSecret, sealValue } from "../secrets";
import { ownerOnly } from "./secrets";
import type { CreateSessionBody } from "../protocol/session";
import { resolveWorkflow } from "../sessions/workflow-lookup";
import { requireTemplateSettings } from "../models/catalog";
import {
  CreateTriggerSchema,
  PutCallbackSchema,
  type Delivery,
  type Trigger,
  type WorkspaceCallback,
} from "../protocol/triggers";

const Params = z.object({ id: z.string().min(1).max(100) });
const DeliveriesQuery = z.object({ limit: z.coerce.number().int().min(1).max(200).default(50) });

const publicURL = (c: Context<AppEnv>) => c.env.PUBLIC_URL.replace(/\/+$/, "");

/** A callback URL is checked when it is set (and again at every send): no private, loopback or link-local host. */
function checkCallbackURL(c: Context<AppEnv>, url: string | null | undefined, field: string): void {
  const refused = url ? callbackURLRefusal(url, c.env.AUTH_MODE) : null;
  if (refused)
    throw new HttpError("invalid_input", `${field}: ${refused}; callbacks go to public hosts only`, {
      field,
    });
}

export function triggerView(row: TriggerRow, baseURL: string): Trigger {
  return {
    id: row.id,
    name: row.name,
    session: JSON.parse(row.session_config) as CreateSessionBody,
    promptTemplate: row.prompt_template,
    filter: { event: row.filter_event, action: row.filter_action },
    callbackUrl: row.callback_url,
    requireApproval: row.require_approval === 1,
    webhookUrl: `${baseURL}/webhooks/${row.id}`,
    createdBy: { id: row.created_by, name: row.creator_name ?? "" },
    createdAt: row.created_at,
  };
}

/** Webhook triggers of a workspace, owners only: /api/workspaces/:ws/triggers. */
export const triggerRoutes = newApp();

triggerRoutes.use(ownerOnly);

triggerRoutes.get("/", async (c) => {
  const rows = await listTriggers(c.env.DB, c.req.param("ws")!);
  return c.json({ triggers: rows.map((row) => triggerView(row, publicURL(c))) });
});

triggerRoutes.post("/", async (c) => {
  const body = await readJson(c, CreateTriggerSchema);
  checkCallbackURL(c, body.callbackUrl, "callbackUrl");
  const ws = c.req.param("ws")!;
  await resolveWorkflow(c.env.DB, ws, body.session.workflow, "session.workflow");
  requireTemplateSettings(c.env, body.session, Date.now());
  const id = crypto.randomUUID();
  const secret = newSigningSecret();
  await insertTrigger(c.env.DB, {
    id,
    workspaceId: ws,
    name: body.name,
    secret: await sealValue(c.env, triggerSecretContext(id), secret),
    sessionConfig: body.session,
    promptTemplate: body.promptTemplate,
    filter: body.filter,
    callbackUrl: body.callbackUrl ?? null,
    requireApproval: body.requireApproval,
    createdBy: c.var.user.id,
    createdAt: Date.now(),
  });
  const row = await findTrigger(c.env.DB, ws, id);
  return c.json({ trigger: triggerView(row!, publicURL(c)), secret }, 201);
});

triggerRoutes.get("/:id", async (c) => c.json({ trigger: triggerView(await trigger(c), publicURL(c)) }));

triggerRoutes.delete("/:id", async (c) => {
  const { id } = parseInput(Params, { id: c.req.param("id") });
  if (!(await deleteTrigger(c.env.DB, c.req.param("ws")!, id))) throw notFound("trigger not found");
  return c.body(null, 204);
});

triggerRoutes.get("/:id/deliveries", async (c) => {
  const { limit } = parseInput(DeliveriesQuery, c.req.query());
  const row = await trigger(c);
  return c.json({
    deliveries: (await listDeliveries(c.env.DB, row.id, limit)).map((d): Delivery => deliveryView(d)),
  });
});

async function trigger(c: Context<AppEnv>): Promise<TriggerRow> {
  const { id } = parseInput(Params, { id: c.req.param("id") });
  const row = await findTrigger(c.env.DB, c.req.param("ws")!, id);
  if (!row) throw notFound("trigger not found");
  return row;
}

/**
 * The workspace-wide callback, owners only: /api/workspaces/:ws/callback. Every phase change of every
 * session of the workspace is POSTed there, signed with the secret returned (once) by PUT.
 */
export const workspaceCallbackRoutes = newApp();

workspaceCallbackRoutes.use(ownerOnly);

workspaceCallbackRoutes.get("/", async (c) => {
  const row = await getWorkspaceCallback(c.env.DB, c.req.param("ws")!);
  const callback: WorkspaceCallback | null = row ? { url: row.url, updatedAt: row.updated_at } : null;
  return c.json({ callback });
});

workspaceCallbackRoutes.put("/", async (c) => {
  const { url } = await readJson(c, PutCallbackSchema);
  checkCallbackURL(c, url, "url");
  const ws = c.req.param("ws")!;
  const secret = newSigningSecret();
  const now = Date.now();
  await putWorkspaceCallback(
    c.env.DB,
    ws,
    url,
    await sealValue(c.env, callbackSecretContext(ws), secret),
    now,
  );
  return c.json({ callback: { url, updatedAt: now } satisfies WorkspaceCallback, secret });
});

workspaceCallbackRoutes.delete("/", async (c) => {
  if (!(await deleteWorkspaceCallback(c.env.DB, c.req.param("ws")!))) throw notFound("no callback set");
  return c.body(null, 204);
});
