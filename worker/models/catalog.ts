/**
 * The catalog a deployment runs with: the built-in one (worker/protocol/models.ts) with the optional
 * wrangler var MODEL_CATALOG applied. A var rather than a D1 table: end-of-life dates and prices are an
 * operator's facts that change with a deploy (`wrangler deploy --var`), the same for every workspace; a var
 * costs no query on every create, and a bad one is refused before it can be served (deploy:check and the
 * tests parse it).
 */
import { HttpError } from "../http/errors";
import {
  CATALOG,
  CatalogOverrideSchema,
  defaultModel,
  isRetired,
  entryOf,
  liveSuccessor,
  withOverride,
  type Catalog,
  type Effort,
  type ModelEntry,
  type ModelId,
} from "../protocol/models";
import { defaultThinking, settingsProblems } from "../protocol/model-settings";

const parsed = new Map<string, Catalog>();

/** The catalog with the deployment's override; a malformed override is an operator error, said once per text and ignored. */
export function catalogOf(env: { MODEL_CATALOG?: string }): Catalog {
  const text = env.MODEL_CATALOG?.trim() ?? "";
  if (!text) return CATALOG;
  const known = parsed.get(text);
  if (known) return known;
  let catalog = CATALOG;
  try {
    const override = CatalogOverrideSchema.safeParse(JSON.parse(text));
    if (override.success) catalog = withOverride(CATALOG, override.data);
    else console.error("MODEL_CATALOG ignored:", override.error.issues[0]?.message);
  } catch {
    console.error("MODEL_CATALOG ignored: not JSON");
  }
  parsed.set(text, catalog);
  return catalog;
}

/** The model, if it is live at `now`; a retired one is a 400 `model_retired` naming the model to move to. */
export function requireLiveModel(catalog: Catalog, id: ModelId, now: number): ModelEntry {
  const entry = entryOf(catalog, id);
  if (!isRetired(entry, now)) return entry;
  const successor = liveSuccessor(catalog, id, now);
  return retired(entry, successor);
}

function retired(entry: ModelEntry, successor: ModelEntry): never {
  throw new HttpError(
    "model_retired",
    `${entry.label} (${entry.id}) reached its end of life on ${entry.endOfLife}; use ${successor.label} (${successor.id}) instead`,
    { field: "model", successor: successor.id },
  );
}

/** A session's model-dependent settings as a body names them: thinking and effort may be left out. */
export interface RequestedSettings {
  thinking?: boolean;
  effort?: Effort | null;
  maxTokens: number;
}

/**
 * The settings resolved for the model (thinking unset: on where the model always thinks; effort unset: the
 * model's default) and checked: one the model cannot take is a 400 naming its field, under `prefix` for a
 * body inside another (a trigger's or schedule's `session.`).
 */
export function requireModelSettings(
  entry: ModelEntry,
  requested: RequestedSettings,
  prefix = "",
): { thinking: boolean; effort: Effort | null } {
  const settings = {
    thinking: requested.thinking ?? defaultThinking(entry),
    effort: requested.effort ?? null,
    maxTokens: requested.maxTokens,
  };
  const [problem] = settingsProblems(entry, settings);
  if (problem)
    throw new HttpError("invalid_input", `${prefix}${problem.field}: ${problem.message}`, {
      field: `${prefix}${problem.field}`,
    });
  return { thinking: settings.thinking, effort: settings.effort };
}

/**
 * A trigger's or schedule's session body, checked when it is saved against its model (or the default it
 * would start with now): a setting the model cannot take is a 400 naming `session.<field>`. Each run is
 * checked again when its session is created.
 */
export function requireTemplateSettings(
  env: { MODEL_CATALOG?: string },
  body: RequestedSettings & { model?: ModelId },
  now: number,
): void {
  const catalog = catalogOf(env);
  requireModelSettings(
    body.model ? entryOf(catalog, body.model) : defaultModel(catalog, now),
    body,
    "session.",
  );
}
