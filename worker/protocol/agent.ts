/**
 * The DO ↔ agent protocol: JSON frames over one WebSocket per session, validated with zod on both
 * sides. The agent (containers/agent) imports this module; nothing here may depend on Workers APIs.
 */
import { z } from "zod";
import { EnvironmentKeySchema, EnvironmentSchema } from "./environment";
import { McpConnectionSchema, McpTransportSchema, MAX_MCP_SERVERS } from "./mcp-servers";
import { ModelIdSchema } from "./models";
import { PermissionModeSchema, RepoSchema, SessionConfigSchema, WorkflowSchema } from "./session-config";

export const AgentStatusSchema = z.enum(["working", "idle", "waiting_input"]);
export type AgentStatus = z.infer<typeof AgentStatusSchema>;

/** A past message as the agent needs it to rebuild its conversation on resume. */
export const HistoryBlockSchema = z.discriminatedUnion("type", [
  z.object({ type: z.literal("text"), text: z.string() }),
  z.object({ type: z.literal("thinking"), text: z.string(), signature: z.string().optional() }),
  z.object({
    type: z.literal("tool_use"),
    id: z.string(),
    name: z.string(),
    input: z.unknown(),
    result: z.string().optional(),
    isError: z.boolean().optional(),
  }),
  z.object({ type: z.literal("question"), text: z.string() }),
]);
export const HistoryMessageSchema = z.object({
  role: z.enum(["user", "assistant", "system"]),
  author: z.string().optional(),
  blocks: z.array(HistoryBlockSchema),
});
export type HistoryMessage = z.infer<typeof HistoryMessageSchema>;

const seq = z.number().int().nonnegative();

/** The longest the bounded texts of agent frames may be. */
export const FRAME_LIMITS = { step: 200, detail: 2000, message: 4000 } as const;

/**
 * A frame with its bounded texts cut to their limits. Redaction may make a text longer ("[redacted]" for
 * a shorter secret), and a frame over a limit would be dropped as invalid: an `error` lost that way would
 * leave its session waiting for an agent that has already given up.
 */
export function fitFrame<T extends object>(frame: T): T {
  const out = { ...frame } as Record<string, unknown>;
  for (const [field, max] of Object.entries(FRAME_LIMITS)) {
    const value = out[field];
    if (typeof value === "string" && value.length > max) out[field] = `${value.slice(0, max - 1)}…`;
  }
  return out as T;
}
const id = z.string().min(1).max(200);

/** The largest workspace archive kept; a larger one is reported and not stored. */
export const WORKSPACE_ARCHIVE_MAX_BYTES = 1024 * 1024 * 1024;
/**
 * `progress {step: SAVE_PROGRESS_STEP}`: the agent is archiving its workspace. Said when an archive
 * starts and every SAVE_PROGRESS_EVERY_MS while tar runs, so a room waiting for a stop knows the agent is
 * saving (a large workspace takes longer than the stop's deadline), not hung.
 */
export const SAVE_PROGRESS_STEP = "save";
export const SAVE_PROGRESS_EVERY_MS = 3000;
/** Names the agent incarnation an HTTP request is meant for; another incarnation answers 409. */
export const INCARNATION_HEADER = "x-tandem-incarnation";

// ---- DO → agent -------------------------------------------------------------------------------

/**
 * A workspace MCP server as the agent gets it: its headers' values resolved (credentials, like `secrets`:
 * never echoed, logged or written to the transcript), or `failure` when the room could not resolve it (a
 * secret deleted since, a URL the rules now refuse): then the agent reports it failed with that reason.
 */
export const StartMcpServerSchema = z.object({
  name: z.string().min(1).max(100),
  url: z.string().max(2000),
  transport: McpTransportSchema,
  headers: z.record(z.string(), z.string()),
  failure: z.string().max(FRAME_LIMITS.detail).nullable(),
  /**
   * Claude Code connects through the agent's MCP proxy, which checks every connection's resolved address
   * and connects to that same address: a private, loopback or link-local one is refused unless this says
   * otherwise (AUTH_MODE=dev: a loopback server).
   */
  privateHostsAllowed: z.boolean(),
});
export type StartMcpServer = z.infer<typeof StartMcpServerSchema>;

