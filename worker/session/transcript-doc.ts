/**
 * Writes a session's Yjs document, whose shape is worker/protocol/transcript.ts (read by web/ too). The
 * SessionRoom is the only writer; browsers read. Token deltas are `Y.Text.insert` at the end, so a viewer receives
 * only the new characters. The transcript's shape is protocol/transcript.ts; this is the room's document
 * of it; web/src/lib/transcript.ts is the browser's reader.
 */
import * as Y from "yjs";
import type { ApprovalDecision, FromAgentFrame, HistoryMessage } from "../protocol/agent";
import { messageList, sessionInfo, type MessageRole, type SessionInfo, type TranscriptBlock, type TranscriptMessage } from "../protocol/transcript";

export { messageList, sessionInfo, type TranscriptBlock, type TranscriptMessage };

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
  if (typeof stored !== "object" || typeof value !== "object" || stored === null || value === null) return false;
  return JSON.stringify(stored) === JSON.stringify(value);
}

type YBlock = Y.Map<unknown>;
type YMessage = Y.Map<unknown>;

/** Writes agent events and people's messages into a session's document, keeping lookups by id. */
export class Transcript {
  readonly #doc: Y.Doc;
  readonly #messages = new Map<string, YMessage>();
  readonly #tools = new Map<string, YBlock>();
  readonly #setups = new Map<string, YBlock>();
  readonly #approvals = new Map<string, YBlock>();

  constructor(doc: Y.Doc) {
    this.#doc = doc;
    for (const message of messageList(doc)) this.#index(message);
  }

