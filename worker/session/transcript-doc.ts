/**
 * Writes a session's Yjs document, whose shape is worker/protocol/transcript.ts (read by web/ too). The
 * SessionRoom is the only writer; browsers read. Token deltas are `Y.Text.insert` at the end, so a viewer receives
 * only the new characters. The transcript's shape is protocol/transcript.ts; this is the room's document
 * of it; web/src/lib/transcript.ts is the browser's reader.
 */
import * as Y from "yjs";
import type { ApprovalDecision, FromAgentFrame } from "../protocol/agent";
import {
  SETTLED_MESSAGE_MAX_BYTES,
  isSettled,
  messageList,
  sessionInfo,
  settledMessage,
  type MessageEntry,
  type MessageRole,
  type SessionInfo,
  type SettledMessage,
  type TranscriptBlock,
  type TranscriptMessage,
} from "../protocol/transcript";
import { blocksOf, messageToJSON, transcriptToHistory, transcriptToJSON } from "./transcript-json";

export { messageList, sessionInfo, type TranscriptBlock, type TranscriptMessage };
export { transcriptToHistory, transcriptToJSON };

/** The error block shown when the agent process died with a turn in progress (a new one took over). */
export const TURN_LOST_TEXT =
  "The agent restarted and the turn in progress was lost. The workspace is as it was last saved; messages it had not read are sent to the new agent.";

/** Tool output kept in the transcript; the rest is cut with a marker (the agent saw it whole). */
export const MAX_TOOL_RESULT_CHARS = 64 * 1024;
/** A setup's output kept in the transcript (an `npm ci` says a lot); the rest is cut with a marker. */
export const MAX_SETUP_OUTPUT_CHARS = 256 * 1024;

/**
 * Whether a field would be written unchanged. Objects (repos, config, origin, usage) compare by value: the
 * room rebuilds some of them on every publish, and an equal copy must not become a document update sent to
 * every viewer.
 */
function sameValue(stored: unknown, value: unknown): boolean {
  if (stored === value) return true;
  if (typeof stored !== "object" || typeof value !== "object" || stored === null || value === null)
    return false;
  return JSON.stringify(stored) === JSON.stringify(value);
}

/**
 * How the room writes a settled message: "strings", its JSON as one string (the default); "objects", as
 * one Yjs object, as the first lean writer did; "off", never settled, the document as before issue 24.
 * The last two are the bench's comparisons (TRANSCRIPT_SETTLE=objects, =false).
 */
export type SettleMode = "strings" | "objects" | "off";

export function settleMode(setting: string | undefined): SettleMode {
  return setting === "false" ? "off" : setting === "objects" ? "objects" : "strings";
}

type YBlock = Y.Map<unknown>;
type YMessage = Y.Map<unknown>;

/**
 * Writes agent events and people's messages into a session's document, keeping lookups by id. A message is
 * live (a Y.Map) while it can change and settled (its JSON, one value) once it cannot: see `#settle`.
 */
export class Transcript {
  readonly #doc: Y.Doc;
  /** Live messages by id; a settled one is not here (`#settledIds`). */
  readonly #messages = new Map<string, YMessage>();
  readonly #settledIds = new Set<string>();
  /** Tool blocks of live messages by tool id. */
  readonly #tools = new Map<string, YBlock>();
  /** Setup blocks of live messages by id (a running one keeps its message live). */
  readonly #setups = new Map<string, YBlock>();
  /** Every tool id's message id, settled or live: a late result reopens its message. */
  readonly #toolMessage = new Map<string, string>();
  /** The assistant message the agent is streaming into, until its turn ends. */
  #streaming: string | null = null;
  /** How settled messages are written (`SettleMode`); "off": every message stays live. */
  readonly #settleAs: SettleMode;
  /** Approval blocks of live messages by id (a pending one keeps its message live). */
  readonly #approvals = new Map<string, YBlock>();
  /** Approvals in settled messages: decided or closed, as they stand. */
  readonly #settledApprovals = new Map<string, { status: string; kind: "tool" | "plan" }>();

