/**
 * POST /webhooks/:triggerId — public, authenticated by the trigger's secret: GitHub's
 * `X-Hub-Signature-256: sha256=<hmac of the raw body>`. An accepted delivery starts a session whose first
 * message is the trigger's prompt template filled from the payload (as quoted, untrusted data). The
 * delivery id and the event header are not signed, so a delivery is also known by its body's SHA-256: the
 * same signed body under a fresh id or another event, for as long as the trigger exists, is a replay of
 * its first delivery and starts nothing new (the event the filter reads is the first delivery's).
 */
import type { Context } from "hono";
import { z } from "zod";
import { sha256Hex } from "../auth/api-token";
import {
  claimBody,
  claimDelivery,
  finishDelivery,
  getDelivery,
  reclaimDelivery,
  type DeliveryRow,
} from "../db/deliveries";
import { getTrigger, triggerSecretContext, type TriggerRow } from "../db/triggers";
import type { Env } from "../env";
import { newApp, type AppEnv } from "../http/app";
import { parseJsonText, readBodyBytes } from "../http/body";
import { HttpError, notFound, parseInput } from "../http/errors";
import { enforceRateLimit } from "../http/rate-limit";
import { LIMITS } from "../protocol/session-config";
import { openValue } from "../secrets";
import { verifySignature } from "../secrets/hmac";
import { createSession } from "../sessions/create";
import { CreateSessionSchema } from "../protocol/session";
import { lookup, triggerPrompt } from "./webhook-prompt";

export const MAX_WEBHOOK_BYTES = 1024 * 1024;
/** How long a copy of a delivery waits for the copy that is creating the session. */
const DUPLICATE_WAIT_MS = 10_000;

const Params = z.object({ triggerId: z.string().min(1).max(100) });
const DeliveryIdSchema = z
  .string()
  .trim()
  .min(1)
  .max(200)
  .regex(/^[\x21-\x7e]+$/, "must be printable ASCII");

export const webhookRoutes = newApp();

webhookRoutes.post("/:triggerId", async (c) => {
  const { triggerId } = parseInput(Params, { triggerId: c.req.param("triggerId") });
  const trigger = await getTrigger(c.env.DB, triggerId);
  if (!trigger) throw notFound("trigger not found");

  const raw = await readBodyBytes(c.req.raw, MAX_WEBHOOK_BYTES);
  const secret = await openValue(c.env, triggerSecretContext(trigger.id), {
    ciphertext: trigger.secret_ciphertext,
    iv: trigger.secret_iv,
  });
  if (!(await verifySignature(secret, raw, c.req.header("x-hub-signature-256")))) {
    throw new HttpError("bad_signature", "X-Hub-Signature-256 is missing or does not match the body");
  }
  // Counted only once signed: without the secret no one can use up a trigger's deliveries.
  await enforceRateLimit(c.env, "delivery", `trigger:${trigger.id}`);
  const payload = parseJsonText(raw, "webhook body");
  const event = c.req.header("x-github-event")?.trim() || null;
  const bodyHash = await sha256Hex(raw);
  const deliveryHeader = c.req.header("x-github-delivery") ?? c.req.header("idempotency-key");
  const deliveryId = deliveryHeader === undefined ? `sha256:${bodyHash}` : parseDeliveryId(deliveryHeader);

  const now = Date.now();
  const claimed =
    (await claimDelivery(c.env.DB, {
      id: crypto.randomUUID(),
      triggerId: trigger.id,
      deliveryId,
      event,
      now,
    })) || (await reclaimDelivery(c.env.DB, trigger.id, deliveryId, now));
  if (!claimed)
    return replay(c, await settledDelivery(c.env.DB, trigger.id, deliveryId), trigger.workspace_id);
  const holder = await claimBody(c.env.DB, trigger.id, bodyHash, deliveryId, now);
  if (holder !== deliveryId) {
    await finishDelivery(c.env.DB, trigger.id, deliveryId, {
      status: "skipped",
      outcome: `replay of delivery ${holder} (same body)`,
    });
    return replay(c, await settledDelivery(c.env.DB, trigger.id, holder), trigger.workspace_id);
  }

  const skipped = skipReason(trigger, event, payload);
  if (skipped) {
    await finishDelivery(c.env.DB, trigger.id, deliveryId, { status: "skipped", outcome: skipped });
    return c.json({ skipped }, 200);
  }
  try {
    const sessionId = await startSession(c.env, trigger, deliveryId, payload);
    const outcome = trigger.require_approval === 1 ? "session waits for approval" : "session started";
    await finishDelivery(c.env.DB, trigger.id, deliveryId, { status: "accepted", outcome, sessionId });
    return c.json({ sessionId, url: sessionURL(c.env, trigger.workspace_id, sessionId) }, 202);
  } catch (err) {
    const outcome = err instanceof HttpError ? err.message : "the session could not be started";
    await finishDelivery(c.env.DB, trigger.id, deliveryId, { status: "failed", outcome });
    throw err;
  }
});

