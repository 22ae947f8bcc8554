import { describe, expect, it } from "vitest";
import { currentPage, visiblePages } from "#lib/components/ui/workspace-pages.ts";

describe("the workspace navigation", () => {
  it("marks the page a path is on, and none on a session's page", () => {
    expect(currentPage("/w/w1", "w1")).toBe("");
    expect(currentPage("/w/w1/members", "w1")).toBe("members");
    expect(currentPage("/w/w1/schedules/", "w1")).toBe("schedules");
    expect(currentPage("/w/w1/s/abc", "w1")).toBeNull();
    expect(currentPage("/w/w2/members", "w1")).toBeNull();
  });

  it("shows each role the pages it can use", () => {
    const labels = (role: Parameters<typeof visiblePages>[0]) => visiblePages(role).map((p) => p.label);
    expect(labels("owner")).toContain("Secrets");
    expect(labels("editor")).not.toContain("Secrets");
    expect(labels("editor")).toContain("Environment");
    expect(labels("viewer")).not.toContain("Environment");
    expect(labels(undefined)).toContain("Sessions");
  });
});
