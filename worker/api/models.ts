import { newApp } from "../http/app";
import { catalogOf } from "../models/catalog";
import { modelViews } from "../protocol/models";

/** GET /api/models (signed in): the catalog, with the default and each model's end of life. */
export const modelRoutes = newApp().get("/", (c) =>
  c.json({ models: modelViews(catalogOf(c.env), Date.now()) }),
);
