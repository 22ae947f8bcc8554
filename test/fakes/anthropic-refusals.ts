/**
 * What the real Messages API refuses, as the fake refuses it: the status, the error type and the message the
 * API answers with, decided from the request's headers and body and the model catalog's capability facts
 * (worker/protocol/model-catalog.ts, where each fact names its source). Pure: no server here.
 *
 * Refused, for /v1/messages and /v1/messages/count_tokens (with or without `?beta=true`):
 * - no API key (neither `x-api-key` nor `Authorization: Bearer`), or one the fake was not given: 401;
 * - no `anthropic-version`, or one that does not exist: 400;
 * - an unknown or retired model: 404 not_found_error "model: <id>";
 * - `temperature`, `top_p` or `top_k` under 2026-10-21 ("<field>: Extra inputs are not permitted"), and under
 *   2023-06-01 a non-default one on a model that takes none ("temperature is deprecated for this model."),
 *   or one with thinking on;
 * - a `thinking.type` the model does not take: `disabled` on an always-thinking model, a budget
 *   (`enabled`) on an adaptive-only one, `adaptive` on a budget-only one, `between_tools` where it does
 *   not exist; a budget under 1024 or not below max_tokens;
 * - `max_tokens` over the model's maximum output;
 * - an effort on a model that takes none, a level it does not take, or one above its limit with thinking off.
 */
import type { IncomingHttpHeaders } from "node:http";
import { EFFORTS, isRetired, type Catalog, type ModelEntry } from "@tandem/protocol/models";

export interface Refusal {
  status: 400 | 401 | 404;
  type: "invalid_request_error" | "authentication_error" | "not_found_error";
  message: string;
}

/** API versions that exist (platform.claude.com/docs/en/api/versioning): the SDK sends the newest. */
export const API_VERSIONS = ["2023-06-01", "2026-10-21"] as const;
export const SDK_API_VERSION = "2026-10-21";

/** Dated ids the installed SDK's `Model` type names for catalog models (the API answers to both). */
const SNAPSHOTS: Record<string, string> = {
  "claude-haiku-4-5-20251001": "claude-haiku-4-5",
  "claude-opus-4-5-20251101": "claude-opus-4-5",
  "claude-sonnet-4-5-20250929": "claude-sonnet-4-5",
};

const SAMPLING = ["temperature", "top_p", "top_k"] as const;
const MIN_BUDGET = 1024;
const invalid = (message: string): Refusal => ({ status: 400, type: "invalid_request_error", message });
const record = (value: unknown): Record<string, unknown> | null =>
  value !== null && typeof value === "object" && !Array.isArray(value)
    ? (value as Record<string, unknown>)
    : null;

/** The key the request carries: `x-api-key` first (the API prefers it when both are sent), else the bearer token. */
export function apiKeyOf(headers: IncomingHttpHeaders): string | null {
  const header = headers["x-api-key"];
  if (typeof header === "string" && header) return header;
  const bearer = /^Bearer (.+)$/.exec(headers.authorization ?? "");
  return bearer ? bearer[1] : null;
}

/** A refusal of the headers: the key (when the fake was given keys) and the API version. */
export function headerRefusal(headers: IncomingHttpHeaders, keys: readonly string[] | null): Refusal | null {
  const key = apiKeyOf(headers);
  if (!key) return { status: 401, type: "authentication_error", message: "x-api-key header is required" };
  if (keys && !keys.includes(key))
    return { status: 401, type: "authentication_error", message: "invalid x-api-key" };
  const version = headers["anthropic-version"];
  if (!version) return invalid("anthropic-version: header is required");
  if (!(API_VERSIONS as readonly string[]).includes(String(version)))
    return invalid(`anthropic-version: "${version}" is not a valid version`);
  return null;
}

/** The catalog entry a model name stands for, if the API knows it and it is live. */
export function liveModel(catalog: Catalog, name: unknown, now: number): ModelEntry | null {
  const id = typeof name === "string" ? (SNAPSHOTS[name] ?? name) : null;
  const entry = catalog.find((candidate) => candidate.id === id);
  return entry && !isRetired(entry, now) ? entry : null;
}

function samplingRefusal(
  body: Record<string, unknown>,
  entry: ModelEntry,
  version: string,
  thinkingOn: boolean,
): Refusal | null {
  for (const field of SAMPLING) {
    if (body[field] === undefined) continue;
    if (version === SDK_API_VERSION) return invalid(`${field}: Extra inputs are not permitted`);
    const nonDefault = field !== "temperature" || body[field] !== 1;
    if (entry.sampling === "default-only" && nonDefault)
      return invalid(`${field} is deprecated for this model.`);
    if (thinkingOn && nonDefault)
      return invalid(
        `\`${field}\` may only be set to 1 when thinking is enabled. Please consult our documentation at https://docs.claude.com/en/docs/build-with-claude/extended-thinking#feature-compatibility`,
      );
  }
  return null;
}

