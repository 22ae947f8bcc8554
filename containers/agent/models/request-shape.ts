/**
 * A Messages API request as the session's model takes it: the one place where session settings meet the
 * API's parameters. It shapes requests the agent did not build (the model gateway forwards Claude Code's) as
 * well as the agent's own, with the catalog's capability facts (worker/protocol/model-catalog.ts):
 *
 * - the session's model;
 * - `max_tokens` capped at the smallest of the request's, the session's and the model's maximum output;
 * - thinking as the model takes it: a budget, `adaptive`, or always on when on; left out, `disabled` or
 *   `between_tools` when off (an always-thinking model stays on: the API refuses `disabled`);
 * - `output_config.effort`: the session's effort where the model takes it, else none (the model's default);
 * - never `temperature`, `top_p` or `top_k` (API version 2026-10-21 refuses them with a 400).
 *
 * Pure: the parameters in, new parameters out; the caller's object is not changed.
 */
import type Anthropic from "@anthropic-ai/sdk";
import type {
  MessageCountTokensParams as BetaCountParams,
  MessageCreateParams as BetaCreateParams,
} from "@anthropic-ai/sdk/resources/beta/messages/messages";
import type { Effort, ModelEntry, ModelId } from "@tandem/protocol/models";
import { effortProblem } from "@tandem/protocol/model-settings";

/** The settings of a session that shape its model requests (a subset of SessionConfig). */
export interface RequestSettings {
  model: ModelId;
  /** The session's max tokens per response. */
  maxTokens: number;
  thinking: boolean;
  /** null: the model's default effort (none sent). */
  effort: Effort | null;
}

/** Create-message parameters, of the Messages API or its beta (`/v1/messages?beta=true`, as Claude Code calls it). */
export type CreateParams = Anthropic.MessageCreateParams | BetaCreateParams;
/** count_tokens parameters, of the Messages API or its beta. */
export type CountParams = Anthropic.MessageCountTokensParams | BetaCountParams;

/** The thinking forms both the API and its beta take. */
type Thinking = Anthropic.ThinkingConfigParam;
/** Fields the SDK's types no longer have but a request built elsewhere (a JSON body) may still carry. */
interface Sampling {
  temperature?: unknown;
  top_p?: unknown;
  top_k?: unknown;
}

const MIN_THINKING_BUDGET = 1024;

/** A thinking budget of three quarters of max_tokens, at least the API's 1024 and always below max_tokens; null when none fits. */
export function thinkingBudget(maxTokens: number): number | null {
  if (maxTokens <= MIN_THINKING_BUDGET) return null;
  return Math.min(maxTokens - 1, Math.max(MIN_THINKING_BUDGET, Math.floor(maxTokens * 0.75)));
}

/** The request's own display choice for thinking text, kept where the shaped form takes one. */
function displayOf(thinking: unknown): { display?: "summarized" | "omitted" } {
  if (!thinking || typeof thinking !== "object" || !("display" in thinking)) return {};
  const display = thinking.display;
  return display === "summarized" || display === "omitted" ? { display } : {};
}

/** The `thinking` to send (undefined: leave it out) for a session's thinking on this model at this max_tokens. */
export function thinkingParam(
  entry: ModelEntry,
  on: boolean,
  maxTokens: number,
  requested?: unknown,
): Thinking | undefined {
  const { mode, onByDefault, accepts } = entry.thinking;
  if (on || mode === "always") {
    if (mode !== "budget") return { type: "adaptive", ...displayOf(requested) };
    const budget = thinkingBudget(maxTokens);
    if (budget !== null) return { type: "enabled", budget_tokens: budget, ...displayOf(requested) };
  }
  if (!onByDefault) return undefined;
  if (accepts.includes("disabled")) return { type: "disabled" };
  if (accepts.includes("between_tools")) return { type: "between_tools" };
  return { type: "adaptive" };
}

/** The session's effort where the model takes it with this thinking; null: send none. */
export function effortParam(
  entry: ModelEntry,
  settings: RequestSettings,
  thinkingOn: boolean,
): Effort | null {
  if (settings.effort === null) return null;
  return effortProblem(entry, settings.effort, thinkingOn) === null ? settings.effort : null;
}

/** `output_config` with the effort replaced (other fields, such as `format`, kept); undefined when nothing is left. */
function outputConfigWith(requested: unknown, effort: Effort | null): Record<string, unknown> | undefined {
  const { effort: _dropped, ...rest } =
    requested && typeof requested === "object" ? (requested as Record<string, unknown>) : {};
  const shaped = effort === null ? rest : { ...rest, effort };
  return Object.keys(shaped).length > 0 ? shaped : undefined;
}

function isOn(thinking: Thinking | undefined, entry: ModelEntry): boolean {
  if (thinking === undefined) return entry.thinking.onByDefault;
  return thinking.type === "adaptive" || thinking.type === "enabled";
}

function modelFields(
  entry: ModelEntry,
  settings: RequestSettings,
  maxTokens: number,
  requested: { thinking?: unknown; output_config?: unknown },
) {
  if (entry.id !== settings.model)
    throw new Error(`the catalog entry ${entry.id} is not the session's model ${settings.model}`);
  const thinking = thinkingParam(entry, settings.thinking, maxTokens, requested.thinking);
  const outputConfig = outputConfigWith(
    requested.output_config,
    effortParam(entry, settings, isOn(thinking, entry)),
  );
  return {
    model: entry.id,
    ...(thinking === undefined ? {} : { thinking }),
    ...(outputConfig === undefined ? {} : { output_config: outputConfig }),
  };
}

/** A create-message request shaped for the session's model (see the file's comment). */
export function shapeRequest<P extends CreateParams>(
  params: P,
  settings: RequestSettings,
  entry: ModelEntry,
): P {
  const { temperature: _t, top_p: _p, top_k: _k, thinking, output_config, ...rest } = params as P & Sampling;
  const maxTokens = Math.min(params.max_tokens, settings.maxTokens, entry.maxOutputTokens);
  // The fields set here have the same types in the API's params and its beta's, so the result is still a P.
  return {
    ...rest,
    max_tokens: maxTokens,
    ...modelFields(entry, settings, maxTokens, { thinking, output_config }),
  } as P;
}

/** A count_tokens request shaped like the create request it measures (no max_tokens of its own: the session's). */
export function shapeCountRequest<P extends CountParams>(
  params: P,
  settings: RequestSettings,
  entry: ModelEntry,
): P {
  const { temperature: _t, top_p: _p, top_k: _k, thinking, output_config, ...rest } = params as P & Sampling;
  const maxTokens = Math.min(settings.maxTokens, entry.maxOutputTokens);
  return { ...rest, ...modelFields(entry, settings, maxTokens, { thinking, output_config }) } as P;
}
