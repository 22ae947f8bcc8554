/** The real model: Anthropic's Messages API through the SDK's streaming helper. */
import Anthropic from "@anthropic-ai/sdk";
import type { Stream } from "@anthropic-ai/sdk/core/streaming";
import type { SessionConfig } from "@tandem/protocol/session-config";
import { LIMITS } from "@tandem/protocol/session-config";
import { type Model, ModelError, type ModelRequest, type ModelStreamEvent } from "./types";

export interface AnthropicModelOptions {
  apiKey: string;
  /** Defaults to ANTHROPIC_BASE_URL, then the SDK's default. */
  baseURL?: string;
  /** SDK retries for 429/5xx/connection errors before a turn fails. */
  maxRetries?: number;
}

const MIN_THINKING_BUDGET = 1024;

/** A thinking budget of three quarters of max_tokens, at least the API's 1024 and always below max_tokens. */
export function thinkingBudget(maxTokens: number): number | null {
  if (maxTokens < LIMITS.thinkingMinMaxTokens) return null;
  return Math.min(maxTokens - 1, Math.max(MIN_THINKING_BUDGET, Math.floor(maxTokens * 0.75)));
}

/**
 * Models on which a fixed thinking budget is deprecated in favour of adaptive thinking (the model decides
 * how much to think). The 4.5 models only know the budget form.
 */
const ADAPTIVE_THINKING_MODELS: ReadonlySet<string> = new Set(["claude-opus-4-6"]);

function thinkingParam(config: SessionConfig): Anthropic.ThinkingConfigParam | null {
  if (!config.thinking) return null;
  if (ADAPTIVE_THINKING_MODELS.has(config.model)) return { type: "adaptive" };
  const budget = thinkingBudget(config.maxTokens);
  return budget === null ? null : { type: "enabled", budget_tokens: budget };
}

export function requestParams(request: Omit<ModelRequest, "signal">): Anthropic.MessageCreateParamsStreaming {
  const { config } = request;
  const thinking = thinkingParam(config);
  return {
    model: config.model,
    max_tokens: config.maxTokens,
    system: request.system,
    messages: request.messages,
    tools: request.tools,
    stream: true,
    // The API takes no temperature together with extended thinking.
    ...(thinking === null ? { temperature: config.temperature } : { thinking }),
  };
}

const FATAL_STATUSES = new Set([400, 401, 403, 404, 413, 422]);
/** How the API words a request over the context window ("prompt is too long: 210000 tokens > 200000 maximum"). */
const CONTEXT_OVERFLOW = /prompt is too long|exceeds? (the )?(model'?s? )?context|context (window|limit)/i;

function apiMessage(error: InstanceType<typeof Anthropic.APIError>): string {
  const body: unknown = error.error;
  if (body && typeof body === "object" && "error" in body) {
    const inner = (body as { error: unknown }).error;
    if (inner && typeof inner === "object" && "message" in inner && typeof inner.message === "string") {
      const type = "type" in inner && typeof inner.type === "string" ? `${inner.type}: ` : "";
      return `Anthropic API ${error.status ?? "stream"} ${type}${inner.message}`;
    }
  }
  return `Anthropic API error: ${error.message}`;
}

export function toModelError(error: unknown): ModelError {
  if (error instanceof ModelError) return error;
  if (error instanceof Anthropic.APIUserAbortError) return new ModelError("request aborted", false);
  if (error instanceof Anthropic.APIConnectionError) return new ModelError(`cannot reach the Anthropic API: ${error.message}`, false);
  if (error instanceof Anthropic.APIError) {
    const message = apiMessage(error);
    if (error.status === 400 && CONTEXT_OVERFLOW.test(message)) {
      const figures = /(\d+) tokens > (\d+) maximum/.exec(message);
      return new ModelError(message, false, { tokens: figures ? Number(figures[1]) : null, maximum: figures ? Number(figures[2]) : null });
    }
    return new ModelError(message, error.status !== undefined && FATAL_STATUSES.has(error.status));
  }
  return new ModelError(error instanceof Error ? error.message : String(error), false);
}

export class AnthropicModel implements Model {
  readonly kind = "anthropic";
  readonly #client: Anthropic;

  constructor(options: AnthropicModelOptions) {
    this.#client = new Anthropic({
      apiKey: options.apiKey,
      baseURL: options.baseURL ?? process.env.ANTHROPIC_BASE_URL ?? undefined,
      maxRetries: options.maxRetries ?? 2,
    });
  }

  /**
   * The raw event stream of POST /v1/messages. Not `messages.create`/`messages.stream`: in SDK 1.14.0 those
   * print the deprecation warning of a model in its table (resources/messages/messages.js) with a bare
   * `console.warn` on every request, with no option or logger to turn it off. The same request through the
   * client's `post` (the SDK's documented way to make a request by hand) prints nothing; the loop says the
   * end of life once, as an event, from the catalog (worker/protocol/models.ts) that holds the same dates.
   */
  async countTokens(request: ModelRequest): Promise<number> {
    const { signal, ...rest } = request;
    const { model, system, messages, tools, thinking } = requestParams(rest);
    try {
      const counted = await this.#client.messages.countTokens({ model, system, messages, tools, ...(thinking ? { thinking } : {}) }, { signal });
      return counted.input_tokens;
    } catch (error) {
      throw toModelError(error);
    }
  }

  async *stream(request: ModelRequest): AsyncIterable<ModelStreamEvent> {
    const { signal, ...rest } = request;
    try {
      const events = await this.#client.post<Stream<ModelStreamEvent>>("/v1/messages", {
        body: requestParams(rest),
        stream: true,
        signal,
      });
      yield* events;
    } catch (error) {
      throw toModelError(error);
    }
  }
}
