/**
 * The session's Yjs document (docs/architecture.md, "Transcript"): its keys, its message and block shapes, and the
 * `session` map the SessionRoom mirrors the session into. The room writes it (worker/session/transcript-doc.ts);
 * browsers only read it (web/src/lib/transcript.ts). web/ imports this file: no Worker-runtime imports.
 */
import type * as Y from "yjs";
import { z } from "zod";
import { SessionUsageSchema } from "./usage";
import { AgentStatusSchema, type ApprovalDecision, type AskedQuestion } from "./agent";
import { McpConnectionSchema } from "./mcp-servers";
import { RepoSchema, SessionConfigSchema } from "./session-config";
import { ArtifactSchema, OriginSchema, PhaseSchema } from "./session";

/** The document's top-level keys. */
export const DOC_KEYS = { info: "session", messages: "messages" } as const;

export const sessionInfo = (doc: Y.Doc): Y.Map<unknown> => doc.getMap<unknown>(DOC_KEYS.info);
export const messageList = (doc: Y.Doc): Y.Array<MessageEntry> =>
  doc.getArray<MessageEntry>(DOC_KEYS.messages);

/**
 * A message in the `messages` array. While anything in it can still change (it streams, a tool in it runs,
 * a person's message waits to be read) it is live: a Y.Map whose `blocks` is a Y.Array of Y.Maps and whose
 * text grows as a Y.Text, so viewers receive only new characters. Once settled it is its JSON
 * (`TranscriptMessage`) as one string in the array: a late joiner integrates one value for it, not one
 * struct per field, block and delta, and decodes it as one string, not one value per key (a string
 * decodes about 5× faster than the same JSON as a Yjs object). Readers take it through
 * `readEntry`/`messageEntries`, which parse it once (issue 24). A settled message written as an object
 * (the first lean writer) is read the same and rewritten as a string on the room's next load.
 */
export type MessageEntry = Y.Map<unknown> | string | SettledMessage;
/** A settled message as readers see it; the document holds its JSON and never changes it in place. */
export type SettledMessage = Readonly<TranscriptMessage>;
/** A message as readers take it: live, or settled and parsed. */
export type ReadEntry = Y.Map<unknown> | SettledMessage;

/** Whether an entry is a settled message (its JSON, or the object form) rather than a live Y.Map. */
export function isSettled(entry: MessageEntry): entry is string | SettledMessage {
  return typeof entry === "string" || Array.isArray((entry as { blocks?: unknown }).blocks);
}

/**
 * Parsed settled messages by their stored JSON. Readers re-read the whole list on every change, so each
 * string is parsed once: the document hands back the same string each time, whose hash V8 keeps. A
 * message that reopens and settles again is a new string; the old one is forgotten when the cache fills.
 */
const parsed = new Map<string, SettledMessage>();
const PARSED_KEPT = 100_000;

/** A settled message as a value, parsed once. */
export function settledMessage(entry: string | SettledMessage): SettledMessage {
  if (typeof entry !== "string") return entry;
  let message = parsed.get(entry);
  if (message === undefined) {
    if (parsed.size >= PARSED_KEPT) parsed.clear();
    message = JSON.parse(entry) as SettledMessage;
    parsed.set(entry, message);
  }
  return message;
}

/** An entry as readers take it: a live Y.Map as it is, a settled message parsed. */
export function readEntry(entry: MessageEntry): ReadEntry {
  return isSettled(entry) ? settledMessage(entry) : entry;
}

/** Every message of the list as readers take it. */
export function messageEntries(list: Y.Array<MessageEntry>): ReadEntry[] {
  return list.toArray().map(readEntry);
}

/** A message's JSON, live or settled: a live Y.Map's `toJSON` has the same fields (its Y.Texts as strings). */
export function messageJSON(entry: MessageEntry): TranscriptMessage {
  return isSettled(entry) ? settledMessage(entry) : (entry.toJSON() as TranscriptMessage);
}

/**
 * The largest settled message, in bytes of its JSON; a larger one stays live (a struct per field and block,
 * as before). Settling sends the whole message to every viewer once more: a message this small costs
 * little to send twice, and a large one (a long tool output) is bytes, not structs, for a late joiner. It
 * also keeps any single value far from SQLite's 2 MB row.
 */
export const SETTLED_MESSAGE_MAX_BYTES = 16 * 1024;

/**
 * What the room writes into the `session` map: the record's live fields, so viewers see phase, status
 * and the timeout's clock change without polling. The run's active time is
 * `activeMs - runBaseMs + (now - activeSince)` while `activeSince` is set.
 */
