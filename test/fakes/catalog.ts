/**
 * Models for tests, chosen from the catalog by what they can do, never by name: a named model retires and
 * its tests would start failing for no fault of the code (README: no test hard-codes a model that can retire).
 */
import { CATALOG, isRetired, type ModelEntry, type ThinkingMode } from "../../worker/protocol/models";

/** The first live model of the catalog that satisfies `test`, one with no end of life ahead when there is one. */
export function liveModel(test: (entry: ModelEntry) => boolean, now = Date.now()): ModelEntry {
  const fits = CATALOG.filter((candidate) => !isRetired(candidate, now) && test(candidate));
  const entry = fits.find((candidate) => candidate.endOfLife === null) ?? fits[0];
  if (!entry) throw new Error("no live model of the catalog has the capability this test needs");
  return entry;
}

/** A live model that thinks in this mode (a budget, adaptive, or always). */
export const liveModelThinking = (mode: ThinkingMode, now = Date.now()) => liveModel((entry) => entry.thinking.mode === mode, now);

/** Every live model of the catalog. */
export const liveModels = (now = Date.now()) => CATALOG.filter((entry) => !isRetired(entry, now));
