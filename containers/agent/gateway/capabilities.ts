/**
 * The session's settings applied to a request Claude Code built, by issue 18's request shaper and the
 * catalog's capability table (containers/agent/models/request-shape.ts, worker/protocol/models.ts): the
 * session's model, max_tokens capped, thinking and effort as the model takes them, no sampling parameter.
 */
import type {
  MessageCountTokensParams as BetaCountParams,
  MessageCreateParams as BetaCreateParams,
} from "@anthropic-ai/sdk/resources/beta/messages/messages";
import { CATALOG, entryOf } from "@tandem/protocol/models";
import { type RequestSettings, shapeCountRequest, shapeRequest } from "../models/request-shape";
import type { CountTokensRequest, MessagesRequest } from "./request-body";
import type { GatewaySettings } from "./types";

function requestSettings(settings: GatewaySettings): RequestSettings {
  return {
    model: settings.model,
    maxTokens: settings.maxTokens,
    thinking: settings.thinking,
    effort: settings.effort ?? null,
  };
}

/** Whether a shaped request has the model think. */
export function asksForThinking(body: { thinking?: { type: string } }): boolean {
  return (
    body.thinking !== undefined && (body.thinking.type === "enabled" || body.thinking.type === "adaptive")
  );
}

/**
 * Claude Code asks to clear old thinking blocks (context_management's `clear_thinking_…` edit) whenever it
 * thinks; where the session's settings turn thinking off, that edit has nothing to act on and is dropped.
 */
function withoutStrayThinkingEdits<T extends CountTokensRequest>(body: T): T {
  const edits = body.context_management?.edits;
  if (asksForThinking(body) || !edits?.some((edit) => edit.type.startsWith("clear_thinking"))) return body;
  const kept = edits.filter((edit) => !edit.type.startsWith("clear_thinking"));
  const { context_management: management, ...rest } = body;
  return (kept.length ? { ...rest, context_management: { ...management, edits: kept } } : rest) as T;
}

/**
 * A tool-use loop is one assistant turn, and the API takes one thinking configuration per turn: a turn that
 * began without thinking (its last assistant message starts with no thinking block) finishes without,
 * though the session's thinking was turned on meanwhile. The next turn thinks.
 */
function oneThinkingPerTurn<T extends CountTokensRequest>(body: T): T {
  if (body.thinking?.type !== "enabled") return body;
  const [previous, last] = body.messages.slice(-2);
  const inToolLoop =
    last?.role === "user" &&
    Array.isArray(last.content) &&
    last.content.some((block) => block.type === "tool_result");
  if (!inToolLoop || previous?.role !== "assistant" || !Array.isArray(previous.content)) return body;
  const first = previous.content[0]?.type;
  if (first === "thinking" || first === "redacted_thinking") return body;
  const { thinking: _off, ...rest } = body;
  return withoutStrayThinkingEdits(rest as T);
}

// Claude Code's body is a request to the beta Messages API (it calls /v1/messages?beta=true), checked in
// request-body.ts for the fields the gateway reads. The shaper changes only model, max_tokens, thinking,
// output_config and the sampling parameters, so its result still passes that check: hence the casts.

export function shapeMessages(body: MessagesRequest, settings: GatewaySettings): MessagesRequest {
  const shaped = shapeRequest(
    body as unknown as BetaCreateParams,
    requestSettings(settings),
    entryOf(CATALOG, settings.model),
  );
  return oneThinkingPerTurn(withoutStrayThinkingEdits(shaped as unknown as MessagesRequest));
}

export function shapeCountTokens(body: CountTokensRequest, settings: GatewaySettings): CountTokensRequest {
  const shaped = shapeCountRequest(
    body as unknown as BetaCountParams,
    requestSettings(settings),
    entryOf(CATALOG, settings.model),
  );
  return oneThinkingPerTurn(withoutStrayThinkingEdits(shaped as unknown as CountTokensRequest));
}