function thinkingRefusal(
  thinking: Record<string, unknown> | null,
  entry: ModelEntry,
  maxTokens: number | null,
): Refusal | null {
  if (!thinking) return null;
  const type = thinking.type;
  if (type !== "enabled" && type !== "adaptive" && type !== "disabled" && type !== "between_tools") {
    return invalid(
      `thinking.type: Input tag '${String(type)}' found using 'type' does not match any of the expected tags: 'adaptive', 'between_tools', 'disabled', 'enabled'`,
    );
  }
  if (!entry.thinking.accepts.includes(type)) {
    const instead =
      entry.thinking.mode === "budget"
        ? `Use "thinking.type.enabled" with "budget_tokens"`
        : `Use "thinking.type.adaptive" and "output_config.effort"`;
    return invalid(
      `"thinking.type.${type}" is not supported for this model. ${instead} to control thinking behavior.`,
    );
  }
  if (type !== "enabled") return null;
  const budget = thinking.budget_tokens;
  if (typeof budget !== "number" || !Number.isInteger(budget) || budget < MIN_BUDGET)
    return invalid(`thinking.enabled.budget_tokens: Input should be greater than or equal to ${MIN_BUDGET}`);
  if (maxTokens !== null && budget >= maxTokens) {
    return invalid(
      "`max_tokens` must be greater than `thinking.budget_tokens`. Please consult our documentation at https://docs.claude.com/en/docs/build-with-claude/extended-thinking#max-tokens-and-context-window-size",
    );
  }
  return null;
}

/** Whether the model thinks on this request: asked to, or by default when the request names nothing. */
function thinks(thinking: Record<string, unknown> | null, entry: ModelEntry): boolean {
  if (!thinking) return entry.thinking.onByDefault;
  return thinking.type === "enabled" || thinking.type === "adaptive";
}

function effortRefusal(
  outputConfig: Record<string, unknown> | null,
  entry: ModelEntry,
  thinkingOn: boolean,
): Refusal | null {
  const effort = outputConfig?.effort;
  if (effort === undefined || effort === null) return null;
  if (!(EFFORTS as readonly unknown[]).includes(effort))
    return invalid(`output_config.effort: Input should be 'low', 'medium', 'high', 'xhigh' or 'max'`);
  const level = effort as (typeof EFFORTS)[number];
  if (entry.effort.levels.length === 0) return invalid("This model does not support the effort parameter.");
  if (!entry.effort.levels.includes(level))
    return invalid(
      `output_config.effort '${level}' is not supported by this model. Use one of: ${entry.effort.levels.join(", ")}.`,
    );
  const cap = entry.thinking.offMaxEffort;
  if (!thinkingOn && cap !== null && EFFORTS.indexOf(level) > EFFORTS.indexOf(cap)) {
    return invalid(
      `output_config.effort '${level}' is not supported when thinking is disabled on this model. Use effort '${cap}' or below, or enable thinking.`,
    );
  }
  return null;
}

/**
 * The refusal of a request body, or null when the API would take it. `counting`: a count_tokens request
 * (no max_tokens of its own).
 */
export function bodyRefusal(
  body: unknown,
  options: { catalog: Catalog; now: number; version: string; counting: boolean },
): Refusal | null {
  const fields = record(body);
  if (!fields)
    return invalid("There was an error parsing the body of your request. Please make sure it is valid JSON.");
  if (fields.model === undefined) return invalid("model: Field required");
  const entry = liveModel(options.catalog, fields.model, options.now);
  if (!entry) return { status: 404, type: "not_found_error", message: `model: ${String(fields.model)}` };
  if (!Array.isArray(fields.messages)) return invalid("messages: Field required");
  let maxTokens: number | null = null;
  if (!options.counting) {
    if (typeof fields.max_tokens !== "number" || !Number.isInteger(fields.max_tokens))
      return invalid("max_tokens: Field required");
    maxTokens = fields.max_tokens;
    if (maxTokens > entry.maxOutputTokens) {
      return invalid(
        `max_tokens: ${maxTokens} > ${entry.maxOutputTokens}, which is the maximum allowed number of output tokens for ${String(fields.model)}`,
      );
    }
  }
  const thinking = record(fields.thinking);
  const thinkingOn = thinks(thinking, entry);
  return (
    samplingRefusal(fields, entry, options.version, thinkingOn) ??
    thinkingRefusal(thinking, entry, maxTokens) ??
    effortRefusal(record(fields.output_config), entry, thinkingOn)
  );
}
