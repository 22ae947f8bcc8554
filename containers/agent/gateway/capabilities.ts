/**
 * The session's settings applied to a request body Claude Code built (issue 20's gateway).
 *
 * PLACEHOLDER for issue 18's capability table and request shaper (worker/protocol/models.ts gains each
 * model's thinking mode and efforts; containers/agent/models/ gets the shaper): this file keeps the same
 * role until that lands, then delegates to it.
 */
import { z } from "zod";
import { CATALOG, type ModelId } from "../../../worker/protocol/models";
import type { CountTokensRequest } from "./request-body";

export const EFFORTS = ["low", "medium", "high", "xhigh", "max"] as const;
export const EffortSchema = z.enum(EFFORTS);
export type Effort = z.infer<typeof EffortSchema>;

export interface ShapeSettings {
  model: ModelId;
  maxTokens: number;
  thinking: boolean;
  effort?: Effort;
}

/** How a model takes extended thinking: a fixed budget below max_tokens, or adaptive (it decides). */
const ADAPTIVE_THINKING: ReadonlySet<ModelId> = new Set(["claude-opus-4-6", "claude-sonnet-4-6"]);
/** Models that take output_config.effort. */
const TAKES_EFFORT: ReadonlySet<ModelId> = new Set(["claude-opus-4-5", "claude-opus-4-6", "claude-sonnet-4-6"]);
const MIN_THINKING_BUDGET = 1024;

/** Never sent: API version 2026-10-21 refuses them with a 400 (Claude Code sends temperature 1 with thinking off). */
const SAMPLING_PARAMETERS = ["temperature", "top_p", "top_k"] as const;

function thinkingFor(settings: ShapeSettings, maxTokens: number, asked: Record<string, unknown> | undefined): Record<string, unknown> | null {
  if (!settings.thinking) return null;
  const display = asked && "display" in asked ? { display: asked.display } : {};
  if (ADAPTIVE_THINKING.has(settings.model)) return { type: "adaptive", ...display };
  if (maxTokens <= MIN_THINKING_BUDGET) return null;
  const budget = Math.min(maxTokens - 1, Math.max(MIN_THINKING_BUDGET, Math.floor(maxTokens * 0.75)));
  return { type: "enabled", budget_tokens: budget, ...display };
}

function withoutThinkingEdits(management: CountTokensRequest["context_management"]): CountTokensRequest["context_management"] {
  if (!management?.edits) return management;
  const edits = management.edits.filter((edit) => !edit.type.startsWith("clear_thinking"));
  return edits.length ? { ...management, edits } : undefined;
}

/**
 * The body with the session's model, its max_tokens cap (and the model's maximum output), thinking and
 * effort as the model takes them, and no sampling parameter. Other fields pass through.
 */
export function shapeRequest<T extends CountTokensRequest & { max_tokens?: number }>(body: T, settings: ShapeSettings): T {
  const shaped: Record<string, unknown> = { ...body, model: settings.model };
  for (const name of SAMPLING_PARAMETERS) delete shaped[name];
  const entry = CATALOG.find((model) => model.id === settings.model);
  const maxTokens = Math.min(body.max_tokens ?? settings.maxTokens, settings.maxTokens, entry?.maxOutputTokens ?? settings.maxTokens);
  if (body.max_tokens !== undefined) shaped.max_tokens = maxTokens;
  const thinking = thinkingFor(settings, maxTokens, body.thinking);
  if (thinking) shaped.thinking = thinking;
  else {
    delete shaped.thinking;
    const management = withoutThinkingEdits(body.context_management);
    if (management) shaped.context_management = management;
    else delete shaped.context_management;
  }
  const { effort: _asked, ...outputConfig } = body.output_config ?? {};
  const effort = settings.effort && TAKES_EFFORT.has(settings.model) ? { effort: settings.effort } : {};
  if (Object.keys(outputConfig).length || effort.effort) shaped.output_config = { ...outputConfig, ...effort };
  else delete shaped.output_config;
  return shaped as T;
}

/** Whether a shaped request asks for thinking (the offline model then thinks aloud, briefly). */
export function asksForThinking(body: CountTokensRequest): boolean {
  return body.thinking !== undefined && body.thinking.type !== "disabled";
}
