/** The real model: Anthropic's Messages API through the SDK's typed `messages.create` (streaming) and `countTokens`. */
import Anthropic from "@anthropic-ai/sdk";
import { CATALOG, entryOf } from "@tandem/protocol/models";
import { shapeCountRequest, shapeRequest } from "./request-shape";
import { type Model, ModelError, type ModelRequest, type ModelStreamEvent } from "./types";

export interface AnthropicModelOptions {
  apiKey: string;
  /** Defaults to ANTHROPIC_BASE_URL, then the SDK's default. */
  baseURL?: string;
  /** SDK retries for 429/5xx/connection errors before a turn fails. */
  maxRetries?: number;
}

/** The request as the SDK's own params type, shaped for the session's model (request-shape.ts). */
export function requestParams(request: Omit<ModelRequest, "signal">): Anthropic.MessageCreateParamsStreaming {
  const { config } = request;
  const params: Anthropic.MessageCreateParamsStreaming = {
    model: config.model,
    max_tokens: config.maxTokens,
    system: request.system,
    messages: request.messages,
    tools: request.tools,
    stream: true,
  };
  return shapeRequest(params, config, entryOf(CATALOG, config.model));
}

/** The count_tokens request for the same turn, shaped the same way. */
export function countParams(request: Omit<ModelRequest, "signal">): Anthropic.MessageCountTokensParams {
  const { config } = request;
  const params: Anthropic.MessageCountTokensParams = { model: config.model, system: request.system, messages: request.messages, tools: request.tools };
  return shapeCountRequest(params, config, entryOf(CATALOG, config.model));
}

const SDK_DEPRECATION = /^The model '[^']+' is deprecated and will reach end-of-life/;

/**
 * Runs a `messages.*` call with the SDK's model-deprecation warning held back. SDK 1.14.0 prints it with a
 * bare `console.warn` on every request naming a model in its table (resources/messages/messages.js), with no
 * option or logger to turn it off; the loop says the end of life once, as an event, from the catalog that
 * holds the same dates. The warning is printed synchronously before the call returns its promise, so only
 * this call's warnings pass through the filter; every other warning still prints.
 */
export function withoutDeprecationWarning<T>(call: () => T): T {
  const warn = console.warn;
  console.warn = (...args: unknown[]) => {
    if (typeof args[0] === "string" && SDK_DEPRECATION.test(args[0])) return;
    warn(...args);
  };
  try {
    return call();
  } finally {
    console.warn = warn;
  }
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

  async countTokens(request: ModelRequest): Promise<number> {
    const { signal, ...rest } = request;
    try {
      const counted = await this.#client.messages.countTokens(countParams(rest), { signal });
      return counted.input_tokens;
    } catch (error) {
      throw toModelError(error);
    }
  }

  async *stream(request: ModelRequest): AsyncIterable<ModelStreamEvent> {
    const { signal, ...rest } = request;
    try {
      const params = requestParams(rest);
      const events = await withoutDeprecationWarning(() => this.#client.messages.create(params, { signal }));
      yield* events;
    } catch (error) {
      throw toModelError(error);
    }
  }
}
