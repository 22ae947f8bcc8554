/**
 * A session as the API speaks it: what GET …/sessions/:id and the list return, its events
 * and artifacts, and the bodies that create and change one. The Worker builds its answers to these types
 * and validates requests with these schemas; the web app's client and forms are typed by them; the
 * OpenAPI document is generated from them. No Worker-runtime imports: web/ imports this file.
 */
import { z } from "zod";
import {
  AgentStatusSchema,
  APPROVAL_MESSAGE_MAX,
  ApprovalDecisionSchema,
  PlanContinueModeSchema,
} from "./agent";
import { PHASES } from "./lifecycle";
import { EffortSchema } from "./models";
import { InboxCountsSchema, InboxStatusSchema, SessionOrderSchema, SessionSearchSchema } from "./inbox";
import {
  LIMITS,
  MODEL_IDS,
  PermissionModeSchema,
  RepoInputSchema,
  RepoSchema,
  WorkflowNameSchema,
} from "./session-config";
import { SessionUsageSchema } from "./usage";

export const PhaseSchema = z.enum(PHASES);

/** Who started a session: a person, a webhook trigger (and which delivery), or a schedule. */
export const OriginSchema = z.discriminatedUnion("kind", [
  z.object({ kind: z.literal("person") }),
  z.object({
    kind: z.literal("trigger"),
    triggerId: z.string(),
    triggerName: z.string(),
    deliveryId: z.string().nullable(),
  }),
  z.object({ kind: z.literal("schedule"), scheduleId: z.string(), scheduleName: z.string() }),
]);
export type Origin = z.infer<typeof OriginSchema>;

/** A person as a session names them: who created it, who acted. */
export const ActorSchema = z.object({ id: z.string(), name: z.string() });
export type Actor = z.infer<typeof ActorSchema>;

/** The session as GET …/sessions/:id (and every call that changes one) returns it. Times are ms since the epoch. */
export const SessionViewSchema = z.object({
  id: z.string(),
  workspaceId: z.string(),
  displayName: z.string(),
  model: z.enum(MODEL_IDS),
  /** Stored as given and never sent: the API version the SDK speaks refuses sampling parameters. */
  temperature: z.number(),
  maxTokens: z.int(),
  timeoutSeconds: z.int(),
  thinking: z.boolean(),
  /** `output_config.effort`; null: the model's default. */
  effort: EffortSchema.nullable(),
  /** false: the session goes to Completed when a turn ends with nothing queued. */
  interactive: z.boolean(),
  /** Who decides tool calls: `auto`, `ask` (the team approves), `plan` (a plan first). */
  permissionMode: PermissionModeSchema,
  phase: PhaseSchema,
  agentStatus: AgentStatusSchema,
  /** Provisioning step shown during Creating ("cloning repo 1 of 2"). */
  step: z.string().nullable(),
  repos: z.array(RepoSchema),
  workflow: z.string().nullable(),
  origin: OriginSchema,
  createdBy: ActorSchema,
  createdAt: z.int(),
  updatedAt: z.int(),
  /** Active seconds over all runs. */
  activeSeconds: z.int(),
  /** Started by a trigger that requires approval, not approved yet: it waits in Pending. */
  awaitingApproval: z.boolean(),
  /** Active seconds of the current run: the timeout applies per run. */
  runSeconds: z.int(),
  /** The latest saved copy of the agent's workspace (restored on Resume), if any. */
  savedWorkspace: z.object({ size: z.int(), savedAt: z.int() }).nullable(),
  /** The pull request the last push opened (POST …/push with pullRequest). */
  pullRequestUrl: z.string().nullable(),
  /** Tokens over all turns, and their cost at the catalog's prices. Not copied by a clone. */
  usage: SessionUsageSchema,
});
export type SessionView = z.infer<typeof SessionViewSchema>;

/** A row of the session list: the D1 index's fields, not the whole session (no settings, repos or times). */
export const SessionSummarySchema = SessionViewSchema.pick({
  id: true,
  workspaceId: true,
  displayName: true,
  phase: true,
  agentStatus: true,
  model: true,
  origin: true,
  createdBy: true,
  createdAt: true,
  updatedAt: true,
  awaitingApproval: true,
  pullRequestUrl: true,
}).extend({
  /** Where it stands for the workspace's people (worker/protocol/inbox.ts): "waiting" sorts first. */
  status: InboxStatusSchema,
  /** A question or an approval waits for an owner or editor (status "waiting" says so too). */
  awaitingDecision: z.boolean(),
  /** The last time anything the list shows happened to it: a phase, a turn begun or ended, a question. */
  lastActivityAt: z.int(),
});
export type SessionSummary = z.infer<typeof SessionSummarySchema>;

/** A row as one person's list shows it: when they last looked (null: never), so what happened since is unread. */
export const SessionListItemSchema = SessionSummarySchema.extend({ seenAt: z.int().nullable() });
export type SessionListItem = z.infer<typeof SessionListItemSchema>;

export const SessionPageSchema = z.object({
  sessions: z.array(SessionListItemSchema),
  nextCursor: z.string().nullable(),
  /** Over the whole workspace (the search applied, not the status or phase filter): the chips' counts. */
  counts: InboxCountsSchema,
});
export type SessionPage = z.infer<typeof SessionPageSchema>;

/** One entry of the session's append-only events log; `actor` is the acting person's name. */
export const SessionEventSchema = z.object({
  seq: z.int(),
  at: z.int(),
  type: z.string(),
  phase: PhaseSchema.optional(),
  actor: z.string().optional(),
  reason: z.string().optional(),
});
export type SessionEvent = z.infer<typeof SessionEventSchema>;