  /** Mirrors these session fields into the document's `session` map, writing only what changed. */
  setInfo(fields: Partial<SessionInfo>): void {
    const info = sessionInfo(this.#doc);
    for (const [key, value] of Object.entries(fields)) {
      if (!sameValue(info.get(key), value)) info.set(key, value);
    }
  }

  addPersonMessage(message: { id: string; author: string; text: string; createdAt: number; seq: number }): void {
    const ymessage = newMessage(message.id, "user", message.author, message.createdAt, [textBlock("text", message.text)]);
    ymessage.set("seq", message.seq);
    ymessage.set("queued", true);
    this.#append(ymessage);
  }

  /** Marks people's messages up to `seq` as read by the agent. */
  markConsumed(upTo: number): void {
    for (const message of messageList(this.#doc)) {
      const seq = message.get("seq");
      if (typeof seq === "number" && seq <= upTo && message.get("queued") === true) message.set("queued", false);
    }
  }

  addSystemError(id: string, text: string, createdAt: number): void {
    this.#append(newMessage(id, "system", null, createdAt, [plainBlock({ type: "error", text })]));
  }

  /** Ends the tool and setup blocks still running (their agent is gone), so none shows as running forever. */
  closeRunningTools(reason: string, now: number): void {
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
  }

  /** Applies one streamed agent frame; frames that do not touch the transcript are ignored. */
  applyAgentFrame(frame: FromAgentFrame, now: number): void {
    switch (frame.type) {
      case "message_start":
        if (!this.#messages.has(frame.id)) this.#append(newMessage(frame.id, "assistant", "agent", now));
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
        const block = plainBlock({ type: "tool_use", id: frame.id, name: frame.name, status: "running", startedAt: now });
        block.set("input", frame.input ?? null);
        // A subagent's call names the Task/Agent call it runs inside: the web nests it there.
        if (frame.parentId) block.set("parentId", frame.parentId);
        blocksOf(this.#message(frame.messageId, now)).push([block]);
        this.#tools.set(frame.id, block);
        break;
      }
      case "tool_result": {
        const block = this.#tools.get(frame.id);
        if (!block) break;
        block.set("result", capToolResult(frame.output));
        block.set("isError", frame.isError);
        block.set("status", frame.stopped ? "stopped" : frame.isError ? "error" : "done");
        block.set("endedAt", now);
        break;
      }
      case "question":
        blocksOf(this.#message(frame.messageId, now)).push([plainBlock({ type: "question", id: frame.id, text: frame.text, ...(frame.questions ? { questions: frame.questions } : {}) })]);
        break;
      case "approval": {
        if (this.#approvals.has(frame.id)) break;
        const block = plainBlock({ type: "approval", id: frame.id, kind: frame.kind, tool: frame.tool, requestedAt: now, status: "pending" });
        block.set("input", frame.input ?? null);
        blocksOf(this.#message(frame.messageId, now)).push([block]);
        this.#approvals.set(frame.id, block);
        break;
      }
      case "approval_closed":
        this.#closeApproval(this.#approvals.get(frame.id), frame.reason);
        break;
      case "turn_error":
        this.addSystemError(`error-${frame.seq}`, frame.message, now);
        break;
      case "setup_start": {
        const block = textBlock("setup", "");
        for (const [key, value] of Object.entries({ id: frame.id, source: frame.source, status: "running", startedAt: now })) block.set(key, value);
        this.#append(newMessage(frame.id, "system", null, now, [block]));
        this.#setups.set(frame.id, block);
        break;
      }
      case "setup_output": {
        const output = this.#setups.get(frame.id)?.get("text");
        if (!(output instanceof Y.Text) || output.length >= MAX_SETUP_OUTPUT_CHARS) break;
        const room = MAX_SETUP_OUTPUT_CHARS - output.length;
        output.insert(output.length, frame.text.length <= room ? frame.text : `${frame.text.slice(0, room)}\n… [the rest of the setup's output is not kept]\n`);
        break;
      }
      case "setup_end": {
        const block = this.#setups.get(frame.id);
        if (!block) break;
        block.set("status", frame.status);
        block.set("exitCode", frame.exitCode);
        block.set("endedAt", now);
        break;
      }
      default:
        break;
    }
  }

  /** An approval as it stands (null: no such approval in this session). */
  approval(id: string): { status: string; kind: "tool" | "plan" } | null {
    const block = this.#approvals.get(id);
    return block ? { status: block.get("status") as string, kind: block.get("kind") as "tool" | "plan" } : null;
  }

  /** Whether any approval waits for a person (the session waits, its idle clock does not run). */
  get awaitingDecision(): boolean {
    for (const block of this.#approvals.values()) if (block.get("status") === "pending") return true;
    return false;
  }

  /** Records a person's decision on a pending approval: every view shows it, and who decided. */
  decideApproval(id: string, decision: { decision: ApprovalDecision; by: string; at: number; message?: string; mode?: "auto" | "ask" }): void {
    const block = this.#approvals.get(id);
    if (!block || block.get("status") !== "pending") return;
    block.set("status", decision.decision === "deny" ? "denied" : "allowed");
    block.set("decision", decision.decision);
    block.set("decidedBy", decision.by);
    block.set("decidedAt", decision.at);
    if (decision.message) block.set("message", decision.message);
    if (decision.mode) block.set("mode", decision.mode);
  }

  /** Closes every pending approval (its agent is gone, the run ended): none shows as waiting forever. */
  closePendingApprovals(reason: string): void {
    for (const block of this.#approvals.values()) this.#closeApproval(block, reason);
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
    blocks.push([block]);
    return block;
  }

  /** The message with this id; an agent frame naming an unknown message starts one (frames may arrive after a restart). */
  #message(id: string, now: number): YMessage {
    const existing = this.#messages.get(id);
    if (existing) return existing;
    const created = newMessage(id, "assistant", "agent", now);
    this.#append(created);
    return created;
  }

  #append(message: YMessage): void {
    messageList(this.#doc).push([message]);
    this.#index(message);
  }

  #index(message: YMessage): void {
    this.#messages.set(message.get("id") as string, message);
    for (const block of blocksOf(message).toArray()) {
      if (block.get("type") === "tool_use") this.#tools.set(block.get("id") as string, block);
      if (block.get("type") === "setup") this.#setups.set(block.get("id") as string, block);
      if (block.get("type") === "approval") this.#approvals.set(block.get("id") as string, block);
    }
  }
}

/** A message not yet in the document: Yjs types can be written but not read before they are added. */
function newMessage(id: string, role: MessageRole, author: string | null, createdAt: number, blocks: YBlock[] = []): YMessage {
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

function blocksOf(message: YMessage): Y.Array<YBlock> {
  return message.get("blocks") as Y.Array<YBlock>;
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

/** The transcript as plain JSON (GET …/transcript, exports). */
export function transcriptToJSON(doc: Y.Doc): TranscriptMessage[] {
  return messageList(doc)
    .toArray()
    .map((message) => {
      const json: TranscriptMessage = {
        id: message.get("id") as string,
        role: message.get("role") as MessageRole,
        author: (message.get("author") as string | null) ?? null,
        createdAt: message.get("createdAt") as number,
        blocks: blocksOf(message).toArray().map(blockToJSON),
      };
      if (message.has("queued")) json.queued = message.get("queued") as boolean;
      if (message.has("seq")) json.seq = message.get("seq") as number;
      return json;
    });
}

function blockToJSON(block: YBlock): TranscriptBlock {
  const json = block.toJSON() as Record<string, unknown>;
  const text = block.get("text");
  if (text instanceof Y.Text) json.text = text.toString();
  return json as TranscriptBlock;
}

/** The transcript as the agent needs it to continue on resume: no error blocks, people named. */
export function transcriptToHistory(doc: Y.Doc): HistoryMessage[] {
  const history: HistoryMessage[] = [];
  for (const message of transcriptToJSON(doc)) {
    // A message still queued is not history yet: the input queue sends it to the agent (once).
    if (message.role === "system" || message.queued) continue;
    const blocks: HistoryMessage["blocks"] = [];
    for (const block of message.blocks) {
      if (block.type === "text") blocks.push({ type: "text", text: block.text });
      else if (block.type === "thinking") blocks.push({ type: "thinking", text: block.text, signature: block.signature });
      else if (block.type === "question") blocks.push({ type: "question", text: block.text });
      else if (block.type === "tool_use")
        blocks.push({ type: "tool_use", id: block.id, name: block.name, input: block.input, result: block.result, isError: block.isError });
    }
    if (blocks.length > 0) history.push({ role: message.role, author: message.author ?? undefined, blocks });
  }
  return history;
}
