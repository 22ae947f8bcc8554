import { describe, expect, it } from "vitest";
import { triggerOrigin } from "#lib/origin.ts";

describe("triggerOrigin", () => {
  it("names the trigger and the delivery", () => {
    expect(
      triggerOrigin({ kind: "trigger", triggerId: "t1", triggerName: "new issues", deliveryId: "d-42" }),
    ).toBe("trigger new issues (delivery d-42)");
  });

  it("leaves out what is missing, and says nothing for a person", () => {
    expect(
      triggerOrigin({ kind: "trigger", triggerId: "t1", triggerName: "nightly", deliveryId: null }),
    ).toBe("trigger nightly");
    expect(triggerOrigin({ kind: "person" })).toBeNull();
    expect(triggerOrigin(undefined)).toBeNull();
  });

  it("names the schedule a session was started by", () => {
    expect(triggerOrigin({ kind: "schedule", scheduleId: "s1", scheduleName: "nightly report" })).toBe(
      "schedule nightly report",
    );
  });
});
