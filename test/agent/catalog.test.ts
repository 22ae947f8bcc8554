/**
 * The catalog against the installed SDK, so an SDK update that names a new model or a new end of life fails
 * here until the catalog says so, and the capability facts hold together.
 */
import { readFile } from "node:fs/promises";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { describe, expect, it } from "vitest";
import { CATALOG, EFFORTS, isRetired } from "@tandem/protocol/models";

const require = createRequire(import.meta.url);
// The package's exports do not name its data files: they are read from its folder.
const sdk = dirname(require.resolve("@anthropic-ai/sdk"));
const { DEPRECATED_MODELS } = require(join(sdk, "internal/data/deprecated-models.js")) as {
  DEPRECATED_MODELS: Record<string, string>;
};

/** "November 30th, 2026" → "2026-11-30". */
function day(text: string): string {
  const parsed = new Date(text.replace(/(\d+)(st|nd|rd|th)/, "$1") + " UTC");
  return parsed.toISOString().slice(0, 10);
}

/** The ids of the SDK's `Model` type, without dated snapshots (`-YYYYMMDD`). */
async function sdkModelIds(): Promise<string[]> {
  const types = await readFile(join(sdk, "resources/messages/messages.d.ts"), "utf8");
  const union = /export type Model = ([^;]+);/.exec(types)?.[1] ?? "";
  return [...union.matchAll(/'([^']+)'/g)].map((m) => m[1]).filter((id) => !/-\d{8}$/.test(id));
}

describe("the catalog and the installed SDK", () => {
  it("has an entry for every model the SDK names that is live, and the SDK's end-of-life dates", async () => {
    const ids = CATALOG.map((m) => m.id as string);
    const named = await sdkModelIds();
    expect(named.length).toBeGreaterThan(10);
    for (const id of named) {
      const endOfLife = DEPRECATED_MODELS[id] ? day(DEPRECATED_MODELS[id]) : null;
      const retired = endOfLife !== null && endOfLife < new Date().toISOString().slice(0, 10);
      if (retired) continue;
      expect(ids, `the SDK names ${id}`).toContain(id);
    }
    for (const entry of CATALOG) {
      const listed = DEPRECATED_MODELS[entry.id];
      expect(entry.endOfLife, entry.id).toBe(listed ? day(listed) : null);
    }
  });

  it("states capabilities that hold together", () => {
    for (const entry of CATALOG) {
      const { mode, onByDefault, accepts, offMaxEffort } = entry.thinking;
      expect(accepts.includes("adaptive"), entry.id).toBe(mode !== "budget");
      if (mode === "budget") expect(accepts, entry.id).toContain("enabled");
      if (mode === "always")
        expect(
          onByDefault && !accepts.includes("disabled") && !accepts.includes("between_tools"),
          entry.id,
        ).toBe(true);
      // A model that thinks by default and is not always on must take some way to turn it off.
      if (mode === "adaptive" && onByDefault)
        expect(accepts.includes("disabled") || accepts.includes("between_tools"), entry.id).toBe(true);
      if (offMaxEffort !== null) expect(onByDefault, entry.id).toBe(true);
      const { levels, default: standard } = entry.effort;
      expect([...levels], entry.id).toEqual(EFFORTS.filter((e) => levels.includes(e)));
      expect(standard === null ? levels.length === 0 : levels.includes(standard), entry.id).toBe(true);
      if (entry.successor)
        expect(
          isRetired(
            CATALOG.find((m) => m.id === entry.successor)!,
            Date.now(),
          ),
          `${entry.id}'s successor`,
        ).toBe(false);
    }
  });
});
