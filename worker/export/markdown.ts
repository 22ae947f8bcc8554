/** The transcript as Markdown: deterministic, readable as plain text, and valid CommonMark. */
import {
  authorOf,
  eventRows,
  formatTime,
  settingsRows,
  toolInputText,
  toolStatus,
  type ExportInput,
  type ToolBlock,
} from "./document";
import type { TranscriptBlock, TranscriptMessage } from "../protocol/transcript";

export function sessionToMarkdown({ session, events, messages }: ExportInput): string {
  const out: string[] = [
    `# ${inline(session.displayName)}`,
    "",
    "## Settings",
    "",
    "| Setting | Value |",
    "|---|---|",
  ];
  for (const [label, value] of settingsRows(session)) out.push(`| ${label} | ${cell(value)} |`);
  out.push("", "## Transcript", "");
  if (messages.length === 0) out.push("_No messages._", "");
  for (const message of messages) out.push(...messageLines(message));
  out.push("## Events", "");
  if (events.length === 0) out.push("_No events._");
  else {
    out.push("| # | Time | Event | By | Detail |", "|---|---|---|---|---|");
    for (const row of eventRows(events))
      out.push(`| ${row.seq} | ${row.at} | ${cell(row.what)} | ${cell(row.who)} | ${cell(row.why)} |`);
  }
  return `${out.join("\n").trimEnd()}\n`;
}

/** One message as Markdown lines (also the guest export's, `guest-markdown.ts`). */
export function messageLines(message: TranscriptMessage): string[] {
  const lines = [`### ${inline(authorOf(message))} · ${formatTime(message.createdAt)}`, ""];
  for (const block of message.blocks) lines.push(...blockLines(block), "");
  return lines;
}

/** An approval as one line: what was asked, and who decided what (or why nobody did). */
function approvalLine(block: Extract<TranscriptBlock, { type: "approval" }>): string {
  const what = block.kind === "plan" ? "Plan" : `Approval for ${inline(block.tool)}`;
  const plan =
    block.kind === "plan" && typeof (block.input as { plan?: unknown } | null)?.plan === "string"
      ? `\n\n${String((block.input as { plan: string }).plan).trimEnd()}\n`
      : "";
  const outcome =
    block.status === "pending"
      ? "waiting for a decision"
      : block.status === "closed"
        ? `closed: ${block.closedReason ?? ""}`
        : `${block.decision} by ${inline(block.decidedBy ?? "")}${block.message ? `: ${inline(block.message)}` : ""}`;
  return `**${what}:** ${outcome}${plan}`;
}

function blockLines(block: TranscriptBlock): string[] {
  switch (block.type) {
    case "text":
      return [block.text.trimEnd() || "_(empty)_"];
    case "thinking":
      return [
        "> **Thinking**",
        ">",
        ...block.text
          .trimEnd()
          .split("\n")
          .map((line) => (line ? `> ${line}` : ">")),
      ];
    case "question":
      return [`**Question:** ${block.text.trimEnd()}`];
    case "approval":
      return [approvalLine(block)];
    case "error":
      return [`**Error:** ${block.text.trimEnd()}`];
    case "tool_use":
      return toolLines(block);
    case "setup":
      return [
        `**Setup: ${inline(block.source)}** (${block.status}${typeof block.exitCode === "number" ? `, exit code ${block.exitCode}` : ""})`,
        "",
        ...fenced(block.text, "text"),
      ];
  }
}

function toolLines(block: ToolBlock): string[] {
  const lines = [`**Tool \`${block.name}\`** (${toolStatus(block)})`, ""];
  const input = toolInputText(block.input);
  if (input) lines.push("Input:", "", ...fenced(input, typeof block.input === "string" ? "" : "json"), "");
  if (block.result !== undefined)
    lines.push(block.isError ? "Error output:" : "Result:", "", ...fenced(block.result, "text"));
  return lines;
}

/** A code fence longer than any backtick run inside, so tool output cannot close it early. */
function fenced(text: string, language: string): string[] {
  const longest = Math.max(2, ...[...text.matchAll(/`+/g)].map((match) => match[0].length));
  const fence = "`".repeat(longest + 1);
  return [`${fence}${language}`, ...text.replace(/\n$/, "").split("\n"), fence];
}

/** Text on one line (a heading, a cell): runs of whitespace, newlines included, become one space. */
export const inline = (text: string) => text.replace(/\s+/g, " ").trim();
const cell = (text: string) => inline(text).replaceAll("\\", "\\\\").replaceAll("|", "\\|");