export const StartFrameSchema = z.object({
  type: z.literal("start"),
  sessionId: id,
  config: SessionConfigSchema,
  workflow: WorkflowSchema.nullable(),
  repos: z.array(RepoSchema),
  /** Environment for the agent process only: never echoed, logged or written to the transcript. */
  secrets: z.record(z.string(), z.string()),
  /** The workspace's MCP servers as they are at this start; absent from a room that predates them. */
  mcpServers: z.array(StartMcpServerSchema).max(MAX_MCP_SERVERS).default([]),
  history: z.array(HistoryMessageSchema),
  /** The last agent frame the DO has applied; a live agent replays everything after it. */
  ackedUpTo: seq,
  /**
   * The agent incarnation to reattach to, or null for a fresh run. When the host no longer runs that
   * incarnation it starts a new one, whose frames are numbered from 1 again.
   */
  incarnation: z.string().min(1).max(100).nullable(),
  /** A saved workspace exists: a new incarnation restores it (PUT by the DO) instead of cloning. */
  restore: z.boolean(),
  /**
   * The workspace's environment: its setup script runs after the clone (a restored session's ran already),
   * its variables are in every process's environment. Absent: none.
   */
  environment: EnvironmentSchema.optional(),
});
export const UserMessageFrameSchema = z.object({
  type: z.literal("user_message"),
  seq,
  text: z.string(),
  author: z.string(),
});
export const AnswerFrameSchema = z.object({
  type: z.literal("answer"),
  seq,
  text: z.string(),
  author: z.string(),
});
/** How a person answers an approval: the tool call (or plan) goes ahead, goes ahead for good in this session, or not. */
export const APPROVAL_DECISIONS = ["allow", "allow_always", "deny"] as const;
export const ApprovalDecisionSchema = z.enum(APPROVAL_DECISIONS);
export type ApprovalDecision = z.infer<typeof ApprovalDecisionSchema>;
/** The mode a plan's approval continues in: anything but planning again. */
export const PlanContinueModeSchema = PermissionModeSchema.exclude(["plan"]);
/** The longest message a person may send Claude with a decision (a denial's reason, a plan's feedback). */
export const APPROVAL_MESSAGE_MAX = 4000;
/**
 * An approval's answer, numbered in the input queue (kept, resent after a reconnect, de-duplicated by seq):
 * the room has decided it already (first answer wins); the agent hands it to the waiting tool call.
 */
export const DecisionFrameSchema = z.object({
  type: z.literal("decision"),
  seq,
  approvalId: id,
  decision: ApprovalDecisionSchema,
  message: z.string().max(APPROVAL_MESSAGE_MAX).optional(),
  /** A plan's approval: the mode the session continues in. */
  mode: PlanContinueModeSchema.optional(),
  author: z.string(),
});
export type DecisionFrame = z.infer<typeof DecisionFrameSchema>;
/**
 * Settings changed while Running (PATCH): from the agent's next model request. Not numbered: the latest
 * settings are also in every `start`, so a reattached agent takes them from there.
 */
export const SettingsFrameSchema = z.object({
  type: z.literal("settings"),
  permissionMode: PermissionModeSchema,
  model: ModelIdSchema,
});
export const StopFrameSchema = z.object({ type: z.literal("stop") });
export const AckFrameSchema = z.object({ type: z.literal("ack"), upTo: seq });

export const ToAgentFrameSchema = z.discriminatedUnion("type", [
  StartFrameSchema,
  UserMessageFrameSchema,
  AnswerFrameSchema,
  DecisionFrameSchema,
  SettingsFrameSchema,
  StopFrameSchema,
  AckFrameSchema,
]);
export type ToAgentFrame = z.infer<typeof ToAgentFrameSchema>;
export type StartFrame = z.infer<typeof StartFrameSchema>;

// ---- agent → DO (every frame carries seq, monotonic per session) -----------------------------

/** The most tokens one model request can report in any one figure (well past every model's window). */
const MAX_REQUEST_TOKENS = 10_000_000;
const tokens = z.number().int().nonnegative().max(MAX_REQUEST_TOKENS);

/**
 * One model request's usage, read by the agent host's model gateway from the response stream itself (turns,
 * compaction, summaries and subagents alike). `failed`: the request failed; its usage so far, possibly zero.
 * The room counts each frame once under a counter of its own and bounds it by the model's limits.
 */
export const ModelUsageSchema = z.object({
  requestId: id,
  model: ModelIdSchema,
  inputTokens: tokens,
  outputTokens: tokens,
  cacheReadTokens: tokens,
  cacheWriteTokens: tokens,
  failed: z.boolean(),
});
export type ModelUsage = z.infer<typeof ModelUsageSchema>;

