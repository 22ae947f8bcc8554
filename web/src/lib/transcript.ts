/**
 * Reading the transcript document (docs/architecture.md, "Transcript"). The browser never writes to it: the
 * SessionRoom is its only author, so everything here is a read with a safe fallback. A message and its
 * blocks are live Y.Maps while they can change and plain values once settled (stored as JSON strings,
 * parsed once by `messageEntries`): every reader here takes either (`TranscriptNode`).
 */
import * as Y from "yjs";
import {
  BLOCK_TYPES,
  isSettled,
  messageEntries,
  messageList,
  sessionInfo,
  type BlockType,
  type MessageRole,
  type QuestionBlock,
  type SessionInfo,
  type SettledMessage,
  type ToolStatus,
  type TranscriptBlock,
  type ToolUseBlock,
  type TranscriptMessage,
} from "@tandem/protocol/transcript";
import { SessionUsageSchema, type SessionUsage } from "@tandem/protocol/usage";
import { AskedQuestionSchema, type AskedQuestion } from "@tandem/protocol/agent";
import { McpConnectionSchema, type McpConnection } from "@tandem/protocol/mcp-servers";
import { z } from "zod";
import type { AgentStatus, Artifact, Phase } from "./api";

export {
  isSettled,
  messageEntries,
  messageList,
  sessionInfo,
  type BlockType,
  type MessageRole,
  type ToolStatus,
};

/** A message or a block: a live Y.Map, or the plain value it settled into. */
export type TranscriptNode = Y.Map<unknown> | SettledMessage | Readonly<TranscriptBlock>;

/** A field of a message or block, live or settled. */
export function field(node: TranscriptNode, key: string): unknown {
  return node instanceof Y.Map ? node.get(key) : (node as Readonly<Record<string, unknown>>)[key];
}

// The document's field names are the protocol's: a key renamed there fails this file's type-check.
const infoKey = (key: keyof SessionInfo) => key;
const messageKey = (key: keyof TranscriptMessage) => key;
const toolKey = (key: keyof ToolUseBlock) => key;
const questionKey = (key: keyof QuestionBlock) => key;

export function str(m: TranscriptNode, key: string): string {
  const v = field(m, key);
  if (typeof v === "string") return v;
  if (v instanceof Y.Text) return v.toString();
  return "";
}

export function num(m: TranscriptNode, key: string): number | null {
  const v = field(m, key);
  return typeof v === "number" && Number.isFinite(v) ? v : null;
}

export interface SessionState {
  name: string;
  phase: Phase | null;
  agentStatus: AgentStatus | null;
  step: string;
  /** Active seconds of the current run (the timeout applies per run), before `activeSince`. */
  runSeconds: number;
  activeSince: number | null;
  timeoutSeconds: number | null;
  /** Which model backs the agent ("anthropic" or "offline"), once it has said so. */
  agentModel: string;
  artifacts: Artifact[] | null;
  awaitingApproval: boolean;
  /** The pull request the last push opened. */
  pullRequestUrl: string | null;
  /** Tokens and cost so far, live; null until the room has written them. */
  usage: SessionUsage | null;
  /** The session's permission mode and model as the room has them now (they change live); "" before it has said. */
  permissionMode: string;
  model: string;
  /** The workspace's MCP servers as this session's Claude Code reported them. */
  mcpServers: McpConnection[];
}

function readArtifacts(v: unknown): Artifact[] | null {
  if (!Array.isArray(v)) return null;
  return v.flatMap((a: unknown) => {
    if (typeof a !== "object" || a === null) return [];
    const { name, size, updatedAt } = a as Partial<Record<keyof Artifact, unknown>>;
    return typeof name === "string"
      ? [
          {
            name,
            size: typeof size === "number" ? size : 0,
            updatedAt: typeof updatedAt === "number" ? updatedAt : 0,
          },
        ]
      : [];
  });
}

function readMcpServers(v: unknown): McpConnection[] {
  const parsed = z.array(McpConnectionSchema).safeParse(v);
  return parsed.success ? parsed.data : [];
}

function readUsage(v: unknown): SessionUsage | null {
  const parsed = SessionUsageSchema.safeParse(v);
  return parsed.success ? parsed.data : null;
}

export function readSession(m: Y.Map<unknown>): SessionState {
  return {
    name: str(m, infoKey("name")),
    phase: (str(m, infoKey("phase")) || null) as Phase | null,
    agentStatus: (str(m, infoKey("agentStatus")) || null) as AgentStatus | null,
    step: str(m, infoKey("step")),
    runSeconds: ((num(m, infoKey("activeMs")) ?? 0) - (num(m, infoKey("runBaseMs")) ?? 0)) / 1000,
    activeSince: num(m, infoKey("activeSince")),
    timeoutSeconds: num(m, infoKey("timeoutSeconds")),
    agentModel: str(m, infoKey("agentModel")),
    artifacts: readArtifacts(m.get(infoKey("artifacts"))),
    awaitingApproval: m.get(infoKey("awaitingApproval")) === true,
    pullRequestUrl: str(m, infoKey("pullRequestUrl")) || null,
    usage: readUsage(m.get(infoKey("usage"))),
    ...liveSettings(m.get(infoKey("config"))),
    mcpServers: readMcpServers(m.get(infoKey("mcpServers"))),
  };
}

