import { describe, expect, it } from "vitest";
import { dateOnly, dateTime, duration, timeAgo } from "#lib/time.ts";

const at = (s: string) => new Date(s).getTime();

describe("timeAgo", () => {
  const now = at("2026-12-06T15:00:00");
  it("says how long ago in the list's words", () => {
    expect(timeAgo(now - 20_000, now)).toBe("just now");
    expect(timeAgo(now - 3 * 60_000, now)).toBe("3 min ago");
    expect(timeAgo(now - 2 * 3_600_000, now)).toBe("2 h ago");
    expect(timeAgo(at("2026-12-05T23:30:00"), now)).toBe("yesterday");
    expect(timeAgo(at("2026-12-03T09:00:00"), now)).toBe("3 days ago");
  });
  it("a week and more is a date; the future (a skewed clock) is just now", () => {
    expect(timeAgo(at("2026-11-01T09:00:00"), now)).toBe(dateOnly(at("2026-11-01T09:00:00")));
    expect(timeAgo(now + 60_000, now)).toBe("just now");
  });
});

describe("duration", () => {
  it("a countdown's shape below an hour, hours and minutes above", () => {
    expect(duration(889)).toBe("14:49");
    expect(duration(5)).toBe("0:05");
    expect(duration(3720)).toBe("1 h 2 min");
    expect(duration(7200)).toBe("2 h");
  });
});

describe("dateTime", () => {
  it("one absolute format with the minute", () => {
    expect(dateTime(at("2026-12-06T14:05:00"))).toMatch(/2026.*14:05|2026.*2:05/);
    expect(dateTime(Number.NaN)).toBe("");
  });
});
