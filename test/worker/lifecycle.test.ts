import { describe, expect, it } from "vitest";
import {
  ACTIVE_PHASES,
  LIFECYCLE_EVENTS,
  PHASES,
  transition,
  type LifecycleEvent,
  type Phase,
} from "@tandem/protocol/lifecycle";

// SPEC §3, written out independently of the implementation's table: every pair not listed is refused.
const ALLOWED: [Phase, LifecycleEvent, Phase][] = [
  ["Pending", "provision", "Creating"],
  ["Pending", "fail", "Failed"],
  ["Pending", "agent_lost", "Failed"],
  ["Creating", "ready", "Running"],
  // Stop during the setup (issue 23): its process tree is killed within 2 s, like a tool's.
  ["Creating", "stop", "Stopping"],
  ["Creating", "fail", "Failed"],
  ["Creating", "agent_lost", "Failed"],
  ["Running", "stop", "Stopping"],
  ["Running", "complete", "Completed"],
  ["Running", "fail", "Failed"],
  ["Running", "agent_lost", "Failed"],
  ["Stopping", "stopped", "Stopped"],
  // An agent lost (or failing) while the session stops: the stop still ends in Stopped.
  ["Stopping", "agent_lost", "Stopped"],
  ["Stopped", "resume", "Pending"],
  ["Failed", "resume", "Pending"],
  ["Completed", "resume", "Pending"],
];

describe("lifecycle", () => {
  for (const phase of PHASES) {
    for (const event of LIFECYCLE_EVENTS) {
      const expected = ALLOWED.find(([from, ev]) => from === phase && ev === event);
      it(`${phase} × ${event} → ${expected ? expected[2] : "refused"}`, () => {
        const result = transition(phase, event);
        if (expected) expect(result).toEqual({ ok: true, phase: expected[2] });
        else expect(result).toEqual({ ok: false, phase });
      });
    }
  }

  it("counts time only in Creating, Running and Stopping", () => {
    expect([...ACTIVE_PHASES].sort()).toEqual(["Creating", "Running", "Stopping"]);
  });

  it("has exactly seven phases", () => {
    expect(PHASES).toHaveLength(7);
  });
});