async function startSession(
  env: Env,
  trigger: TriggerRow,
  deliveryId: string,
  payload: unknown,
): Promise<string> {
  const prompt = triggerPrompt(trigger.prompt_template, payload).slice(0, LIMITS.prompt.max);
  const stored = JSON.parse(trigger.session_config) as Record<string, unknown>;
  const config = CreateSessionSchema.safeParse({ ...stored, prompt: prompt.trim() ? prompt : undefined });
  if (!config.success)
    throw new HttpError("trigger_invalid", "the trigger's session configuration is no longer valid");
  const session = await createSession(
    env,
    trigger.workspace_id,
    config.data,
    { id: trigger.created_by, name: trigger.creator_name ?? trigger.name },
    { kind: "trigger", triggerId: trigger.id, triggerName: trigger.name, deliveryId },
    { awaitingApproval: trigger.require_approval === 1 },
  );
  return session.id;
}

/** The answer to a repeated delivery: the first one's session, or the same skip. */
function replay(c: Context<AppEnv>, delivery: DeliveryRow, workspaceId: string): Response {
  if (delivery.status === "accepted" && delivery.session_id) {
    return c.json(
      {
        sessionId: delivery.session_id,
        url: sessionURL(c.env, workspaceId, delivery.session_id),
        duplicate: true,
      },
      200,
    );
  }
  if (delivery.status === "skipped")
    return c.json({ skipped: delivery.outcome ?? "skipped", duplicate: true }, 200);
  throw new HttpError("delivery_in_progress", "this delivery is still being processed; retry later");
}

/** Waits while another copy of this delivery is creating its session. */
async function settledDelivery(db: D1Database, triggerId: string, deliveryId: string): Promise<DeliveryRow> {
  const deadline = Date.now() + DUPLICATE_WAIT_MS;
  for (let wait = 10; ; wait = Math.min(wait * 2, 200)) {
    const row = await getDelivery(db, triggerId, deliveryId);
    if (!row) throw new HttpError("delivery_in_progress", "this delivery is being processed; retry later");
    if (row.status !== "pending" || Date.now() > deadline) return row;
    await new Promise((resolve) => setTimeout(resolve, wait));
  }
}

/** Why a verified delivery starts nothing, or null when it should start a session. */
function skipReason(trigger: TriggerRow, event: string | null, payload: unknown): string | null {
  if (event === "ping") return "ping event";
  if (trigger.filter_event && event !== trigger.filter_event)
    return `event ${event ?? "(none)"} does not match ${trigger.filter_event}`;
  if (trigger.filter_action) {
    const action = lookup(payload, "action");
    if (action !== trigger.filter_action)
      return `action ${typeof action === "string" ? action : "(none)"} does not match ${trigger.filter_action}`;
  }
  return null;
}

function parseDeliveryId(header: string): string {
  const parsed = DeliveryIdSchema.safeParse(header);
  if (!parsed.success)
    throw new HttpError("invalid_input", "delivery id: 1–200 printable characters", {
      field: "X-GitHub-Delivery",
    });
  return parsed.data;
}

const sessionURL = (env: Env, workspaceId: string, sessionId: string) =>
  `${env.PUBLIC_URL.replace(/\/+$/, "")}/w/${workspaceId}/s/${sessionId}`;
