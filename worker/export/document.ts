/**
 * What an export shows, independent of its format: the session's settings, its transcript and a summary
 * of its events. Markdown and PDF render the same facts in the same order.
 */
import { MODEL_LABELS } from "../protocol/session-config";
import type { SessionEvent, SessionView } from "../protocol/session";
import type { TranscriptBlock, TranscriptMessage } from "../protocol/transcript";

export interface ExportInput {
  session: SessionView;
  events: SessionEvent[];
  messages: TranscriptMessage[];
}

export type ToolBlock = Extract<TranscriptBlock, { type: "tool_use" }>;

/** Times are UTC ISO-8601 to the second: the same session always exports to the same bytes. */
export const formatTime = (ms: number) => new Date(ms).toISOString().replace(/\.\d{3}Z$/, "Z");

export function settingsRows(session: SessionView): [string, string][] {
  const rows: [string, string][] = [
    ["Model", `${MODEL_LABELS[session.model] ?? session.model} (${session.model})`],
    ["Effort", session.effort ?? "model default"],
    ["Max tokens", String(session.maxTokens)],
    ["Timeout", `${session.timeoutSeconds} s`],
    ["Extended thinking", session.thinking ? "on" : "off"],
    // Stored as given and never sent: the API version the SDK speaks takes no temperature.
    ["Temperature", `${session.temperature} (no effect)`],
    ["Phase", session.phase],
    ["Workflow", session.workflow ?? "none"],
    [
      "Repositories",
      session.repos.length === 0
        ? "none"
        : session.repos.map((r) => (r.branch ? `${r.url} (${r.branch})` : r.url)).join(", "),
    ],
    ["Origin", originText(session.origin)],
    ["Created", `${formatTime(session.createdAt)} by ${session.createdBy.name}`],
    ["Active time", `${session.activeSeconds} s`],
  ];
  return rows;
}

function originText(origin: SessionView["origin"]): string {
  if (origin.kind === "person") return "started by a person";
  if (origin.kind === "schedule") return `schedule "${origin.scheduleName}"`;
  return `webhook trigger "${origin.triggerName}"${origin.deliveryId ? ` (delivery ${origin.deliveryId})` : ""}`;
}

/** Who wrote a message, as its heading says. */
export function authorOf(message: TranscriptMessage): string {
  if (message.role === "assistant") return "Agent";
  if (message.role === "system") return "System";
  return message.author ?? "Someone";
}

export function toolStatus(block: ToolBlock): string {
  const duration = block.endedAt !== undefined ? `, ${Math.max(0, block.endedAt - block.startedAt)} ms` : "";
  const status = block.isError ? "error" : block.status;
  return `${status}${duration}`;
}

export function toolInputText(input: unknown): string {
  if (input === undefined || input === null) return "";
  return typeof input === "string" ? input : JSON.stringify(input, null, 2);
}

export interface EventRow {
  seq: number;
  at: string;
  what: string;
  who: string;
  why: string;
}

export function eventRows(events: SessionEvent[]): EventRow[] {
  return events.map((event) => ({
    seq: event.seq,
    at: formatTime(event.at),
    what: event.phase ? `${event.type} → ${event.phase}` : event.type,
    who: event.actor ?? "",
    why: event.reason ?? "",
  }));
}

/** A file name for a download and a Drive title: the session's name in any script, less what file systems refuse. */
export function exportFileName(session: Pick<SessionView, "displayName">, extension: string): string {
  const base =
    session.displayName
      .replace(/[\p{Cc}\p{Cf}/\\:*?"<>|]+/gu, "-")
      .replace(/\s+/g, " ")
      .replace(/^[-. ]+|[-. ]+$/g, "") || "session";
  return `${base}.${extension}`;
}
