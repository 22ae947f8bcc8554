/**
 * Claude Code's messages as the DO ↔ agent frames. The token stream (`includePartialMessages`) becomes
 * `message_start` and text/thinking deltas as they arrive; each whole tool call becomes `tool_use` (with
 * `parentId` when a subagent made it) and each tool result `tool_result`. Echoes of people's messages say
 * they were consumed; `result` ends a turn. AskUserQuestion is not a tool block: it is a question
 * (permissions.ts), so neither its call nor its result is shown as a tool.
 */
import type {
  SDKAssistantMessage,
  SDKMessage,
  SDKPartialAssistantMessage,
  SDKResultMessage,
  SDKUserMessage,
} from "@anthropic-ai/claude-agent-sdk";
import type { OutFrame } from "../outbox";

export const ASK_USER_QUESTION = "AskUserQuestion";

export interface FrameEvents {
  emit(frame: OutFrame): void;
  /** A person's message (by the uuid it was pushed with) entered the conversation. */
  consumed(uuid: string): void;
  /** A tool call started: the session notes whether the workspace may change. */
  toolStarted(name: string): void;
  turnEnded(result: SDKResultMessage): void;
  /** Claude Code's session id (what a resume names). */
  sessionId(id: string): void;
  /** Drops the end of a cut text that could be the head of a secret (the session's redaction). */
  cut(head: string): string;
}

type ToolResultBlock = { type: "tool_result"; tool_use_id: string; content?: unknown; is_error?: boolean };

/**
 * Where Claude Code cut a long tool result to a preview (the whole output went to a file): the text before
 * it may end inside a secret, whose head redaction alone would not catch.
 */
const PREVIEW_END = "\n...\n</persisted-output>";

/** A tool result with each preview's cut end passed through `cut` (which drops a tail that could begin a secret). */
export function cutPreviews(output: string, cut: (head: string) => string): string {
  const parts = output.split(PREVIEW_END);
  return parts.map((part, index) => (index < parts.length - 1 ? cut(part) : part)).join(PREVIEW_END);
}

/** A tool result's content as text: Claude Code's tools answer a string or text and image blocks. */
export function toolOutput(content: unknown): string {
  if (typeof content === "string") return content;
  if (!Array.isArray(content)) return content === undefined ? "" : JSON.stringify(content);
  return content
    .map((block: { type?: string; text?: string }) =>
      block.type === "text" ? (block.text ?? "") : `[${block.type ?? "content"}]`,
    )
    .join("\n");
}

export class FrameTranslator {
  readonly #events: FrameEvents;
  readonly #prefix: string;
  #count = 0;
  /** The API's message id → ours, for the main thread's messages seen on the token stream. */
  readonly #messageIds = new Map<string, string>();
  #current: string | null = null;
  /** Each shown tool call → the message it is in (a subagent's calls go into the message of its Task call). */
  readonly #toolMessage = new Map<string, string>();
  /** Tool calls shown without a result yet: a stop marks them stopped. */
  readonly #open = new Set<string>();
  readonly #questions = new Set<string>();

  constructor(events: FrameEvents, prefix: string) {
    this.#events = events;
    this.#prefix = prefix;
  }

  /** The message the latest text belongs to: where a question from AskUserQuestion is shown. */
  get currentMessage(): string {
    return this.#current ?? this.#newMessage();
  }

  /** The message a tool call is in, if it was shown. */
  messageOf(toolUseId: string): string | undefined {
    return this.#toolMessage.get(toolUseId);
  }

  /** Tool calls still running, oldest first. */
  get openTools(): string[] {
    return [...this.#open];
  }

  /** Closes the tool calls a stop cut short: their blocks show as stopped. */
  stopOpenTools(): void {
    for (const id of this.#open)
      this.#events.emit({ type: "tool_result", id, output: "[stopped]", isError: true, stopped: true });
    this.#open.clear();
  }

  translate(message: SDKMessage): void {
    switch (message.type) {
      case "stream_event":
        return this.#stream(message);
      case "assistant":
        return this.#assistant(message);
      case "user":
        return this.#user(message);
      case "result":
        return this.#events.turnEnded(message);
      case "system":
        if (message.subtype === "init") this.#events.sessionId(message.session_id);
        if (message.subtype === "compact_boundary") {
          const { trigger, pre_tokens } = message.compact_metadata;
          this.#events.emit({
            type: "notice",
            kind: "context_summarised",
            detail: `Claude Code summarised the conversation (${trigger}, ${pre_tokens} tokens before)`,
          });
        }
        return;
      default:
        return;
    }
  }

  #newMessage(apiId?: string): string {
    const id = `msg-${this.#prefix}-${++this.#count}`;
    if (apiId) this.#messageIds.set(apiId, id);
    this.#current = id;
    this.#events.emit({ type: "message_start", id });
    return id;
  }

  #stream(message: SDKPartialAssistantMessage): void {
    // A subagent's own words stay inside it; its tool calls are shown (nested) from its whole messages.
    if (message.parent_tool_use_id !== null) return;
    const event = message.event;
    if (event.type === "message_start") {
      this.#newMessage(event.message.id);
      return;
    }
    if (event.type !== "content_block_delta" || this.#current === null) return;
    const delta = event.delta;
    if (delta.type === "text_delta")
      this.#events.emit({ type: "text_delta", id: this.#current, text: delta.text });
    else if (delta.type === "thinking_delta")
      this.#events.emit({ type: "thinking_delta", id: this.#current, text: delta.thinking });
    else if (delta.type === "signature_delta")
      this.#events.emit({ type: "thinking_delta", id: this.#current, text: "", signature: delta.signature });
  }

  #assistant(message: SDKAssistantMessage): void {
    const parentId = message.parent_tool_use_id ?? undefined;
    const streamed = parentId === undefined ? this.#messageIds.get(message.message.id) : undefined;
    // A message that never streamed (Claude Code's own, e.g. an API error it reports): shown whole.
    const messageId =
      parentId !== undefined
        ? (this.#toolMessage.get(parentId) ?? this.currentMessage)
        : (streamed ?? this.#newMessage(message.message.id));
    for (const block of message.message.content) {
      if (block.type === "text" && !streamed && parentId === undefined && block.text) {
        this.#events.emit({ type: "text_delta", id: messageId, text: block.text });
      } else if (
        block.type === "tool_use" ||
        block.type === "server_tool_use" ||
        block.type === "mcp_tool_use"
      ) {
        this.#events.toolStarted(block.name);
        if (block.name === ASK_USER_QUESTION) {
          this.#questions.add(block.id);
          continue;
        }
        this.#toolMessage.set(block.id, messageId);
        this.#open.add(block.id);
        this.#events.emit({
          type: "tool_use",
          id: block.id,
          messageId,
          name: block.name,
          input: block.input,
          ...(parentId ? { parentId } : {}),
        });
      }
    }
  }

  #user(message: SDKUserMessage | (SDKUserMessage & { isReplay: true })): void {
    if ("isReplay" in message && message.isReplay) {
      if (message.uuid) this.#events.consumed(message.uuid);
      return;
    }
    const content = message.message.content;
    if (!Array.isArray(content)) return;
    for (const block of content as ToolResultBlock[]) {
      if (block.type !== "tool_result" || !this.#open.has(block.tool_use_id)) continue;
      this.#open.delete(block.tool_use_id);
      const output = cutPreviews(toolOutput(block.content), this.#events.cut);
      this.#events.emit({
        type: "tool_result",
        id: block.tool_use_id,
        output,
        isError: block.is_error === true,
      });
    }
  }
}
