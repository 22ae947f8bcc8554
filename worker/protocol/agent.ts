/**
 * The DO ↔ agent protocol: JSON frames over one WebSocket per session, validated with zod on both
 * sides. The agent (containers/agent) imports this module; nothing here may depend on Workers APIs.
 */
import { z } from "zod";
import { RepoSchema, SessionConfigSchema, WorkflowSchema } from "./session-config";

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
const id = z.string().min(1).max(200);

// ---- DO → agent -------------------------------------------------------------------------------

export const StartFrameSchema = z.object({
  type: z.literal("start"),
  sessionId: id,
  config: SessionConfigSchema,
  workflow: WorkflowSchema.nullable(),
  repos: z.array(RepoSchema),
  /** Environment for the agent process only: never echoed, logged or written to the transcript. */
  secrets: z.record(z.string(), z.string()),
  history: z.array(HistoryMessageSchema),
  /** The last agent frame the DO has applied; a live agent replays everything after it. */
  ackedUpTo: seq,
});
export const UserMessageFrameSchema = z.object({
  type: z.literal("user_message"),
  seq,
  text: z.string(),
  author: z.string(),
});
export const AnswerFrameSchema = z.object({ type: z.literal("answer"), seq, text: z.string(), author: z.string() });
export const StopFrameSchema = z.object({ type: z.literal("stop") });
export const AckFrameSchema = z.object({ type: z.literal("ack"), upTo: seq });

export const ToAgentFrameSchema = z.discriminatedUnion("type", [
  StartFrameSchema,
  UserMessageFrameSchema,
  AnswerFrameSchema,
  StopFrameSchema,
  AckFrameSchema,
]);
export type ToAgentFrame = z.infer<typeof ToAgentFrameSchema>;
export type StartFrame = z.infer<typeof StartFrameSchema>;

// ---- agent → DO (every frame carries seq, monotonic per session) -----------------------------

const Usage = z.object({
  inputTokens: z.number().int().nonnegative(),
  outputTokens: z.number().int().nonnegative(),
});

export const FromAgentFrameSchema = z.discriminatedUnion("type", [
  /** Provisioning progress during Creating (cloning repo x of y, starting agent). */
  z.object({ type: z.literal("progress"), seq, step: z.string().max(200), detail: z.string().max(2000).optional() }),
  /** Provisioning is done: the session may become Running. */
  z.object({ type: z.literal("ready"), seq, model: z.enum(["anthropic", "offline"]) }),
  z.object({ type: z.literal("status"), seq, state: AgentStatusSchema }),
  z.object({ type: z.literal("message_start"), seq, id }),
  z.object({ type: z.literal("text_delta"), seq, id, text: z.string() }),
  z.object({ type: z.literal("thinking_delta"), seq, id, text: z.string(), signature: z.string().optional() }),
  z.object({ type: z.literal("tool_use"), seq, id, messageId: id, name: z.string().max(200), input: z.unknown() }),
  z.object({ type: z.literal("tool_result"), seq, id, output: z.string(), isError: z.boolean() }),
  z.object({ type: z.literal("question"), seq, id, messageId: id, text: z.string() }),
  z.object({ type: z.literal("turn_end"), seq, usage: Usage }),
  z.object({ type: z.literal("input_consumed"), seq, upTo: seq }),
  z.object({ type: z.literal("artifact"), seq, name: z.string().max(500), size: z.number().int().nonnegative() }),
  /** A turn-level error: shown in the transcript, the session goes on. */
  z.object({ type: z.literal("turn_error"), seq, message: z.string().max(4000) }),
  /** The agent finished after a `stop`; its state is saved. */
  z.object({ type: z.literal("stopped"), seq }),
  /** The agent finished its work and exits on its own. */
  z.object({ type: z.literal("completed"), seq }),
  /** A fatal error: the session fails with this message. */
  z.object({ type: z.literal("error"), seq, message: z.string().max(4000) }),
]);
export type FromAgentFrame = z.infer<typeof FromAgentFrameSchema>;
export type FromAgentFrameType = FromAgentFrame["type"];

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
