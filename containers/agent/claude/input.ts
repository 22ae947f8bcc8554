/**
 * Claude Code's streaming input: people's messages are pushed as they arrive, whether Claude is idle (a new
 * turn starts) or working (Claude Code reads the message together with the next tool result: SPEC's
 * interrupt). Each message carries a uuid of ours; Claude Code echoes it back (`--replay-user-messages`)
 * when the message enters the conversation, which is when the room hears it was consumed.
 */
import { randomUUID } from "node:crypto";
import type { SDKUserMessage } from "@anthropic-ai/claude-agent-sdk";

export class PromptStream implements AsyncIterable<SDKUserMessage> {
  readonly #queue: SDKUserMessage[] = [];
  #wake: (() => void) | null = null;
  #closed = false;

  /** Queues a message for Claude Code; returns the uuid its echo will carry. */
  push(text: string): string {
    const uuid = randomUUID();
    this.#queue.push({
      type: "user",
      message: { role: "user", content: text },
      parent_tool_use_id: null,
      uuid,
    });
    this.#wake?.();
    return uuid;
  }

  /** Ends the input: Claude Code finishes what it does and exits. */
  close(): void {
    this.#closed = true;
    this.#wake?.();
  }

  async *[Symbol.asyncIterator](): AsyncIterator<SDKUserMessage> {
    for (;;) {
      const next = this.#queue.shift();
      if (next) {
        yield next;
        continue;
      }
      if (this.#closed) return;
      await new Promise<void>((resolve) => {
        this.#wake = resolve;
      });
      this.#wake = null;
    }
  }
}