export const ArtifactSchema = z.object({ name: z.string(), size: z.int(), updatedAt: z.int() });
export type Artifact = z.infer<typeof ArtifactSchema>;

/** A person's message, accepted: its place in the input queue, and whether it waits behind a turn. */
export const MessageAcceptedSchema = z.object({ seq: z.int(), queued: z.boolean() });
export type MessageAccepted = z.infer<typeof MessageAcceptedSchema>;

/** A signed pass to the session's WebSocket (GET …/ticket). */
export const RoomTicketSchema = z.object({ ticket: z.string(), expiresAt: z.int(), url: z.string() });
export type RoomTicket = z.infer<typeof RoomTicketSchema>;

export const DriveExportSchema = z.object({ url: z.string() });

const DisplayName = z.string().trim().min(LIMITS.displayName.min).max(LIMITS.displayName.max);
const Repos = z.array(RepoInputSchema).max(LIMITS.repos.max);
// A built-in or one of the workspace's own: the API checks which exists (worker/sessions/workflow-lookup.ts).
const Workflow = WorkflowNameSchema;

/** The create-session body: each bound and default exactly as the product specifies them. */
export const CreateSessionSchema = z
  .strictObject({
    displayName: DisplayName.optional(),
    /** Unset: the catalog's default at the time of creation (the first live model; worker/protocol/models.ts). */
    model: z.enum(MODEL_IDS, { error: `model must be one of ${MODEL_IDS.join(", ")}` }).optional(),
    temperature: z
      .number()
      .min(LIMITS.temperature.min)
      .max(LIMITS.temperature.max)
      .default(LIMITS.temperature.default),
    maxTokens: z
      .number()
      .int()
      .min(LIMITS.maxTokens.min)
      .max(LIMITS.maxTokens.max)
      .default(LIMITS.maxTokens.default),
    timeoutSeconds: z
      .number()
      .int()
      .min(LIMITS.timeoutSeconds.min)
      .max(LIMITS.timeoutSeconds.max)
      .default(LIMITS.timeoutSeconds.default),
    /** Unset: on for a model that always thinks, else off (./model-settings.ts). */
    thinking: z.boolean().optional(),
    /** Unset or null: the model's default. Checked against the model by the API (./model-settings.ts). */
    effort: EffortSchema.nullable().optional(),
    /** false: the session completes when a turn ends with nothing queued. Unset: true for people, false for triggers. */
    interactive: z.boolean().optional(),
    permissionMode: PermissionModeSchema.default("auto"),
    repos: Repos.default([]),
    workflow: Workflow.nullable().optional(),
    prompt: z.string().max(LIMITS.prompt.max).optional(),
  })
  .refine((body) => !body.thinking || body.maxTokens >= LIMITS.thinkingMinMaxTokens, {
    path: ["thinking"],
    message: `extended thinking needs max tokens above ${LIMITS.thinkingMinMaxTokens - 1}`,
  });
export type CreateSessionBody = z.infer<typeof CreateSessionSchema>;
/** What a client may send to create a session (defaults not applied yet). */
export type NewSession = z.input<typeof CreateSessionSchema>;

export const UpdateSessionSchema = z
  .strictObject({
    displayName: DisplayName.optional(),
    repos: Repos.optional(),
    workflow: Workflow.nullable().optional(),
    /** From Claude Code's next tool call (setPermissionMode). */
    permissionMode: PermissionModeSchema.optional(),
    /** From the next model request (setModel); checked against the catalog: a retired model is refused. */
    model: z.enum(MODEL_IDS, { error: `model must be one of ${MODEL_IDS.join(", ")}` }).optional(),
  })
  .refine((body) => Object.keys(body).length > 0, "nothing to change");
export type SessionPatch = z.input<typeof UpdateSessionSchema>;

/** An owner's or editor's answer to an approval (POST …/sessions/:id/approvals/:approvalId). */
export const DecisionSchema = z.strictObject({
  decision: ApprovalDecisionSchema,
  /** Goes to Claude with the decision: why a call was denied, what a rejected plan should change. */
  message: z.string().trim().max(APPROVAL_MESSAGE_MAX).optional(),
  /** A plan's approval: the mode the session continues in (default `ask`). Ignored for a tool call. */
  mode: PlanContinueModeSchema.optional(),
});
export type DecisionBody = z.infer<typeof DecisionSchema>;
export const ApprovalDecidedSchema = z.object({
  approvalId: z.string(),
  decision: ApprovalDecisionSchema,
  decidedBy: z.string(),
});
export const ApprovalParamsSchema = z.object({
  id: z.string().min(1).max(100),
  approvalId: z.string().min(1).max(200),
});

export const MessageSchema = z.strictObject({ text: z.string().trim().min(1).max(LIMITS.prompt.max) });

export const ListSessionsQuerySchema = z.object({
  phase: PhaseSchema.optional(),
  status: InboxStatusSchema.optional(),
  /** By name or first prompt. */
  q: SessionSearchSchema.optional(),
  order: SessionOrderSchema.default("newest"),
  /** The last row of the previous page in the same order (the cursor says which order it was). */
  cursor: z.string().max(200).optional(),
  limit: z.coerce.number().int().min(1).max(100).default(50),
});

export const SessionParamsSchema = z.object({ id: z.string().min(1).max(100) });
