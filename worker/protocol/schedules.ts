/**
 * Schedules: sessions that start on a clock. A schedule names a 5-field cron expression in an
 * IANA time zone, the create-session body its sessions start from, and the first message. web/ imports
 * this file: no Worker-runtime imports (the cron rules themselves are in worker/schedule/cron.ts).
 */
import { z } from "zod";
import { LIMITS } from "./session-config";
import { ActorSchema, CreateSessionSchema } from "./session";

/** Runs of one schedule are at least this far apart: stated in the error that refuses a tighter cron. */
export const MIN_INTERVAL_MINUTES = 5;

const Name = z.string().trim().min(1).max(100);
const Cron = z.string().trim().min(9).max(200);
const Timezone = z.string().trim().min(1).max(100);
/** The create-session body, without what a schedule states itself (the prompt and `interactive`). */
const ScheduleSession = CreateSessionSchema.refine((body) => body.prompt === undefined, {
  path: ["prompt"],
  message: "a schedule's first message is its own prompt field",
}).refine((body) => body.interactive === undefined, {
  path: ["interactive"],
  message: "a schedule's interactive field says this",
});
const Prompt = z.string().trim().min(1).max(LIMITS.prompt.max);

export const CreateScheduleSchema = z.strictObject({
  name: Name,
  cron: Cron,
  timezone: Timezone.default("UTC"),
  session: ScheduleSession,
  prompt: Prompt,
  interactive: z.boolean().default(false),
  enabled: z.boolean().default(true),
});
export type NewSchedule = z.input<typeof CreateScheduleSchema>;

export const UpdateScheduleSchema = z
  .strictObject({
    name: Name.optional(),
    cron: Cron.optional(),
    timezone: Timezone.optional(),
    session: ScheduleSession.optional(),
    prompt: Prompt.optional(),
    interactive: z.boolean().optional(),
    enabled: z.boolean().optional(),
  })
  .refine((body) => Object.keys(body).length > 0, "nothing to change");
export type SchedulePatch = z.input<typeof UpdateScheduleSchema>;

export const ScheduleSchema = z.object({
  id: z.string(),
  workspaceId: z.string(),
  name: z.string(),
  cron: z.string(),
  timezone: z.string(),
  /** The create-session body its sessions start from, defaults applied. */
  session: CreateSessionSchema,
  prompt: z.string(),
  interactive: z.boolean(),
  enabled: z.boolean(),
  /** When the clock next starts a session (ms); null while paused. */
  nextRunAt: z.int().nullable(),
  createdBy: ActorSchema,
  /** Who changed it last (its creator until someone edits it): its runs start as this person. */
  updatedBy: ActorSchema,
  createdAt: z.int(),
  updatedAt: z.int(),
});
export type Schedule = z.infer<typeof ScheduleSchema>;

export const RunOutcomeSchema = z.enum(["starting", "started", "skipped", "failed"]);
export type RunOutcome = z.infer<typeof RunOutcomeSchema>;

/** One run: when it was due (null for "run now"), when it ran, its session and what came of it. */
export const ScheduleRunSchema = z.object({
  id: z.string(),
  scheduledFor: z.int().nullable(),
  ranAt: z.int(),
  manual: z.boolean(),
  sessionId: z.string().nullable(),
  outcome: RunOutcomeSchema,
  reason: z.string().nullable(),
});
export type ScheduleRun = z.infer<typeof ScheduleRunSchema>;

export const RunStartedSchema = z.object({ sessionId: z.string() });
