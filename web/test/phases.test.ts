import { describe, expect, it } from "vitest";
import {
  age,
  allowed,
  composerHint,
  formatDuration,
  remainingSeconds,
  STATUS_LABEL,
  statusOf,
} from "#lib/phases.ts";

describe("phases", () => {
  it("offers each operation in the phases SPEC §3/§5 allow", () => {
    expect(allowed("stop", "Running", "editor")).toBe(true);
    // Stop reaches a setup that runs in Creating (issue 23).
    expect(allowed("stop", "Creating", "owner")).toBe(true);
    expect(allowed("stop", "Pending", "owner")).toBe(false);
    expect(allowed("stop", "Stopped", "owner")).toBe(false);
    expect(allowed("resume", "Stopped", "editor")).toBe(true);
    expect(allowed("resume", "Failed", "editor")).toBe(true);
    expect(allowed("resume", "Completed", "editor")).toBe(true);
    expect(allowed("resume", "Running", "editor")).toBe(false);
    expect(allowed("clone", "Completed", "editor")).toBe(true);
    expect(allowed("delete", "Running", "owner")).toBe(true);
    expect(allowed("edit", "Running", "owner")).toBe(false);
    expect(allowed("edit", "Pending", "owner")).toBe(true);
    expect(allowed("chat", "Creating", "editor")).toBe(true);
    expect(allowed("delete", "Failed", "owner")).toBe(true);
    expect(allowed("chat", "Running", "editor")).toBe(true);
    expect(allowed("chat", "Stopped", "editor")).toBe(false);
  });

  it("offers viewers nothing", () => {
    for (const op of ["stop", "resume", "clone", "delete", "edit", "chat"] as const) {
      expect(allowed(op, "Running", "viewer")).toBe(false);
      expect(allowed(op, "Stopped", "viewer")).toBe(false);
    }
  });

  it("counts the timeout budget down while active", () => {
    expect(remainingSeconds(300, 100, null, 0)).toBe(200);
    expect(remainingSeconds(300, 100, 1_000, 31_000)).toBe(170);
    expect(remainingSeconds(300, 290, 0, 60_000)).toBe(0);
  });

  it("formats durations and ages", () => {
    expect(formatDuration(65)).toBe("1:05");
    expect(formatDuration(3725)).toBe("1h 02m");
    const now = Date.parse("2026-01-01T12:00:00Z");
    expect(age("2026-01-01T11:59:30Z", now)).toBe("just now");
    expect(age("2026-01-01T11:55:00Z", now)).toBe("5 min ago");
    expect(age("2025-12-30T12:00:00Z", now)).toBe("2 d ago");
    expect(age(now - 3 * 3600_000, now)).toBe("3 h ago");
  });

  it("says why the composer waits: approval, a starting agent, or a finished session", () => {
    expect(composerHint("Pending", "idle", true)).toMatch(/waits for an owner or editor to approve it/);
    expect(composerHint("Pending", "idle", false)).toMatch(/agent is starting/);
    expect(composerHint("Creating", "idle", false)).toMatch(/agent is starting/);
    expect(composerHint("Completed", "idle", false)).toMatch(/Completed: resume it/);
    expect(composerHint("Failed", "idle", false)).toMatch(/resume it to try again/);
    expect(composerHint("Running", "working", false)).toMatch(/after its current step/);
    expect(composerHint("Running", "waiting_input", false)).toMatch(/question/);
  });

  it("reduces a phase and the agent's status to one chip: Working, Waiting for you, Idle or Ended", () => {
    const chip = (...args: Parameters<typeof statusOf>) => STATUS_LABEL[statusOf(...args)];
    expect(chip("Running", "working")).toBe("Working");
    expect(chip("Running", "waiting_input")).toBe("Waiting for you");
    expect(chip("Running", "idle")).toBe("Idle");
    expect(chip("Running", null)).toBe("Idle");
    expect(chip("Pending", null)).toBe("Working");
    expect(chip("Pending", null, true)).toBe("Waiting for you");
    expect(chip("Creating", null)).toBe("Working");
    expect(chip("Stopping", "working")).toBe("Working");
    for (const phase of ["Stopped", "Completed", "Failed"] as const) {
      expect(chip(phase, "working")).toBe("Ended");
    }
  });
});