  /** Settles what an older room left live: a room written before issue 24 is migrated here, on first load. */
  constructor(doc: Y.Doc, options: { settle?: SettleMode } = {}) {
    this.#doc = doc;
    this.#settleAs = options.settle ?? "strings";
    const entries = messageList(doc).toArray();
    for (const entry of entries) this.#index(entry);
    // After a restart the agent may go on with the last message: it stays live (settled later like any).
    const last = entries.at(-1);
    const keep =
      last && !isSettled(last) && last.get("role") === "assistant" ? (last.get("id") as string) : null;
    doc.transact(() => {
      this.#settleAll(keep);
      if (this.#settleAs === "strings") this.#restringify();
    });
  }

  /** Settled messages the first lean writer left as objects become their JSON strings (one decode each, not one per key). */
  #restringify(): void {
    const list = messageList(this.#doc);
    list.toArray().forEach((entry, index) => {
      if (typeof entry === "string" || !isSettled(entry)) return;
      list.delete(index, 1);
      list.insert(index, [JSON.stringify(entry)]);
    });
  }

  /** Mirrors these session fields into the document's `session` map, writing only what changed. */
  setInfo(fields: Partial<SessionInfo>): void {
    const info = sessionInfo(this.#doc);
    for (const [key, value] of Object.entries(fields)) {
      if (!sameValue(info.get(key), value)) info.set(key, value);
    }
  }

  addPersonMessage(message: {
    id: string;
    author: string;
    text: string;
    createdAt: number;
    seq: number;
  }): void {
    const ymessage = newMessage(message.id, "user", message.author, message.createdAt, [
      textBlock("text", message.text),
    ]);
    ymessage.set("seq", message.seq);
    ymessage.set("queued", true);
    this.#append(ymessage);
  }

  /** Marks people's messages up to `seq` as read by the agent; read, they settle. */
  markConsumed(upTo: number): void {
    this.#doc.transact(() => {
      for (const message of this.#messages.values()) {
        const seq = message.get("seq");
        if (typeof seq === "number" && seq <= upTo && message.get("queued") === true)
          message.set("queued", false);
      }
      this.#settleAll(this.#streaming);
    });
  }

