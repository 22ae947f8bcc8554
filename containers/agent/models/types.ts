/**
 * The one interface the loop talks to. Both models yield the Messages API's raw stream events, so the
 * loop's accumulation, framing and tool handling are shared by the real model and the offline one.
 */
import type Anthropic from "@anthropic-ai/sdk";
import type { SessionConfig } from "@tandem/protocol/session-config";

export type ModelKind = "anthropic" | "offline";
export type ModelStreamEvent = Anthropic.RawMessageStreamEvent;

export interface ModelRequest {
  config: SessionConfig;
  system: string;
  messages: Anthropic.MessageParam[];
  tools: Anthropic.Tool[];
  signal: AbortSignal;
}

export interface Model {
  readonly kind: ModelKind;
  stream(request: ModelRequest): AsyncIterable<ModelStreamEvent>;
  /** The request's input tokens as the API counts them (count_tokens); absent where there is no API. */
  countTokens?(request: ModelRequest): Promise<number>;
}

/**
 * A model call that failed. `fatal` errors (bad key, bad request) fail the session; the others
 * (rate limits, overload, 5xx, network) end the turn and the session goes on.
 */
export class ModelError extends Error {
  constructor(
    message: string,
    readonly fatal: boolean,
    /**
     * The request was longer than the model's context window (a 400 the loop answers by trimming harder),
     * with the API's figures when it gave them.
     */
    readonly overflow: false | { tokens: number | null; maximum: number | null } = false,
  ) {
    super(message);
  }
}
