/**
 * A response's exact usage, read from what the API sent: `message_start`'s usage, then `message_delta`'s
 * (cumulative, so its figures replace the start's where given), or a whole message's `usage`.
 */
import { z } from "zod";

const UsageFiguresSchema = z.looseObject({
  input_tokens: z.number().nullish(),
  output_tokens: z.number().nullish(),
  cache_read_input_tokens: z.number().nullish(),
  cache_creation_input_tokens: z.number().nullish(),
});
type UsageFigures = z.infer<typeof UsageFiguresSchema>;

const UsageEventSchema = z.union([
  z.looseObject({ type: z.literal("message_start"), message: z.looseObject({ usage: UsageFiguresSchema }) }),
  z.looseObject({ type: z.literal("message_delta"), usage: UsageFiguresSchema }),
  z.looseObject({
    type: z.literal("error"),
    error: z.looseObject({ type: z.string(), message: z.string() }),
  }),
]);

const WholeMessageSchema = z.looseObject({ type: z.literal("message"), usage: UsageFiguresSchema });

export interface UsageFigureSet {
  inputTokens: number;
  outputTokens: number;
  cacheReadTokens: number;
  cacheWriteTokens: number;
}

export class UsageMeter {
  #figures: UsageFigureSet = { inputTokens: 0, outputTokens: 0, cacheReadTokens: 0, cacheWriteTokens: 0 };
  #complete = false;
  #streamError: { type: string; message: string } | null = null;

  get figures(): UsageFigureSet {
    return { ...this.#figures };
  }

  /** A message_stop (or a whole message) was read: the response finished. */
  get complete(): boolean {
    return this.#complete;
  }

  /** An SSE `error` event the API sent mid-stream (overloaded, for one). */
  get streamError(): { type: string; message: string } | null {
    return this.#streamError;
  }

  #take(usage: UsageFigures): void {
    const f = this.#figures;
    f.inputTokens = usage.input_tokens ?? f.inputTokens;
    f.outputTokens = usage.output_tokens ?? f.outputTokens;
    f.cacheReadTokens = usage.cache_read_input_tokens ?? f.cacheReadTokens;
    f.cacheWriteTokens = usage.cache_creation_input_tokens ?? f.cacheWriteTokens;
  }

  /** One SSE event of a streamed response (its `data`, parsed). */
  readEvent(data: unknown): void {
    if (typeof data === "object" && data !== null && "type" in data && data.type === "message_stop")
      this.#complete = true;
    const event = UsageEventSchema.safeParse(data);
    if (!event.success) return;
    if (event.data.type === "message_start") this.#take(event.data.message.usage);
    else if (event.data.type === "message_delta") this.#take(event.data.usage);
    else this.#streamError = { type: event.data.error.type, message: event.data.error.message };
  }

  /** A whole (non-streamed) message. */
  readMessage(data: unknown): void {
    const message = WholeMessageSchema.safeParse(data);
    if (!message.success) return;
    this.#take(message.data.usage);
    this.#complete = true;
  }
}
