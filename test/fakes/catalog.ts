/**
 * Models for tests, chosen from the catalog by what they can do, never by name: a named model retires and
 * its tests would start failing for no fault of the code (README: no test hard-codes a model that can retire).
 */
import {
  CATALOG,
  isRetired,
  type Catalog,
  type ModelEntry,
  type ThinkingMode,
} from "@tandem/protocol/models";

/** Every live model of the catalog (a deployment's, where the test runs with one). */
export const liveModels = (catalog: Catalog = CATALOG, now = Date.now()) =>
  catalog.filter((entry) => !isRetired(entry, now));

/** The first live model that satisfies `test`, one with no end of life ahead when there is one. */
export function liveModel(
  test: (entry: ModelEntry) => boolean,
  catalog: Catalog = CATALOG,
  now = Date.now(),
): ModelEntry {
  const fits = liveModels(catalog, now).filter(test);
  const entry = fits.find((candidate) => candidate.endOfLife === null) ?? fits[0];
  if (!entry) throw new Error("no live model of the catalog has the capability this test needs");
  return entry;
}

/** A live model that thinks in this mode (a budget, adaptive, or always). */
export const liveModelThinking = (mode: ThinkingMode, catalog: Catalog = CATALOG) =>
  liveModel((entry) => entry.thinking.mode === mode, catalog);