  /** An error line: nothing in it changes, so it is written settled. */
  addSystemError(id: string, text: string, createdAt: number): void {
    const settled: TranscriptMessage = {
      id,
      role: "system",
      author: null,
      createdAt,
      blocks: [{ type: "error", text }],
    };
    const stored = this.#settleAs === "objects" ? settled : JSON.stringify(settled);
    messageList(this.#doc).push([stored]);
    this.#index(stored);
  }

  /** Ends the tool and setup blocks still running (their agent is gone), so none shows as running forever. */
  closeRunningTools(reason: string, now: number): void {
    this.#doc.transact(() => {
      for (const block of this.#setups.values()) {
        if (block.get("status") !== "running") continue;
        block.set("status", "stopped");
        block.set("endedAt", now);
      }
      for (const block of this.#tools.values()) {
        if (block.get("status") !== "running") continue;
        block.set("result", reason);
        block.set("isError", true);
        block.set("status", "error");
        block.set("endedAt", now);
      }
      this.#streaming = null;
      this.#settleAll(null);
    });
  }

  /** Applies one streamed agent frame; frames that do not touch the transcript are ignored. */
  applyAgentFrame(frame: FromAgentFrame, now: number): void {
    this.#doc.transact(() => this.#apply(frame, now));
  }

  #apply(frame: FromAgentFrame, now: number): void {
    switch (frame.type) {
      case "message_start":
        // The agent has moved on: what came before settles once its tools are done. Settled before the new
        // message is added, each message's live structs stay one range of clocks, which the GC collapses.
        this.#settleAll(frame.id);
        if (!this.#messages.has(frame.id) && !this.#settledIds.has(frame.id))
          this.#append(newMessage(frame.id, "assistant", "agent", now));
        this.#streaming = frame.id;
        break;
      case "text_delta":
        this.#appendText(frame.id, "text", frame.text, now);
        break;
      case "thinking_delta": {
        const block = this.#appendText(frame.id, "thinking", frame.text, now);
        if (frame.signature) block.set("signature", frame.signature);
        break;
      }
      case "tool_use": {
        const block = plainBlock({
          type: "tool_use",
          id: frame.id,
          name: frame.name,
          status: "running",
          startedAt: now,
        });
        block.set("input", frame.input ?? null);
        // A subagent's call names the Task/Agent call it runs inside: the web nests it there.
        if (frame.parentId) block.set("parentId", frame.parentId);
        this.#push(frame.messageId, block, now);
        this.#tools.set(frame.id, block);
        this.#toolMessage.set(frame.id, frame.messageId);
        break;
      }
      case "tool_result": {
        const messageId = this.#toolMessage.get(frame.id);
        // A result for a settled message (a replay after a restart) reopens it, then it settles again.
        if (messageId && this.#settledIds.has(messageId)) this.#reopen(messageId);
        const block = this.#tools.get(frame.id);
        if (!block) break;
        block.set("result", capToolResult(frame.output));
        block.set("isError", frame.isError);
        block.set("status", frame.stopped ? "stopped" : frame.isError ? "error" : "done");
        block.set("endedAt", now);
        this.#settleAll(this.#streaming);
        break;
      }
      case "question":
        this.#push(
          frame.messageId,
          plainBlock({
            type: "question",
            id: frame.id,
            text: frame.text,
            ...(frame.questions ? { questions: frame.questions } : {}),
          }),
          now,
        );
        break;
      case "approval": {
        if (this.#approvals.has(frame.id) || this.#settledApprovals.has(frame.id)) break;
        const block = plainBlock({
          type: "approval",
          id: frame.id,
          kind: frame.kind,
          tool: frame.tool,
          requestedAt: now,
          status: "pending",
        });
        block.set("input", frame.input ?? null);
        this.#push(frame.messageId, block, now);
        this.#approvals.set(frame.id, block);
        break;
      }
      case "approval_closed":
        this.#closeApproval(this.#approvals.get(frame.id), frame.reason);
        this.#settleAll(this.#streaming);
        break;
      case "turn_error":
        this.addSystemError(`error-${frame.seq}`, frame.message, now);
        break;
      case "turn_end":
        this.#streaming = null;
        this.#settleAll(null);
        break;
      case "setup_start": {
        const block = textBlock("setup", "");
        for (const [key, value] of Object.entries({
          id: frame.id,
          source: frame.source,
          status: "running",
          startedAt: now,
        }))
          block.set(key, value);
        this.#append(newMessage(frame.id, "system", null, now, [block]));
        this.#setups.set(frame.id, block);
        break;
      }
      case "setup_output": {
        const output = this.#setups.get(frame.id)?.get("text");
        if (!(output instanceof Y.Text) || output.length >= MAX_SETUP_OUTPUT_CHARS) break;
        const room = MAX_SETUP_OUTPUT_CHARS - output.length;
        output.insert(
          output.length,
          frame.text.length <= room
            ? frame.text
            : `${frame.text.slice(0, room)}\n… [the rest of the setup's output is not kept]\n`,
        );
        break;
      }
      case "setup_end": {
        const block = this.#setups.get(frame.id);
        if (!block) break;
        block.set("status", frame.status);
        block.set("exitCode", frame.exitCode);
        block.set("endedAt", now);
        this.#settleAll(this.#streaming);
        break;
      }
      default:
        break;
    }
  }

  /** An approval as it stands (null: no such approval in this session). */
  approval(id: string): { status: string; kind: "tool" | "plan" } | null {
    const block = this.#approvals.get(id);
    if (block) return { status: block.get("status") as string, kind: block.get("kind") as "tool" | "plan" };
    return this.#settledApprovals.get(id) ?? null;
  }

  /** Whether any approval waits for a person (the session waits, its idle clock does not run). */
  get awaitingDecision(): boolean {
    for (const block of this.#approvals.values()) if (block.get("status") === "pending") return true;
    return false;
  }

  /** Records a person's decision on a pending approval: every view shows it, and who decided. */
  decideApproval(
    id: string,
    decision: { decision: ApprovalDecision; by: string; at: number; message?: string; mode?: "auto" | "ask" },
  ): void {
    const block = this.#approvals.get(id);
    if (!block || block.get("status") !== "pending") return;
    block.set("status", decision.decision === "deny" ? "denied" : "allowed");
    block.set("decision", decision.decision);
    block.set("decidedBy", decision.by);
    block.set("decidedAt", decision.at);
    if (decision.message) block.set("message", decision.message);
    if (decision.mode) block.set("mode", decision.mode);
    this.#doc.transact(() => this.#settleAll(this.#streaming));
  }

  /** Closes every pending approval (its agent is gone, the run ended): none shows as waiting forever. */
  closePendingApprovals(reason: string): void {
    this.#doc.transact(() => {
      for (const block of this.#approvals.values()) this.#closeApproval(block, reason);
      this.#settleAll(this.#streaming);
    });
  }

  #closeApproval(block: YBlock | undefined, reason: string): void {
    if (!block || block.get("status") !== "pending") return;
    block.set("status", "closed");
    block.set("closedReason", reason);
  }

  #appendText(messageId: string, type: "text" | "thinking", text: string, now: number): YBlock {
    const blocks = blocksOf(this.#message(messageId, now));
    const last = blocks.length > 0 ? blocks.get(blocks.length - 1) : undefined;
    if (last && last.get("type") === type) {
      const ytext = last.get("text") as Y.Text;
      ytext.insert(ytext.length, text);
      return last;
    }
    const block = textBlock(type, text);
    if (type === "thinking") block.set("startedAt", now);
    this.#push(messageId, block, now);
    return block;
  }

  /** Appends a block to a message; thinking before it ends now (the web shows "Thought for N s"). */
  #push(messageId: string, block: YBlock, now: number): void {
    const blocks = blocksOf(this.#message(messageId, now));
    const last = blocks.length > 0 ? blocks.get(blocks.length - 1) : undefined;
    if (last && last.get("type") === "thinking" && last.get("endedAt") === undefined)
      last.set("endedAt", now);
    blocks.push([block]);
  }

  /**
   * The message with this id; an agent frame naming an unknown message starts one (frames may arrive after
   * a restart), and one naming a settled message reopens it.
   */
  #message(id: string, now: number): YMessage {
    const existing = this.#messages.get(id) ?? (this.#settledIds.has(id) ? this.#reopen(id) : undefined);
    if (existing) return existing;
    const created = newMessage(id, "assistant", "agent", now);
    this.#append(created);
    return created;
  }

  #append(message: YMessage): void {
    messageList(this.#doc).push([message]);
    this.#index(message);
  }

  #index(entry: MessageEntry): void {
    if (isSettled(entry)) {
      const message = settledMessage(entry);
      this.#settledIds.add(message.id);
      for (const block of message.blocks) {
        if (block.type === "tool_use") this.#toolMessage.set(block.id, message.id);
        if (block.type === "approval")
          this.#settledApprovals.set(block.id, { status: block.status, kind: block.kind });
      }
      return;
    }
    const id = entry.get("id") as string;
    this.#messages.set(id, entry);
    for (const block of blocksOf(entry).toArray()) {
      if (block.get("type") === "approval") {
        this.#approvals.set(block.get("id") as string, block);
        this.#settledApprovals.delete(block.get("id") as string);
      }
      if (block.get("type") === "setup") this.#setups.set(block.get("id") as string, block);
      if (block.get("type") !== "tool_use") continue;
      this.#tools.set(block.get("id") as string, block);
      this.#toolMessage.set(block.get("id") as string, id);
    }
  }

  /** Settles every live message but `keep` that nothing can change any more. */
  #settleAll(keep: string | null): void {
    if (this.#settleAs === "off") return;
    for (const [id, message] of [...this.#messages])
      if (id !== keep && settles(message)) this.#settle(id, message);
  }

  /**
   * Replaces a live message by its JSON string, in place: viewers receive one value, late joiners decode
   * one string, and what anyone reads of it is the same (`transcriptToJSON` gives equal JSON before and after).
   */
  #settle(id: string, message: YMessage): void {
    const json = messageToJSON(message);
    const text = JSON.stringify(json);
    if (new TextEncoder().encode(text).length > SETTLED_MESSAGE_MAX_BYTES) return;
    const stored = this.#settleAs === "objects" ? json : text;
    const index = this.#indexOf(id);
    if (index < 0) return;
    // A deleted Y.Map reads as empty: forget its tool and approval blocks first.
    for (const block of json.blocks) {
      if (block.type === "tool_use") this.#tools.delete(block.id);
      if (block.type === "setup") this.#setups.delete(block.id);
      if (block.type !== "approval") continue;
      this.#approvals.delete(block.id);
      this.#settledApprovals.set(block.id, { status: block.status, kind: block.kind });
    }
    const list = messageList(this.#doc);
    list.delete(index, 1);
    list.insert(index, [stored]);
    this.#messages.delete(id);
    this.#settledIds.add(id);
  }

  /** Turns a settled message back into a live one, in place (a frame for it came after it settled). */
  #reopen(id: string): YMessage | undefined {
    const index = this.#indexOf(id);
    const entry = index < 0 ? undefined : messageList(this.#doc).get(index);
    if (!entry || !isSettled(entry)) return undefined;
    const live = liveMessage(settledMessage(entry));
    const list = messageList(this.#doc);
    list.delete(index, 1);
    list.insert(index, [live]);
    this.#settledIds.delete(id);
    this.#index(live);
    return live;
  }

  /** Where a message is in the array: searched from the end, where live messages are. */
  #indexOf(id: string): number {
    const list = messageList(this.#doc);
    for (let i = list.length - 1; i >= 0; i--) if (entryId(list.get(i)) === id) return i;
    return -1;
  }
}

const entryId = (entry: MessageEntry): string =>
  isSettled(entry) ? settledMessage(entry).id : (entry.get("id") as string);

/** A live message that nothing will change: no tool or setup in it runs, no approval in it waits, it is not waiting to be read. */
function settles(message: YMessage): boolean {
  if (message.get("queued") === true) return false;
  return blocksOf(message)
    .toArray()
    .every((block) => {
      const [type, status] = [block.get("type"), block.get("status")];
      return (
        !((type === "tool_use" || type === "setup") && status === "running") &&
        !(type === "approval" && status === "pending")
      );
    });
}

/** A settled message as a live Y.Map again, field for field, its text blocks growing Y.Texts. */
function liveMessage(message: SettledMessage): YMessage {
  const blocks = message.blocks.map((block) => {
    if (block.type === "text" || block.type === "thinking" || block.type === "setup") {
      const { text, ...rest } = block;
      const live = plainBlock(rest);
      live.set("text", new Y.Text(text));
      return live;
    }
    return plainBlock({ ...block });
  });
  const live = newMessage(message.id, message.role, message.author, message.createdAt, blocks);
  if (message.queued !== undefined) live.set("queued", message.queued);
  if (message.seq !== undefined) live.set("seq", message.seq);
  return live;
}

/** A message not yet in the document: Yjs types can be written but not read before they are added. */
function newMessage(
  id: string,
  role: MessageRole,
  author: string | null,
  createdAt: number,
  blocks: YBlock[] = [],
): YMessage {
  const message = new Y.Map<unknown>();
  message.set("id", id);
  message.set("role", role);
  message.set("author", author);
  message.set("createdAt", createdAt);
  const yblocks = new Y.Array<YBlock>();
  yblocks.push(blocks);
  message.set("blocks", yblocks);
  return message;
}

function textBlock(type: "text" | "thinking" | "setup", text: string): YBlock {
  const block = new Y.Map<unknown>();
  block.set("type", type);
  block.set("text", new Y.Text(text));
  return block;
}

function plainBlock(fields: Record<string, unknown>): YBlock {
  const block = new Y.Map<unknown>();
  for (const [key, value] of Object.entries(fields)) block.set(key, value);
  return block;
}

function capToolResult(output: string): string {
  if (output.length <= MAX_TOOL_RESULT_CHARS) return output;
  return `${output.slice(0, MAX_TOOL_RESULT_CHARS)}\n… [${output.length - MAX_TOOL_RESULT_CHARS} more characters not kept]`;
}
