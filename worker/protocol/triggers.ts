/**
 * Webhook triggers, their deliveries and the workspace's phase-change callback as the API speaks them
 *. web/ imports this file: no Worker-runtime imports.
 */
import { z } from "zod";
import { LIMITS } from "./session-config";
import { ActorSchema, CreateSessionSchema } from "./session";

export const CallbackURLSchema = z.url({ protocol: /^https?$/, error: "must be an http(s) URL" }).max(2000);

export const TriggerFilterSchema = z.strictObject({
  event: z.string().trim().min(1).max(100).optional(),
  action: z.string().trim().min(1).max(100).optional(),
});

export const CreateTriggerSchema = z
  .strictObject({
    name: z.string().trim().min(1).max(100),
    session: CreateSessionSchema,
    promptTemplate: z.string().min(1).max(LIMITS.prompt.max),
    filter: TriggerFilterSchema.optional(),
    callbackUrl: CallbackURLSchema.nullable().optional(),
    /** Sessions it starts wait in Pending until an owner or editor approves them. */
    requireApproval: z.boolean().default(false),
  })
  .refine((body) => body.session.prompt === undefined, {
    path: ["session", "prompt"],
    message: "a trigger's first message comes from promptTemplate",
  });
export type NewTrigger = z.input<typeof CreateTriggerSchema>;

/** A trigger as listed: its signing secret is shown once, at creation, and never again. */
export const TriggerSchema = z.object({
  id: z.string(),
  name: z.string(),
  /** The create-session body its sessions start from, defaults applied. */
  session: CreateSessionSchema,
  promptTemplate: z.string(),
  filter: z.object({ event: z.string().nullable(), action: z.string().nullable() }),
  callbackUrl: z.string().nullable(),
  requireApproval: z.boolean(),
  /** Where the webhook is delivered: PUBLIC_URL/webhooks/:id. */
  webhookUrl: z.string(),
  createdBy: ActorSchema,
  createdAt: z.int(),
});
export type Trigger = z.infer<typeof TriggerSchema>;

export const DeliveryStatusSchema = z.enum(["pending", "accepted", "skipped", "failed"]);
export type DeliveryStatus = z.infer<typeof DeliveryStatusSchema>;

/** One webhook delivery and what came of it. */
export const DeliverySchema = z.object({
  deliveryId: z.string(),
  event: z.string().nullable(),
  status: DeliveryStatusSchema,
  outcome: z.string().nullable(),
  sessionId: z.string().nullable(),
  receivedAt: z.int(),
  updatedAt: z.int(),
});
export type Delivery = z.infer<typeof DeliverySchema>;

/** Where every phase change of every session of the workspace is POSTed, signed (its secret is shown once). */
export const WorkspaceCallbackSchema = z.object({ url: z.string(), updatedAt: z.int() });
export type WorkspaceCallback = z.infer<typeof WorkspaceCallbackSchema>;

export const PutCallbackSchema = z.strictObject({ url: CallbackURLSchema });
