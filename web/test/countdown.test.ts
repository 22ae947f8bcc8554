import { describe, expect, it } from "vitest";
import { countdownAlert } from "#lib/countdown.ts";

describe("countdownAlert", () => {
  it("says nothing while the budget ticks between marks", () => {
    expect(countdownAlert(null, 889)).toBeNull();
    for (let s = 889; s > 301; s--) expect(countdownAlert(s, s - 1)).toBeNull();
    for (let s = 299; s > 61; s--) expect(countdownAlert(s, s - 1)).toBeNull();
    expect(countdownAlert(30, 29)).toBeNull();
  });

  it("announces 5 minutes and 1 minute left once, also when a tick jumps past the mark", () => {
    expect(countdownAlert(301, 300)).toBe("5 minutes left of this session's time budget.");
    expect(countdownAlert(320, 250)).toBe("5 minutes left of this session's time budget.");
    expect(countdownAlert(300, 299)).toBeNull();
    expect(countdownAlert(61, 60)).toBe("1 minute left of this session's time budget.");
    expect(countdownAlert(60, 59)).toBeNull();
  });
});