function liveSettings(config: unknown): { permissionMode: string; model: string } {
  const fields = typeof config === "object" && config !== null ? (config as Record<string, unknown>) : {};
  return {
    permissionMode: typeof fields.permissionMode === "string" ? fields.permissionMode : "",
    model: typeof fields.model === "string" ? fields.model : "",
  };
}

export interface MessageHead {
  id: string;
  role: MessageRole;
  author: string;
  createdAt: number | null;
  queued: boolean;
}

export function readMessage(m: TranscriptNode): MessageHead {
  const role = str(m, messageKey("role"));
  const created = field(m, messageKey("createdAt"));
  return {
    id: str(m, messageKey("id")),
    role: role === "user" || role === "system" ? role : "assistant",
    author: str(m, messageKey("author")),
    createdAt:
      typeof created === "number"
        ? created
        : typeof created === "string"
          ? Date.parse(created) || null
          : null,
    queued: field(m, messageKey("queued")) === true,
  };
}

/** A message's blocks now: a live message's Y.Array read, or a settled message's array. */
export function blocksOf(m: TranscriptNode): readonly TranscriptNode[] {
  const b = field(m, messageKey("blocks"));
  if (b instanceof Y.Array) return (b as Y.Array<TranscriptNode>).toArray();
  return Array.isArray(b)
    ? (b as unknown[]).filter((block): block is TranscriptNode => typeof block === "object" && block !== null)
    : [];
}

/** A live message's blocks to observe; null once settled (nothing in it changes). */
export function liveBlocks(m: TranscriptNode): Y.Array<TranscriptNode> | null {
  const b = field(m, messageKey("blocks"));
  return b instanceof Y.Array ? (b as Y.Array<TranscriptNode>) : null;
}

/**
 * Keys for the messages in order, the same for a message before and after it settles (its id), unique
 * even where an id repeats (`#` and its place), so keyed rendering never sees a duplicate.
 */
export function messageKeys(messages: readonly TranscriptNode[]): string[] {
  const seen = new Set<string>();
  return messages.map((message, index) => {
    const id = str(message, messageKey("id"));
    const key = id && !seen.has(id) ? id : `${id}#${index}`;
    seen.add(key);
    return key;
  });
}

export function blockType(b: TranscriptNode): BlockType | null {
  const t = str(b, "type");
  return (BLOCK_TYPES as readonly string[]).includes(t) ? (t as BlockType) : null;
}

/** A block's text as a Y.Text to observe, or null when it is a plain string (already final). */
export function textOf(b: TranscriptNode): Y.Text | null {
  const t = field(b, "text");
  return t instanceof Y.Text ? t : null;
}

export interface ToolUse {
  id: string;
  name: string;
  input: unknown;
  status: ToolStatus;
  result: string;
  isError: boolean;
  startedAt: number | null;
  endedAt: number | null;
  /** The subagent call (Claude Code's Agent tool) this call runs inside; null at the top level. */
  parentId: string | null;
}

export function readToolUse(b: TranscriptNode): ToolUse {
  const status = str(b, toolKey("status"));
  const result = field(b, toolKey("result"));
  const isError = field(b, toolKey("isError")) === true || status === "error" || status === "stopped";
  return {
    id: str(b, toolKey("id")),
    name: str(b, toolKey("name")) || "tool",
    input: field(b, toolKey("input")),
    status:
      status === "stopped"
        ? "stopped"
        : isError
          ? "error"
          : status === "done"
            ? "done"
            : status === "running"
              ? "running"
              : result === undefined
                ? "running"
                : "done",
    result:
      typeof result === "string"
        ? result
        : result === undefined || result === null
          ? ""
          : JSON.stringify(result, null, 2),
    isError,
    startedAt: num(b, toolKey("startedAt")),
    endedAt: num(b, toolKey("endedAt")),
    parentId: parentOf(b),
  };
}

/** The subagent call a block runs inside (its `parentId`), or null. */
export function parentOf(b: TranscriptNode): string | null {
  return str(b, toolKey("parentId")) || null;
}

export interface Question {
  id: string;
  text: string;
  /** AskUserQuestion's questions with their options; empty for a question asked in plain text. */
  questions: AskedQuestion[];
  /** The answer a person gave, once the room has written it. */
  answer: string | null;
  answeredBy: string | null;
}

export function readQuestion(b: TranscriptNode): Question {
  const questions = AskedQuestionSchema.array().safeParse(field(b, questionKey("questions")));
  return {
    id: str(b, questionKey("id")),
    text: str(b, questionKey("text")),
    questions: questions.success ? questions.data : [],
    answer: str(b, questionKey("answer")) || null,
    answeredBy: str(b, questionKey("answeredBy")) || null,
  };
}

/** One line for a tool call's input: the command, the path, or compact JSON. */
export function shortInput(input: unknown, max = 80): string {
  let s: string;
  if (typeof input === "string") s = input;
  else if (input && typeof input === "object") {
    const o = input as Record<string, unknown>;
    const first = ["command", "path", "pattern", "question", "file"].find((k) => typeof o[k] === "string");
    s = first ? String(o[first]) : JSON.stringify(input);
  } else s = input === undefined ? "" : JSON.stringify(input);
  s = s.replace(/\s+/g, " ").trim();
  return s.length > max ? `${s.slice(0, max - 1)}…` : s;
}

export function fullInput(input: unknown): string {
  if (typeof input === "string") return input;
  return JSON.stringify(input, null, 2) ?? "";
}
