/**
 * Reading the transcript document (DESIGN.md "Transcript"). The browser never writes to it: the
 * SessionRoom is its only author, so everything here is a read with a safe fallback.
 */
import * as Y from "yjs";
import type { AgentStatus, Phase } from "./types";

export type Role = "user" | "assistant" | "system";
export type BlockType = "text" | "thinking" | "tool_use" | "question" | "error";
/** `stopped`: cancelled by a stop (its result is what it wrote until then). */
export type ToolStatus = "running" | "done" | "error" | "stopped";

export const sessionMap = (doc: Y.Doc): Y.Map<unknown> => doc.getMap("session");
export const messagesArray = (doc: Y.Doc): Y.Array<Y.Map<unknown>> => doc.getArray("messages");

export function str(m: Y.Map<unknown>, key: string): string {
  const v = m.get(key);
  if (typeof v === "string") return v;
  if (v instanceof Y.Text) return v.toString();
  return "";
}

export function num(m: Y.Map<unknown>, key: string): number | null {
  const v = m.get(key);
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
  artifacts: { name: string; size: number }[] | null;
  awaitingApproval: boolean;
}

function readArtifacts(v: unknown): { name: string; size: number }[] | null {
  if (!Array.isArray(v)) return null;
  return v.flatMap((a: unknown) => {
    if (typeof a !== "object" || a === null) return [];
    const { name, size } = a as Record<string, unknown>;
    return typeof name === "string" ? [{ name, size: typeof size === "number" ? size : 0 }] : [];
  });
}

export function readSession(m: Y.Map<unknown>): SessionState {
  return {
    name: str(m, "name"),
    phase: (str(m, "phase") || null) as Phase | null,
    agentStatus: (str(m, "agentStatus") || null) as AgentStatus | null,
    step: str(m, "step"),
    runSeconds: ((num(m, "activeMs") ?? 0) - (num(m, "runBaseMs") ?? 0)) / 1000,
    activeSince: num(m, "activeSince"),
    timeoutSeconds: num(m, "timeoutSeconds"),
    agentModel: str(m, "agentModel"),
    artifacts: readArtifacts(m.get("artifacts")),
    awaitingApproval: m.get("awaitingApproval") === true,
  };
}

export interface MessageHead {
  id: string;
  role: Role;
  author: string;
  createdAt: number | null;
  queued: boolean;
}

export function readMessage(m: Y.Map<unknown>): MessageHead {
  const role = str(m, "role");
  const created = m.get("createdAt");
  return {
    id: str(m, "id"),
    role: role === "user" || role === "system" ? role : "assistant",
    author: str(m, "author"),
    createdAt: typeof created === "number" ? created : typeof created === "string" ? Date.parse(created) || null : null,
    queued: m.get("queued") === true,
  };
}

export function blocksOf(m: Y.Map<unknown>): Y.Array<Y.Map<unknown>> | null {
  const b = m.get("blocks");
  return b instanceof Y.Array ? (b as Y.Array<Y.Map<unknown>>) : null;
}

export function blockType(b: Y.Map<unknown>): BlockType | null {
  const t = str(b, "type");
  return t === "text" || t === "thinking" || t === "tool_use" || t === "question" || t === "error" ? t : null;
}

/** A block's text as a Y.Text to observe, or null when it is a plain string (already final). */
export function textOf(b: Y.Map<unknown>): Y.Text | null {
  const t = b.get("text");
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
}

export function readToolUse(b: Y.Map<unknown>): ToolUse {
  const status = str(b, "status");
  const result = b.get("result");
  const isError = b.get("isError") === true || status === "error" || status === "stopped";
  return {
    id: str(b, "id"),
    name: str(b, "name") || "tool",
    input: b.get("input"),
    status: status === "stopped" ? "stopped" : isError ? "error" : status === "done" ? "done" : status === "running" ? "running" : result === undefined ? "running" : "done",
    result: typeof result === "string" ? result : result === undefined || result === null ? "" : JSON.stringify(result, null, 2),
    isError,
    startedAt: num(b, "startedAt"),
    endedAt: num(b, "endedAt"),
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
