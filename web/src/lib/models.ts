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
  if (model.retired) parts.push(`retired ${model.endOfLife}${model.successor ? `, use ${model.successor}` : ""}`);
  else if (model.endOfLife) parts.push(`end of life ${model.endOfLife}`);
  return parts.join(" · ");
}
