/** The model catalog as the server answers it (GET /api/models), loaded once a page, and how the forms name a model. */
import { api, type ModelView } from "./api";

let loading: Promise<ModelView[]> | null = null;

/** The catalog, fetched once; a failed fetch is tried again next time. */
export function loadModels(): Promise<ModelView[]> {
  loading ??= api.models().then(
    ({ models }) => models,
    (err: unknown) => {
      loading = null;
      throw err;
    },
  );
  return loading;
}

/** Forgets the loaded catalog (tests). */
export function resetModels(): void {
  loading = null;
}

/** An option's text: the label, whether it is the default, and its end of life. */
export function modelOptionText(model: ModelView): string {
  const parts = [model.label];
  if (model.default) parts.push("default");
  if (model.retired)
    parts.push(`retired ${model.endOfLife}${model.successor ? `, use ${model.successor}` : ""}`);
  else if (model.endOfLife) parts.push(`end of life ${model.endOfLife}`);
  return parts.join(" · ");
}

const THINKING_TEXT = {
  budget: "extended thinking with a budget",
  adaptive: "adaptive thinking, can be off",
  always: "always thinks (adaptive)",
} as const;

const tokens = (n: number) => (n >= 1_000_000 ? `${n / 1_000_000}M` : `${Math.round(n / 1000)}K`);

/** What a model can do, in one line: thinking, effort, limits and prices. */
export function capabilityText(model: ModelView): string {
  const { levels, default: standard } = model.effort;
  const effort =
    levels.length === 0 ? "no effort setting" : `effort ${levels.join(", ")} (default ${standard})`;
  const price = `$${model.pricing.inputPerMTok} / $${model.pricing.outputPerMTok} per million tokens`;
  return [
    THINKING_TEXT[model.thinking.mode],
    effort,
    `${tokens(model.contextWindow)} context`,
    `${tokens(model.maxOutputTokens)} output`,
    price,
  ].join(" · ");
}

/** The catalog entry a form's model names ("": the default), or undefined while the catalog cannot be had. */
export async function chosenModel(id: string): Promise<ModelView | undefined> {
  const models = await loadModels().catch(() => [] as ModelView[]);
  return models.find((m) => (id === "" ? m.default : m.id === id));
}
