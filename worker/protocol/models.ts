/**
 * The model catalog as data: every model a session may run, with its context window,
 * output limit, prices, end of life, successor and capabilities (how it thinks, which efforts it takes).
 * The facts, each with its source, are in ./model-catalog.ts. No Worker-runtime imports: web/, the agent and
 * the model gateway import it; the settings a model takes are checked in ./model-settings.ts.
 */
import { z } from "zod";
import { BUILT_IN } from "./model-catalog";
import {
  Day,
  EffortCapabilitySchema,
  PricingSchema,
  SamplingSchema,
  ThinkingCapabilitySchema,
  type Pricing,
} from "./model-capabilities";

export * from "./model-capabilities";

export type ModelId = keyof typeof BUILT_IN;
export const MODEL_IDS = Object.keys(BUILT_IN) as [ModelId, ...ModelId[]];
export const ModelIdSchema = z.enum(MODEL_IDS, { error: `model must be one of ${MODEL_IDS.join(", ")}` });

export const ModelEntrySchema = z.object({
  id: ModelIdSchema,
  label: z.string().min(1).max(100),
  contextWindow: z.int().positive(),
  maxOutputTokens: z.int().positive(),
  pricing: PricingSchema,
  thinking: ThinkingCapabilitySchema,
  effort: EffortCapabilitySchema,
  sampling: SamplingSchema,
  /** The last day the model answers; from the next day on it is retired. */
  endOfLife: Day.nullable(),
  successor: ModelIdSchema.nullable(),
});
export type ModelEntry = z.infer<typeof ModelEntrySchema>;
export type Catalog = readonly ModelEntry[];

export const CATALOG: Catalog = MODEL_IDS.map((id) => ModelEntrySchema.parse({ id, ...BUILT_IN[id] }));

/** The labels the UI and exports show, by id. */
export const MODEL_LABELS = Object.fromEntries(MODEL_IDS.map((id) => [id, BUILT_IN[id].label])) as Record<
  ModelId,
  string
>;

/**
 * A deployment's changes to the catalog (the wrangler var MODEL_CATALOG, a JSON object): per known id, the
 * fields to replace. Only known ids: the agent, the schemas and the web app know no others.
 */
export const CatalogOverrideSchema = z.partialRecord(
  ModelIdSchema,
  ModelEntrySchema.omit({ id: true, pricing: true })
    .extend({ pricing: PricingSchema.partial().strict() })
    .partial()
    .strict(),
);
export type CatalogOverride = z.infer<typeof CatalogOverrideSchema>;

export function withOverride(catalog: Catalog, override: CatalogOverride): Catalog {
  return catalog.map((entry) => ({
    ...entry,
    ...override[entry.id],
    pricing: { ...entry.pricing, ...override[entry.id]?.pricing },
  }));
}

/** The day (UTC) a time falls on, as YYYY-MM-DD. */
export const dayOf = (now: number) => new Date(now).toISOString().slice(0, 10);

/** Retired: past its last day. The end-of-life day itself still answers. */
export const isRetired = (entry: ModelEntry, now: number) =>
  entry.endOfLife !== null && dayOf(now) > entry.endOfLife;

export function entryOf(catalog: Catalog, id: ModelId): ModelEntry {
  return catalog.find((entry) => entry.id === id) ?? CATALOG.find((entry) => entry.id === id)!;
}

/** The entry itself while live, else its successors followed while they are retired too (the last one reached). */
function followSuccessors(catalog: Catalog, entry: ModelEntry, now: number): ModelEntry {
  const seen = new Set<ModelId>();
  while (isRetired(entry, now) && entry.successor && !seen.has(entry.id)) {
    seen.add(entry.id);
    entry = entryOf(catalog, entry.successor);
  }
  return entry;
}

/**
 * The default model: the first of the catalog's order of preference or, once it is retired, its live
 * successor (Sonnet 4.5 → Sonnet 4.6 after 2026-11-30), never merely the next model of the list;
 * the first live one only when the successors run out.
 */
export function defaultModel(catalog: Catalog, now: number): ModelEntry {
  const first = catalog[0];
  if (!first) throw new Error("the catalog is empty");
  const successor = followSuccessors(catalog, first, now);
  if (!isRetired(successor, now)) return successor;
  const live = catalog.find((candidate) => !isRetired(candidate, now));
  if (!live) throw new Error("every model in the catalog is retired");
  return live;
}

/** The model to move to from a retired one: its successor, followed while that is retired too, else the default. */
export function liveSuccessor(catalog: Catalog, id: ModelId, now: number): ModelEntry {
  const entry = followSuccessors(catalog, entryOf(catalog, id), now);
  return isRetired(entry, now) ? defaultModel(catalog, now) : entry;
}

/** What GET /api/models answers. */
export const ModelViewSchema = ModelEntrySchema.extend({ default: z.boolean(), retired: z.boolean() });
export type ModelView = z.infer<typeof ModelViewSchema>;

export function modelViews(catalog: Catalog, now: number): ModelView[] {
  const fallback = defaultModel(catalog, now).id;
  return catalog.map((entry) => ({
    ...entry,
    default: entry.id === fallback,
    retired: isRetired(entry, now),
  }));
}

/** Cost in US dollars of some usage at a model's prices. */
export function costUsd(
  pricing: Pricing,
  usage: { inputTokens: number; outputTokens: number; cacheReadTokens: number; cacheWriteTokens: number },
): number {
  const perToken =
    usage.inputTokens * pricing.inputPerMTok +
    usage.outputTokens * pricing.outputPerMTok +
    usage.cacheReadTokens * pricing.cacheReadPerMTok +
    usage.cacheWriteTokens * pricing.cacheWritePerMTok;
  return perToken / 1_000_000;
}
