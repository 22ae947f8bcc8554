import { describe, expect, it } from "vitest";
import { secretNameError, WELL_KNOWN_SECRETS } from "#lib/secret-name.ts";

describe("secret names", () => {
  it("are environment variable names", () => {
    for (const name of [...WELL_KNOWN_SECRETS, "_X", "a1"]) expect(secretNameError(name)).toBe("");
    for (const name of ["", "1ABC", "MY-KEY", "A B", "X".repeat(129)])
      expect(secretNameError(name)).not.toBe("");
  });
});
