import { describe, expect, it } from "vitest";
import { cronInWords } from "#lib/components/schedules/cron-words.ts";

describe("cronInWords", () => {
  it("says a schedule's cron in words, in 24-hour time", () => {
    expect(cronInWords("0 9 * * 1-5")).toBe("At 09:00, Monday through Friday");
    expect(cronInWords("*/15 * * * *")).toBe("Every 15 minutes");
  });
  it("says nothing for a cron it cannot read (the API names the problem)", () => {
    expect(cronInWords("")).toBe("");
    expect(cronInWords("not a cron")).toBe("");
  });
});