/**
 * One question of Claude Code's AskUserQuestion tool (its input's `questions`), shown with its options so
 * a person can pick one; the answer goes back through the message route as the tool's result.
 */
export const AskedQuestionSchema = z.object({
  question: z.string().max(FRAME_LIMITS.detail),
  header: z.string().max(FRAME_LIMITS.step).optional(),
  options: z
    .array(
      z.object({
        label: z.string().max(FRAME_LIMITS.step),
        description: z.string().max(FRAME_LIMITS.detail).optional(),
      }),
    )
    .max(10),
  multiSelect: z.boolean().optional(),
});
export type AskedQuestion = z.infer<typeof AskedQuestionSchema>;

/** What the agent reports once, as an event of the session (not in the transcript). */
export const NOTICE_KINDS = [
  "model_deprecated",
  "context_trimmed",
  "context_summarised",
  "environment_not_saved",
] as const;

/** How a setup step ended; `restored`: a saved environment took its place. */
export const SETUP_END_STATUSES = ["done", "error", "stopped", "restored"] as const;

export const FromAgentFrameSchema = z.discriminatedUnion("type", [
  /** Provisioning progress during Creating (cloning repo x of y, starting agent). */
  z.object({
    type: z.literal("progress"),
    seq,
    step: z.string().max(FRAME_LIMITS.step),
    detail: z.string().max(FRAME_LIMITS.detail).optional(),
  }),
  /** Provisioning is done: the session may become Running. */
  z.object({ type: z.literal("ready"), seq, model: z.enum(["anthropic", "offline"]) }),
  z.object({ type: z.literal("status"), seq, state: AgentStatusSchema }),
  z.object({ type: z.literal("message_start"), seq, id }),
  z.object({ type: z.literal("text_delta"), seq, id, text: z.string() }),
  z.object({
    type: z.literal("thinking_delta"),
    seq,
    id,
    text: z.string(),
    signature: z.string().optional(),
  }),
  /** `parentId`: the subagent call (Claude Code's Task/Agent tool) this call runs inside, if any. */
  z.object({
    type: z.literal("tool_use"),
    seq,
    id,
    messageId: id,
    name: z.string().max(200),
    input: z.unknown(),
    parentId: id.optional(),
  }),
  /** `stopped`: the tool was cancelled by a stop; `output` is what it wrote until then. */
  z.object({
    type: z.literal("tool_result"),
    seq,
    id,
    output: z.string(),
    isError: z.boolean(),
    stopped: z.boolean().optional(),
  }),
  /** `questions`: AskUserQuestion's questions with their options, when the agent asked through that tool. */
  z.object({
    type: z.literal("question"),
    seq,
    id,
    messageId: id,
    text: z.string(),
    questions: z.array(AskedQuestionSchema).max(8).optional(),
  }),
  /**
   * A tool call Claude Code asks permission for (`ask`), or the plan it proposes (`plan`, kind `plan`, its
   * text in `input.plan`): the session waits for an owner's or editor's decision.
   */
  z.object({
    type: z.literal("approval"),
    seq,
    id,
    messageId: id,
    kind: z.enum(["tool", "plan"]),
    tool: z.string().max(200),
    input: z.unknown(),
  }),
  /** An approval no decision can reach any more (the turn was interrupted, the session stopped). */
  z.object({ type: z.literal("approval_closed"), seq, id, reason: z.string().max(FRAME_LIMITS.step) }),
  /** A turn ended (its usage came request by request, in `usage` frames). */
  z.object({ type: z.literal("turn_end"), seq }),
  z.object({ type: z.literal("usage"), seq, ...ModelUsageSchema.shape }),
  z.object({ type: z.literal("input_consumed"), seq, upTo: seq }),
  z.object({
    type: z.literal("artifact"),
    seq,
    name: z.string().max(500),
    size: z.number().int().nonnegative(),
  }),
  /**
   * The workspace was archived (after a turn that changed files, on stop, before a fatal error): the DO
   * fetches it (GET agentWorkspacePath) into R2. `overLimit`: larger than the cap, not kept.
   */
  z.object({
    type: z.literal("workspace_archive"),
    seq,
    size: z.number().int().nonnegative(),
    overLimit: z.boolean(),
  }),
  /** Something the session's events should record (a deprecated model, a trimmed context): appended as an event of that type. */
  z.object({
    type: z.literal("notice"),
    seq,
    kind: z.enum(NOTICE_KINDS),
    detail: z.string().max(FRAME_LIMITS.detail),
  }),
  /** Claude Code's connections to the workspace's MCP servers, each time one changes (the sidebar shows them). */
  z.object({
    type: z.literal("mcp_status"),
    seq,
    servers: z.array(McpConnectionSchema).max(MAX_MCP_SERVERS),
  }),
  /** A turn-level error: shown in the transcript, the session goes on. */
  z.object({ type: z.literal("turn_error"), seq, message: z.string().max(FRAME_LIMITS.message) }),
  /** The agent finished after a `stop`; its state is saved. */
  z.object({ type: z.literal("stopped"), seq }),
  /** The agent finished its work and exits on its own. */
  z.object({ type: z.literal("completed"), seq }),
  /**
   * The setup in Creating (the workspace's script, a repository's `.tandem/setup.sh`, or a saved
   * environment restored): a block of its own in the transcript, its output streamed like text.
   */
  z.object({ type: z.literal("setup_start"), seq, id, source: z.string().max(FRAME_LIMITS.step) }),
  z.object({ type: z.literal("setup_output"), seq, id, text: z.string() }),
  z.object({
    type: z.literal("setup_end"),
    seq,
    id,
    status: z.enum(SETUP_END_STATUSES),
    exitCode: z.number().int().nullable(),
  }),
  /** After the clone: the warm-start key of this run's setup; the room PUTs the saved environment, or says it has none. */
  z.object({ type: z.literal("environment_key"), seq, key: EnvironmentKeySchema }),
  /** The setup succeeded and the workspace is archived for the next session with this key: the room keeps it in R2. */
  z.object({
    type: z.literal("environment_archive"),
    seq,
    key: EnvironmentKeySchema,
    size: z.number().int().nonnegative(),
    overLimit: z.boolean(),
  }),
  /** A fatal error: the session fails with this message. */
  z.object({ type: z.literal("error"), seq, message: z.string().max(FRAME_LIMITS.message) }),
]);
export type FromAgentFrame = z.infer<typeof FromAgentFrameSchema>;

