/**
 * How the transcript is laid out for reading: the agent's consecutive messages (Claude Code starts one per
 * model request, so a turn of ten tool calls is ten messages) read as one turn under one header, with a
 * dated divider where a day begins; inside a turn, consecutive tool calls fold into one group ("Ran 5
 * tools"), except those that stay in view (an edit's diff, a subagent). Pure functions over the document's nodes: the components only render what these return.
 */
import { toolView } from "./claude-tools";
import { dayName } from "./time";
import { blockType, field, num, readMessage, str, type TranscriptNode } from "./transcript";

export type TranscriptItem =
  | { kind: "day"; key: string; day: string }
  | {
      kind: "turn";
      key: string;
      messages: TranscriptNode[];
      keys: string[];
      /** The rest of a long turn, after its first TURN_MESSAGES: shown without a header of its own. */
      continued: boolean;
    };

/** A turn holds at most this many messages: the transcript renders (and windows) in pieces of this size. */
export const TURN_MESSAGES = 50;

/** The local calendar day of a time, as `YYYY-MM-DD` (a key, and what a divider compares). */
export function dayOf(ms: number): string {
  const d = new Date(ms);
  const pad = (n: number) => String(n).padStart(2, "0");
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}`;
}

/** A divider's words: "Today", "Yesterday", or the date ("Monday, 3 March 2025"). */
export function dayLabel(day: string, now = Date.now()): string {
  if (day === dayOf(now)) return "Today";
  const yesterday = new Date(now);
  yesterday.setDate(yesterday.getDate() - 1);
  if (day === dayOf(yesterday.getTime())) return "Yesterday";
  const [y, m, d] = day.split("-").map(Number);
  return dayName(new Date(y, m - 1, d).getTime());
}

/**
 * Messages in turns, with a divider before the first message of each day. A person's message is a turn
 * of its own; an agent's message joins the agent's turn before it unless a day began between them.
 * `keys` are the messages' stable keys (`messageKeys`): a turn is keyed by its first message's.
 */
export function transcriptItems(
  messages: readonly TranscriptNode[],
  keys: readonly string[],
): TranscriptItem[] {
  const items: TranscriptItem[] = [];
  let day = "";
  let turn: Extract<TranscriptItem, { kind: "turn" }> | null = null;
  let turnRole = "";
  messages.forEach((message, i) => {
    const head = readMessage(message);
    const messageDay = head.createdAt ? dayOf(head.createdAt) : day;
    if (messageDay && messageDay !== day) {
      items.push({ kind: "day", key: `day:${messageDay}`, day: messageDay });
      day = messageDay;
      turn = null;
    }
    const continues = turn !== null && head.role === "assistant" && turnRole === "assistant";
    if (turn && continues && turn.messages.length < TURN_MESSAGES) {
      turn.messages.push(message);
      turn.keys.push(keys[i]);
      return;
    }
    turn = { kind: "turn", key: keys[i], messages: [message], keys: [keys[i]], continued: continues };
    turnRole = head.role;
    items.push(turn);
  });
  return items;
}

/**
 * Where the rendered window starts so that it holds at least `messages` more messages before `end` (and
 * the divider of the first day it shows). A long session renders its latest messages first and earlier
 * ones as the reader scrolls up to them.
 */
export function windowStart(items: readonly TranscriptItem[], end: number, messages: number): number {
  let start = Math.min(end, items.length);
  let count = 0;
  while (start > 0 && count < messages) {
    start--;
    const item = items[start];
    if (item.kind === "turn") count += item.messages.length;
  }
  if (start > 0 && items[start - 1].kind === "day") start--;
  return start;
}

/** A block with where it comes from: its message's id (on the first block of each message) and a stable key. */
export interface PlacedBlock {
  block: TranscriptNode;
  key: string;
  /** The id of the message this block begins, or "" when it is not a message's first shown block. */
  startsMessage: string;
}

export type TurnRow =
  { kind: "block"; key: string; placed: PlacedBlock } | { kind: "tools"; key: string; tools: PlacedBlock[] };

/** Calls that stay in view: what changed a file (its diff), a subagent (its own steps), a question. */
const UNGROUPED = new Set(["edit", "write", "subagent", "question"]);

/** Whether a block folds into a run of tool calls: reading, searching, running commands, any other tool. */
export function groupable(block: TranscriptNode): boolean {
  return (
    blockType(block) === "tool_use" &&
    !UNGROUPED.has(toolView(str(block, "name"), field(block, "input")).kind)
  );
}

/**
 * A turn's shown blocks in rows: two or more consecutive tool calls make one group (keyed by its first
 * call, so it keeps its element, and its open state, as it grows), with the thinking between them (a
 * model that thinks between calls still ran them in a row); anything else is a row of its own.
 */
export function turnRows(blocks: readonly PlacedBlock[]): TurnRow[] {
  const rows: TurnRow[] = [];
  let run: PlacedBlock[] = [];
  const alone = (placed: PlacedBlock) => rows.push({ kind: "block", key: placed.key, placed });
  const flush = () => {
    // Thinking after the run's last call begins what follows it.
    let calls = run.length;
    while (calls > 0 && !groupable(run[calls - 1].block)) calls--;
    const grouped = run.slice(0, calls);
    if (grouped.filter((p) => groupable(p.block)).length > 1)
      rows.push({ kind: "tools", key: grouped[0].key, tools: grouped });
    else grouped.forEach(alone);
    run.slice(calls).forEach(alone);
    run = [];
  };
  for (const placed of blocks) {
    if (groupable(placed.block) || (run.length > 0 && blockType(placed.block) === "thinking")) {
      run.push(placed);
      continue;
    }
    flush();
    alone(placed);
  }
  flush();
  return rows;
}

/** "Ran 5 tools", "Running 3 tools", "Ran 4 tools, 1 failed": a group's summary line. */
export function groupSummary(statuses: readonly string[]): string {
  const n = statuses.length;
  const failed = statuses.filter((s) => s === "error").length;
  const running = statuses.includes("running");
  const base = `${running ? "Running" : "Ran"} ${n} ${n === 1 ? "tool" : "tools"}`;
  return failed > 0 ? `${base}, ${failed} failed` : base;
}

/** How long the agent thought, in whole seconds (at least 1), from the block's times; null when it has none. */
export function thoughtSeconds(block: TranscriptNode): number | null {
  const started = num(block, "startedAt");
  const ended = num(block, "endedAt");
  if (started === null || ended === null || ended < started) return null;
  return Math.max(1, Math.round((ended - started) / 1000));
}
