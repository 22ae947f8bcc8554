/**
 * The model catalog as data: every model a session may run, with its context window,
 * output limit, prices, end of life and successor. No Worker-runtime imports: web/ and the agent import it.
 *
 * Sources, per fact:
 * - ids: the installed SDK's `Model` type (node_modules/@anthropic-ai/sdk/resources/messages/messages.d.ts,
 *   @anthropic-ai/sdk 1.14.0).
 * - end of life: the SDK's deprecation table (node_modules/@anthropic-ai/sdk/internal/data/deprecated-models.js:
 *   claude-sonnet-4-5 "November 30th, 2026", claude-opus-4-5 "January 22nd, 2027"); a model not in it is live.
 * - context window, max output and prices (per million tokens; cache write is the 5-minute write): each
 *   model's page on platform.claude.com/docs/en/models/<model>/overview.
 */
import { z } from "zod";

export const PricingSchema = z.object({
  inputPerMTok: z.number().nonnegative(),
  outputPerMTok: z.number().nonnegative(),
  cacheReadPerMTok: z.number().nonnegative(),
  cacheWritePerMTok: z.number().nonnegative(),
});
export type Pricing = z.infer<typeof PricingSchema>;

const Day = z.string().regex(/^\d{4}-\d{2}-\d{2}$/, "a date as YYYY-MM-DD");

/**
 * The built-in catalog, in the seed's order of preference (the first four are the seed's; the default is
 * the first live one). A model added later goes after them, so a new model never becomes the default by
 * accident.
 */
const BUILT_IN = {
  // platform.claude.com/docs/en/models/sonnet-4-5/overview: 200K context, 64K output, $3 / $15, cache $0.30 / $3.75.
  "claude-sonnet-4-5": {
    label: "Claude Sonnet 4.5",
    contextWindow: 200_000,
    maxOutputTokens: 64_000,
    pricing: { inputPerMTok: 3, outputPerMTok: 15, cacheReadPerMTok: 0.3, cacheWritePerMTok: 3.75 },
    endOfLife: "2026-11-30", // SDK deprecation table
    successor: "claude-sonnet-4-6",
  },
  // platform.claude.com/docs/en/models/opus-4-6/overview: 1M context, 128K output, $5 / $25, cache $0.50 / $6.25.
  "claude-opus-4-6": {
    label: "Claude Opus 4.6",
    contextWindow: 1_000_000,
    maxOutputTokens: 128_000,
    pricing: { inputPerMTok: 5, outputPerMTok: 25, cacheReadPerMTok: 0.5, cacheWritePerMTok: 6.25 },
    endOfLife: null, // not in the SDK deprecation table
    successor: null,
  },
  // platform.claude.com/docs/en/models/opus-4-5/overview: 200K context, 64K output, $5 / $25, cache $0.50 / $6.25.
  "claude-opus-4-5": {
    label: "Claude Opus 4.5",
    contextWindow: 200_000,
    maxOutputTokens: 64_000,
    pricing: { inputPerMTok: 5, outputPerMTok: 25, cacheReadPerMTok: 0.5, cacheWritePerMTok: 6.25 },
    endOfLife: "2027-01-22", // SDK deprecation table
    successor: "claude-opus-4-6",
  },
  // platform.claude.com/docs/en/models/haiku-4-5/overview: 200K context, 64K output, $1 / $5, cache $0.10 / $1.25.
  "claude-haiku-4-5": {
    label: "Claude Haiku 4.5",
    contextWindow: 200_000,
    maxOutputTokens: 64_000,
    pricing: { inputPerMTok: 1, outputPerMTok: 5, cacheReadPerMTok: 0.1, cacheWritePerMTok: 1.25 },
    endOfLife: null, // not in the SDK deprecation table
    successor: null,
  },
  // Added as Sonnet 4.5's successor (named by the SDK's Model type, not in its deprecation table).
  // platform.claude.com/docs/en/models/sonnet-4-6/overview: 1M context, 128K output, $3 / $15, cache $0.30 / $3.75.
  "claude-sonnet-4-6": {
    label: "Claude Sonnet 4.6",
    contextWindow: 1_000_000,
    maxOutputTokens: 128_000,
    pricing: { inputPerMTok: 3, outputPerMTok: 15, cacheReadPerMTok: 0.3, cacheWritePerMTok: 3.75 },
    endOfLife: null,
    successor: null,
  },
} as const satisfies Record<string, { label: string; contextWindow: number; maxOutputTokens: number; pricing: Pricing; endOfLife: string | null; successor: string | null }>;

