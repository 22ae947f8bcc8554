/**
 * Keeping a conversation inside the model's context window (SPEC §10 "Long conversations"). Before each
 * request the context is estimated: the API's own count (count_tokens, or the input tokens a response
 * reported) where known, cached on each message as the request's size up to and including it, plus a
 * character estimate for messages added since. Near the window, the oldest tool results are cut first
 * (their tool_use ids stay, a marker says what was cut); if that is not enough, the older turns are
 * summarised by the same model. Only the agent's copy of the conversation changes: the transcript people
 * see is the room's, built from the frames, and is never touched.
 */
import type Anthropic from "@anthropic-ai/sdk";
import type { NOTICE_KINDS } from "@tandem/protocol/agent";
import type { SessionConfig } from "@tandem/protocol/session-config";
import type { Model } from "./models/types";
import { readResponse } from "./response";

type Message = Anthropic.MessageParam;

/** Share of the room left for the input (window minus the answer's max tokens) at which trimming starts… */
export const TRIM_AT = 0.85;
/** …and what it trims down to; a retry after an overflow trims harder. */
export const TRIM_TO = 0.6;
export const TRIM_TO_HARD = 0.35;
/** Characters a token is taken to be when nothing better is known (below the usual ~4: estimates err high). */
const CHARS_PER_TOKEN = 3.5;
/** Tool output shorter than this is left alone: cutting it saves little and the marker is about as long. */
const KEEP_RESULT_CHARS = 300;
/** The newest messages are never cut: the model needs the step it is on. */
const KEEP_NEWEST = 2;

export interface ContextRequest {
  config: SessionConfig;
  system: string;
  tools: Anthropic.Tool[];
  messages: Message[];
}

export interface ContextOptions {
  model: Model;
  /** The model's context window in tokens (the catalog's, or a test's). */
  window: number;
  notice(kind: (typeof NOTICE_KINDS)[number], detail: string): void;
}

/** What the API said when it refused a request as too long (its own count and maximum, when it gave them). */
export type Overflow = { tokens: number | null; maximum: number | null };

export interface Estimate {
  tokens: number;
  /** Counted by the API (or reported by it), not guessed from characters. */
  exact: boolean;
}

const charsOf = (value: unknown): number => (typeof value === "string" ? value.length : JSON.stringify(value ?? "").length);
const guess = (chars: number) => Math.ceil(chars / CHARS_PER_TOKEN);

export class ContextKeeper {
  readonly #options: ContextOptions;
  /**
   * Per message: the tokens of a request that ended with it (system and tools included), with the size of
   * its content then: a message merged into since (appendContent) no longer matches and is estimated again.
   */
  #upTo = new WeakMap<Message, { tokens: number; chars: number }>();
  /** Figures for tests and benchmarks. */
  readonly stats = { counted: 0, trims: 0, resultsCut: 0, summaries: 0, largestBefore: 0, largestAfter: 0, fits: [] as { before: number; after: number }[] };

  constructor(options: ContextOptions) {
    this.#options = options;
  }

  /** The room the input has: the window less the answer's max tokens. */
  limit(config: SessionConfig): number {
    return Math.max(1, this.#options.window - config.maxTokens);
  }

  /** The API's count of a request that was sent: its response's input tokens (cache reads and writes included). */
  recordSent(messages: readonly Message[], inputTokens: number): void {
    const last = messages.at(-1);
    if (last && inputTokens > 0) this.#remember(last, inputTokens);
  }

  #remember(message: Message, tokens: number): void {
    this.#upTo.set(message, { tokens, chars: charsOf(message.content) });
  }