export const SessionInfoSchema = z.object({
  id: z.string(),
  name: z.string(),
  phase: PhaseSchema,
  agentStatus: AgentStatusSchema,
  step: z.string().nullable(),
  config: SessionConfigSchema,
  repos: z.array(RepoSchema),
  workflow: z.string().nullable(),
  origin: OriginSchema,
  timeoutSeconds: z.int(),
  /** Active time before `activeSince`, over all runs. */
  activeMs: z.number(),
  /** When the current active stretch began; null outside active phases. */
  activeSince: z.number().nullable(),
  /** Active time when the current run began: the timeout applies per run. */
  runBaseMs: z.number(),
  awaitingApproval: z.boolean(),
  /** Which model backs the agent ("anthropic" or "offline"), once it has said so. */
  agentModel: z.string(),
  artifacts: z.array(ArtifactSchema),
  /** Claude Code's connections to the workspace's MCP servers, as it last reported them. */
  mcpServers: z.array(McpConnectionSchema).optional(),
  /** The pull request the last push opened, if any. */
  pullRequestUrl: z.string().nullable().optional(),
  /** The session's token usage and cost so far. */
  usage: SessionUsageSchema,
});
export type SessionInfo = z.infer<typeof SessionInfoSchema>;

export const MESSAGE_ROLES = ["user", "assistant", "system"] as const;
export type MessageRole = (typeof MESSAGE_ROLES)[number];

export const BLOCK_TYPES = [
  "text",
  "thinking",
  "tool_use",
  "question",
  "approval",
  "error",
  "setup",
] as const;
export type BlockType = (typeof BLOCK_TYPES)[number];

/** `stopped`: cancelled by a stop; `result` holds what it wrote until then. */
export const TOOL_STATUSES = ["running", "done", "error", "stopped"] as const;
export type ToolStatus = (typeof TOOL_STATUSES)[number];

export interface ToolUseBlock {
  type: "tool_use";
  id: string;
  name: string;
  input: unknown;
  status: ToolStatus;
  result?: string;
  isError?: boolean;
  startedAt: number;
  endedAt?: number;
  /** The subagent call (Task/Agent tool block) this call runs inside; absent at the top level. */
  parentId?: string;
}

/** A question the agent asked; `questions` when it asked through AskUserQuestion (with options). */
export interface QuestionBlock {
  type: "question";
  id: string;
  text: string;
  questions?: AskedQuestion[];
  /** The answer a person gave, and who, once answered. */
  answer?: string;
  answeredBy?: string;
}

/**
 * A setup step in Creating (the workspace's script, a repository's `.tandem/setup.sh`, or `environment`: a
 * saved environment restored), in a system message of its own; `text` is its output, a Y.Text that grows.
 */
export interface SetupBlock {
  type: "setup";
  id: string;
  source: string;
  text: string;
  status: "running" | "done" | "error" | "stopped" | "restored";
  exitCode?: number | null;
  startedAt: number;
  endedAt?: number;
}

/** `pending` until a person decides (or the call is gone: `closed`, with why). */
export const APPROVAL_STATUSES = ["pending", "allowed", "denied", "closed"] as const;
export type ApprovalStatus = (typeof APPROVAL_STATUSES)[number];

/**
 * A tool call Claude Code asks permission for (`ask`), or its plan (`plan`, the text in `input.plan`): every
 * view shows it, an owner or editor decides it once (POST …/approvals/:id), and every view shows who did.
 */
export interface ApprovalBlock {
  type: "approval";
  id: string;
  kind: "tool" | "plan";
  tool: string;
  input: unknown;
  requestedAt: number;
  status: ApprovalStatus;
  decision?: ApprovalDecision;
  decidedBy?: string;
  decidedAt?: number;
  /** What the decider said to Claude (a denial's reason, a plan's feedback). */
  message?: string;
  /** A plan's approval: the mode the session continues in. */
  mode?: "auto" | "ask";
  /** Why a pending approval closed without a decision. */
  closedReason?: string;
}

/** A block as JSON; in the document, `text` of text and thinking blocks is a Y.Text that grows. */
export type TranscriptBlock =
  | { type: "text"; text: string }
  | {
      type: "thinking";
      text: string;
      signature?: string;
      /** When the agent began thinking, and when its next block began ("Thought for N s"); older documents have neither. */
      startedAt?: number;
      endedAt?: number;
    }
  | ToolUseBlock
  | QuestionBlock
  | SetupBlock
  | ApprovalBlock
  | { type: "error"; text: string };

/** A message as JSON; in the document, a Y.Map with these keys and `blocks` a Y.Array of Y.Maps. */
export interface TranscriptMessage {
  id: string;
  role: MessageRole;
  author: string | null;
  createdAt: number;
  /** A person's message the agent has not read yet. */
  queued?: boolean;
  seq?: number;
  blocks: TranscriptBlock[];
}
