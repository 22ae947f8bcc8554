/**
 * What a model can do and costs, as schemas: prices, how it thinks, which efforts it takes, the sampling
 * it accepts, and the shape of a built-in entry. Apart from ./models.ts (which re-exports it) so that the
 * catalog's facts (./model-catalog.ts) and the catalog's functions both import it, and not each other.
 */
import { z } from "zod";

export const PricingSchema = z.object({
  inputPerMTok: z.number().nonnegative(),
  outputPerMTok: z.number().nonnegative(),
  cacheReadPerMTok: z.number().nonnegative(),
  cacheWritePerMTok: z.number().nonnegative(),
});
export type Pricing = z.infer<typeof PricingSchema>;

export const Day = z.string().regex(/^\d{4}-\d{2}-\d{2}$/, "a date as YYYY-MM-DD");

/** `output_config.effort`, lowest first: how much the model spends on a response. */
export const EFFORTS = ["low", "medium", "high", "xhigh", "max"] as const;
export const EffortSchema = z.enum(EFFORTS);
export type Effort = z.infer<typeof EffortSchema>;

/**
 * How a model thinks: `budget` (extended thinking with budget_tokens; off unless asked), `adaptive` (the
 * model decides how much; effort steers it; it can be turned off), `always` (adaptive and never off: an
 * explicit `disabled` is a 400).
 */
export const ThinkingModeSchema = z.enum(["budget", "adaptive", "always"]);
export type ThinkingMode = z.infer<typeof ThinkingModeSchema>;

/** The API's `thinking.type` values (the SDK's `ThinkingTypes`). */
export const ThinkingTypeSchema = z.enum(["enabled", "adaptive", "disabled", "between_tools"]);
export type ThinkingType = z.infer<typeof ThinkingTypeSchema>;

export const ThinkingCapabilitySchema = z.object({
  mode: ThinkingModeSchema,
  /** Whether the model thinks when a request leaves `thinking` out. */
  onByDefault: z.boolean(),
  /** The `thinking.type` values the model accepts; any other is a 400. */
  accepts: z.array(ThinkingTypeSchema).readonly(),
  /** The highest effort the model takes with thinking off; null: every effort it takes. */
  offMaxEffort: EffortSchema.nullable(),
});
export type ThinkingCapability = z.infer<typeof ThinkingCapabilitySchema>;

export const EffortCapabilitySchema = z.object({
  /** The levels the model takes, lowest first; empty: the model refuses `output_config.effort`. */
  levels: z.array(EffortSchema).readonly(),
  /** The level the model uses when a request names none; null where it takes no effort. */
  default: EffortSchema.nullable(),
});
export type EffortCapability = z.infer<typeof EffortCapabilitySchema>;

/**
 * Sampling parameters (temperature, top_p, top_k) under API version 2023-06-01: `accepted`, or
 * `default-only` (a non-default value is a 400). Under 2026-10-21, the version the SDK sends, none are taken.
 */
export const SamplingSchema = z.enum(["accepted", "default-only"]);

/** A built-in entry before the ids are known (./model-catalog.ts is checked against it). */
export interface BuiltInEntry {
  label: string;
  contextWindow: number;
  maxOutputTokens: number;
  pricing: Pricing;
  thinking: ThinkingCapability;
  effort: EffortCapability;
  sampling: z.infer<typeof SamplingSchema>;
  endOfLife: string | null;
  successor: string | null;
}