  #known(message: Message): number | null {
    const known = this.#upTo.get(message);
    return known && known.chars === charsOf(message.content) ? known.tokens : null;
  }

  /** The known size of the longest counted prefix plus a character estimate of the rest; counted by the API when it matters. */
  async estimate(request: ContextRequest, signal: AbortSignal, { count = false } = {}): Promise<Estimate> {
    const { messages } = request;
    let index = messages.length - 1;
    while (index >= 0 && this.#known(messages[index]) === null) index--;
    const base = index >= 0 ? this.#known(messages[index])! : guess(charsOf(request.system) + charsOf(request.tools));
    const rest = messages.slice(index + 1).reduce((sum, message) => sum + guess(charsOf(message.content)), 0);
    const estimate = { tokens: base + rest, exact: index === messages.length - 1 };
    if (estimate.exact || !count || !this.#options.model.countTokens) return estimate;
    try {
      const tokens = await this.#options.model.countTokens({ ...request, signal });
      this.stats.counted++;
      if (messages.length) this.#remember(messages.at(-1)!, tokens);
      return { tokens, exact: true };
    } catch {
      // count_tokens unreachable or refused: the estimate stands.
      return estimate;
    }
  }

  /**
   * Makes the request fit before it is sent: nothing when it is well inside the window; else the oldest
   * tool results are cut, then older turns summarised. `hard`: after the API refused it as too long.
   * The messages array is changed in place (the loop's own copy of the conversation).
   */
  async fit(request: ContextRequest, signal: AbortSignal, { hard = null }: { hard?: Overflow | null } = {}): Promise<void> {
    // The API refused a request our counts let through: they are not to be trusted, its own figures are.
    if (hard) this.#upTo = new WeakMap();
    const limit = Math.min(this.limit(request.config), hard?.maximum ?? Infinity);
    const first = await this.estimate(request, signal);
    if (!hard && first.tokens < TRIM_AT * limit * (first.exact ? 1 : 0.8)) return;
    const before = hard ? { tokens: Math.max(first.tokens, hard.tokens ?? 0), exact: hard.tokens !== null } : await this.estimate(request, signal, { count: true });
    if (!hard && before.tokens < TRIM_AT * limit) return;
    const target = (hard ? TRIM_TO_HARD : TRIM_TO) * limit;
    this.stats.largestBefore = Math.max(this.stats.largestBefore, before.tokens);

    const cut = this.#cutToolResults(request.messages, before.tokens, target, hard !== null);
    let after = await this.estimate(request, signal, { count: true });
    if (cut.results > 0) {
      this.stats.trims++;
      this.stats.resultsCut += cut.results;
      this.#options.notice(
        "context_trimmed",
        `cut ${cut.results} tool result${cut.results === 1 ? "" : "s"} (${cut.chars.toLocaleString("en-US")} characters) to fit the context window: about ${before.tokens.toLocaleString("en-US")} → ${after.tokens.toLocaleString("en-US")} tokens of ${limit.toLocaleString("en-US")}`,
      );
    }
    if (after.tokens > target) {
      const summarised = await this.#summarise(request, signal);
      if (summarised > 0) {
        const previous = after.tokens;
        after = await this.estimate(request, signal, { count: true });
        this.stats.summaries++;
        this.#options.notice(
          "context_summarised",
          `summarised ${summarised} earlier messages to fit the context window: about ${previous.toLocaleString("en-US")} → ${after.tokens.toLocaleString("en-US")} tokens of ${limit.toLocaleString("en-US")}`,
        );
      }
    }
    this.stats.largestAfter = Math.max(this.stats.largestAfter, after.tokens);
    this.stats.fits.push({ before: before.tokens, after: after.tokens });
  }

  /** Cuts tool results, oldest first, until the estimate is under `target`. The newest messages stay unless `hard`. */
  #cutToolResults(messages: Message[], tokens: number, target: number, hard: boolean): { results: number; chars: number } {
    let results = 0;
    let chars = 0;
    const end = hard ? messages.length : Math.max(0, messages.length - KEEP_NEWEST);
    for (let i = 0; i < end && tokens > target; i++) {
      const message = messages[i];
      if (message.role !== "user" || typeof message.content === "string") continue;
      let changed = false;
      const content = message.content.map((block) => {
        if (block.type !== "tool_result" || tokens <= target) return block;
        const size = charsOf(block.content);
        if (size <= KEEP_RESULT_CHARS) return block;
        changed = true;
        results++;
        chars += size;
        tokens -= guess(size);
        return { ...block, content: `[cut to fit the context window: ${size.toLocaleString("en-US")} characters of tool output]` };
      });
      if (changed) messages[i] = { ...message, content };
    }
    // What was counted for the messages after a cut no longer holds.
    if (results > 0) this.#upTo = new WeakMap();
    return { results, chars };
  }

  /**
   * Replaces the older turns with a summary the same model writes. The cut falls before a person's
   * message (never between a tool_use and its result); the summary opens that message. Returns how many
   * messages were summarised (0: nothing could be).
   */
  async #summarise(request: ContextRequest, signal: AbortSignal): Promise<number> {
    const { messages } = request;
    let cut = -1;
    for (let i = messages.length - KEEP_NEWEST; i > 0; i--) {
      const content = messages[i].content;
      if (messages[i].role === "user" && (typeof content === "string" || !content.some((b) => b.type === "tool_result"))) {
        cut = i;
        break;
      }
    }
    if (cut <= 0) return 0;
    const older = messages.slice(0, cut);
    const budget = Math.floor(this.limit(request.config) * 0.5 * CHARS_PER_TOKEN);
    const text = renderForSummary(older).slice(-budget);
    let summary = "";
    try {
      const response = await readResponse(
        this.#options.model.stream({
          config: { ...request.config, thinking: false, maxTokens: Math.min(request.config.maxTokens, 1024) },
          system: "You condense a conversation between people and a coding agent so the agent can go on with it. Keep decisions, facts, file names, open questions and what was asked last; drop tool output details.",
          messages: [{ role: "user", content: `${text}\n\nSummarise the conversation above in at most 300 words.` }],
          tools: [],
          signal,
        }),
        "summary",
        () => {},
      );
      summary = response.content.flatMap((b) => (b.type === "text" ? [b.text] : [])).join("").trim();
    } catch {
      return 0;
    }
    if (!summary) return 0;
    const next = messages[cut];
    const opening: Anthropic.TextBlockParam = { type: "text", text: `[Summary of the earlier conversation, written to fit the context window]\n${summary}` };
    const rest = typeof next.content === "string" ? [{ type: "text" as const, text: next.content }] : next.content;
    messages.splice(0, cut + 1, { role: "user", content: [opening, ...rest] });
    this.#upTo = new WeakMap();
    return older.length;
  }
}

/** The older turns as plain text for the summariser: tool output shortened. */
function renderForSummary(messages: readonly Message[]): string {
  const lines: string[] = [];
  for (const message of messages) {
    const blocks = typeof message.content === "string" ? [{ type: "text" as const, text: message.content }] : message.content;
    for (const block of blocks) {
      if (block.type === "text") lines.push(`${message.role}: ${block.text}`);
      else if (block.type === "tool_use") lines.push(`agent ran ${block.name}: ${JSON.stringify(block.input).slice(0, 300)}`);
      else if (block.type === "tool_result") lines.push(`tool output: ${(typeof block.content === "string" ? block.content : JSON.stringify(block.content)).slice(0, 300)}`);
    }
  }
  return lines.join("\n");
}
