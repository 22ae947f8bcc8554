import { z } from "zod";
import { LIMITS, MODEL_IDS, RepoSchema, WorkflowNameSchema } from "../protocol/session-config";
import { builtinWorkflow } from "../protocol/workflows";
import { PHASES } from "../protocol/lifecycle";

const DisplayName = z.string().trim().min(LIMITS.displayName.min).max(LIMITS.displayName.max);
const Repos = z.array(RepoSchema).max(LIMITS.repos.max);
const Workflow = WorkflowNameSchema.refine((name) => builtinWorkflow(name) !== null, "unknown workflow");

/** The create-session body of SPEC §2 / §9: each bound and default exactly as specified. */
export const CreateSessionSchema = z
  .strictObject({
    displayName: DisplayName.optional(),
    model: z.enum(MODEL_IDS, { error: `model must be one of ${MODEL_IDS.join(", ")}` }).default("claude-sonnet-4-5"),
    temperature: z.number().min(LIMITS.temperature.min).max(LIMITS.temperature.max).default(LIMITS.temperature.default),
    maxTokens: z.number().int().min(LIMITS.maxTokens.min).max(LIMITS.maxTokens.max).default(LIMITS.maxTokens.default),
    timeoutSeconds: z
      .number()
      .int()
      .min(LIMITS.timeoutSeconds.min)
      .max(LIMITS.timeoutSeconds.max)
      .default(LIMITS.timeoutSeconds.default),
    thinking: z.boolean().default(false),
    /** false: the session completes when a turn ends with nothing queued. Unset: true for people, false for triggers. */
    interactive: z.boolean().optional(),
    repos: Repos.default([]),
    workflow: Workflow.nullable().optional(),
    prompt: z.string().max(LIMITS.prompt.max).optional(),
  })
  .refine((body) => !body.thinking || body.maxTokens >= LIMITS.thinkingMinMaxTokens, {
    path: ["thinking"],
    message: "extended thinking needs max tokens above 1024",
  });
export type CreateSessionBody = z.infer<typeof CreateSessionSchema>;

export const UpdateSessionSchema = z
  .strictObject({ displayName: DisplayName.optional(), repos: Repos.optional(), workflow: Workflow.nullable().optional() })
  .refine((body) => Object.keys(body).length > 0, "nothing to change");

export const MessageSchema = z.strictObject({ text: z.string().trim().min(1).max(LIMITS.prompt.max) });

export const ListSessionsQuerySchema = z.object({
  phase: z.enum(PHASES).optional(),
  cursor: z.string().max(200).optional(),
  limit: z.coerce.number().int().min(1).max(100).default(50),
});

export const SessionParamsSchema = z.object({ id: z.string().min(1).max(100) });
