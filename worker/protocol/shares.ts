/**
 * Share links: a read-only view of one session for guests without an account. The guest's
 * session is a narrow pick of SessionView — what the page shows (name, phase, status, model, clock) and
 * nothing of the workspace (no workspace id, repositories, workflow, origin, creator or saved workspace).
 * No Worker-runtime imports: web/ imports this file.
 */
import { z } from "zod";
import { PhaseSchema, SessionViewSchema } from "./session";
import type { TranscriptMessage } from "./transcript";

/** A link's lifetime is bounded: at most 30 days; without one the link lasts until revoked. */
export const SHARE_MAX_HOURS = 720;

export const CreateShareSchema = z.strictObject({
  expiresInHours: z.number().int().min(1).max(SHARE_MAX_HOURS).optional(),
});
export type NewShare = z.input<typeof CreateShareSchema>;

/** A live link as GET …/shares lists it: never its token. */
export const ShareSchema = z.object({
  id: z.string(),
  sessionId: z.string(),
  createdAt: z.int(),
  expiresAt: z.int().nullable(),
  /** The name of the member who created it. */
  createdBy: z.string(),
});
export type Share = z.infer<typeof ShareSchema>;

/** POST …/shares: the link with its token, shown this once. */
export const CreatedShareSchema = z.object({
  id: z.string(),
  url: z.string(),
  expiresAt: z.int().nullable(),
});
export type CreatedShare = z.infer<typeof CreatedShareSchema>;

export const GuestSessionSchema = SessionViewSchema.pick({
  id: true,
  displayName: true,
  model: true,
  phase: true,
  agentStatus: true,
  step: true,
  interactive: true,
  timeoutSeconds: true,
  createdAt: true,
  updatedAt: true,
  activeSeconds: true,
  runSeconds: true,
});
export type GuestSession = z.infer<typeof GuestSessionSchema>;

/** A phase change as a guest sees it: when and to what, never who or why. */
export const GuestPhaseChangeSchema = z.object({ at: z.int(), phase: PhaseSchema });
export type GuestPhaseChange = z.infer<typeof GuestPhaseChangeSchema>;

/** GET /api/shares/:token. */
export const GuestViewSchema = z.object({
  session: GuestSessionSchema,
  phases: z.array(GuestPhaseChangeSchema),
  messages: z.array(z.custom<TranscriptMessage>()),
});
export type GuestView = z.infer<typeof GuestViewSchema>;

/** What a guest's socket and page are keyed by: the token in the path. */
export const ShareTokenSchema = z.string().regex(/^tds_[0-9a-f]{64}$/, "not a share token");
