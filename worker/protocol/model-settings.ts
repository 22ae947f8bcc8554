/**
 * Which session settings a model takes (effort where the model takes it, thinking as the model takes
 * it). One pure check, used wherever settings meet a model: the API at create, clone, resume, PATCH,
 * triggers and schedules, the web dialogs (to disable what a model cannot take, with the reason), and the
 * model gateway. No Worker-runtime imports.
 */
import { EFFORTS, type Effort, type ModelEntry } from "./models";
import { LIMITS } from "./session-config";

/** The settings of a session that depend on its model. */
export interface ModelSettings {
  thinking: boolean;
  /** null: the model's default (nothing sent). */
  effort: Effort | null;
  maxTokens: number;
}

export interface SettingsProblem {
  field: "thinking" | "effort";
  message: string;
}

const rank = (effort: Effort) => EFFORTS.indexOf(effort);

/** A session's thinking when its creator named none: on for a model that always thinks, else off. */
export const defaultThinking = (entry: ModelEntry): boolean => entry.thinking.mode === "always";

/** Why thinking cannot be `on` (or off) with this model and these max tokens; null when it can. */
export function thinkingProblem(entry: ModelEntry, thinking: boolean, maxTokens: number): string | null {
  if (!thinking && entry.thinking.mode === "always")
    return `${entry.label} always thinks: thinking cannot be turned off`;
  if (thinking && maxTokens < LIMITS.thinkingMinMaxTokens)
    return `extended thinking needs max tokens above ${LIMITS.thinkingMinMaxTokens - 1}`;
  return null;
}

/** Why the model does not take this effort with thinking on or off; null when it does. */
export function effortProblem(entry: ModelEntry, effort: Effort, thinking: boolean): string | null {
  const { levels } = entry.effort;
  if (levels.length === 0) return `${entry.label} takes no effort setting`;
  if (!levels.includes(effort)) return `${entry.label} takes effort ${levels.join(", ")}`;
  const cap = entry.thinking.offMaxEffort;
  if (!thinking && cap !== null && rank(effort) > rank(cap))
    return `${entry.label} takes effort up to ${cap} with thinking off`;
  return null;
}

/** What the model cannot take of these settings, each naming its field; empty when it takes them all. */
export function settingsProblems(entry: ModelEntry, settings: ModelSettings): SettingsProblem[] {
  const problems: SettingsProblem[] = [];
  const thinking = thinkingProblem(entry, settings.thinking, settings.maxTokens);
  if (thinking) problems.push({ field: "thinking", message: thinking });
  const effort = settings.effort === null ? null : effortProblem(entry, settings.effort, settings.thinking);
  if (effort) problems.push({ field: "effort", message: effort });
  return problems;
}

/** Every effort level with the reason this model cannot take it with thinking on or off (null: it can). */
export function effortOptions(
  entry: ModelEntry,
  thinking: boolean,
): { level: Effort; reason: string | null }[] {
  return EFFORTS.map((level) => ({ level, reason: effortProblem(entry, level, thinking) }));
}