export type ModelId = keyof typeof BUILT_IN;
export const MODEL_IDS = Object.keys(BUILT_IN) as [ModelId, ...ModelId[]];
export const ModelIdSchema = z.enum(MODEL_IDS, { error: `model must be one of ${MODEL_IDS.join(", ")}` });

export const ModelEntrySchema = z.object({
  id: ModelIdSchema,
  label: z.string().min(1).max(100),
  contextWindow: z.int().positive(),
  maxOutputTokens: z.int().positive(),
  pricing: PricingSchema,
  /** The last day the model answers; from the next day on it is retired. */
  endOfLife: Day.nullable(),
  successor: ModelIdSchema.nullable(),
});
export type ModelEntry = z.infer<typeof ModelEntrySchema>;
export type Catalog = readonly ModelEntry[];

export const CATALOG: Catalog = MODEL_IDS.map((id) => ({ id, ...BUILT_IN[id] }));

/** The labels the UI and exports show, by id. */
export const MODEL_LABELS = Object.fromEntries(MODEL_IDS.map((id) => [id, BUILT_IN[id].label])) as Record<ModelId, string>;

/**
 * A deployment's changes to the catalog (the wrangler var MODEL_CATALOG, a JSON object): per known id, the
 * fields to replace. Only known ids: the agent, the schemas and the web app know no others.
 */
export const CatalogOverrideSchema = z.partialRecord(
  ModelIdSchema,
  ModelEntrySchema.omit({ id: true, pricing: true }).extend({ pricing: PricingSchema.partial().strict() }).partial().strict(),
);
export type CatalogOverride = z.infer<typeof CatalogOverrideSchema>;

export function withOverride(catalog: Catalog, override: CatalogOverride): Catalog {
  return catalog.map((entry) => ({ ...entry, ...override[entry.id], pricing: { ...entry.pricing, ...override[entry.id]?.pricing } }));
}

/** The day (UTC) a time falls on, as YYYY-MM-DD. */
export const dayOf = (now: number) => new Date(now).toISOString().slice(0, 10);

/** Retired: past its last day. The end-of-life day itself still answers. */
export const isRetired = (entry: ModelEntry, now: number) => entry.endOfLife !== null && dayOf(now) > entry.endOfLife;

export function entryOf(catalog: Catalog, id: ModelId): ModelEntry {
  return catalog.find((entry) => entry.id === id) ?? CATALOG.find((entry) => entry.id === id)!;
}

/** The default model: the first live one in the catalog's order of preference. */
export function defaultModel(catalog: Catalog, now: number): ModelEntry {
  const live = catalog.find((entry) => !isRetired(entry, now));
  if (!live) throw new Error("every model in the catalog is retired");
  return live;
}

/** The model to move to from a retired one: its successor, followed while that is retired too, else the default. */
export function liveSuccessor(catalog: Catalog, id: ModelId, now: number): ModelEntry {
  const seen = new Set<ModelId>();
  let entry = entryOf(catalog, id);
  while (isRetired(entry, now) && entry.successor && !seen.has(entry.id)) {
    seen.add(entry.id);
    entry = entryOf(catalog, entry.successor);
  }
  return isRetired(entry, now) ? defaultModel(catalog, now) : entry;
}

/** What GET /api/models answers. */
export const ModelViewSchema = ModelEntrySchema.extend({ default: z.boolean(), retired: z.boolean() });
export type ModelView = z.infer<typeof ModelViewSchema>;

export function modelViews(catalog: Catalog, now: number): ModelView[] {
  const fallback = defaultModel(catalog, now).id;
  return catalog.map((entry) => ({ ...entry, default: entry.id === fallback, retired: isRetired(entry, now) }));
}

/** Cost in US dollars of some usage at a model's prices. */
export function costUsd(pricing: Pricing, usage: { inputTokens: number; outputTokens: number; cacheReadTokens: number; cacheWriteTokens: number }): number {
  const perToken =
    usage.inputTokens * pricing.inputPerMTok +
    usage.outputTokens * pricing.outputPerMTok +
    usage.cacheReadTokens * pricing.cacheReadPerMTok +
    usage.cacheWriteTokens * pricing.cacheWritePerMTok;
  return perToken / 1_000_000;
}