/**
 * Frames that say nothing about where a streamed text stands: a model request's usage (the gateway reports
 * it as the response ends, while the text of that response may still be on its way), an archive and its
 * progress, an artifact, an event, input read. Streamed text that redaction holds back (it could still
 * become a secret) is not released for them, only for a frame of the conversation or the agent's end.
 */
export const STREAM_NEUTRAL_FRAMES: ReadonlySet<FromAgentFrame["type"]> = new Set([
  "usage",
  "progress",
  "workspace_archive",
  "artifact",
  "notice",
  "input_consumed",
  "mcp_status",
  "environment_key",
  "environment_archive",
]);

/** Frames whose `text` is one stream of output, redacted across frames (a secret may be cut between two). */
export const STREAMED_TEXT_FRAMES = ["text_delta", "thinking_delta", "setup_output"] as const;

/**
 * The first frame on every socket, outside the numbered stream: which agent incarnation answers, and
 * whether it waits for its workspace (a new incarnation with `start.restore`).
 */
export const AgentHelloSchema = z.object({
  type: z.literal("hello"),
  incarnation: z.string().min(1).max(100),
  needsWorkspace: z.boolean(),
});
export type AgentHello = z.infer<typeof AgentHelloSchema>;
/** Anything the agent sends: its hello or a numbered frame. */
export const AgentMessageSchema = z.union([AgentHelloSchema, FromAgentFrameSchema]);

/** Parses one frame from text; returns null (never throws) on anything that is not a valid frame. */
export function parseFrame<T>(schema: z.ZodType<T>, data: unknown): T | null {
  if (typeof data !== "string") return null;
  let json: unknown;
  try {
    json = JSON.parse(data);
  } catch {
    return null;
  }
  const parsed = schema.safeParse(json);
  return parsed.success ? parsed.data : null;
}

/** Path on the agent host / container where the DO opens the session's socket. */
export function agentSocketPath(sessionId: string): string {
  return `/sessions/${encodeURIComponent(sessionId)}/socket`;
}

/** The session's workspace archive on the agent: GET the latest (tar.gz), PUT one to restore. */
export function agentWorkspacePath(sessionId: string): string {
  return `/sessions/${encodeURIComponent(sessionId)}/workspace`;
}
