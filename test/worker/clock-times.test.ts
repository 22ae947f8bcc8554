import { describe, expect, it } from "vitest";
import { NO_USAGE } from "@tandem/protocol/usage";
import {
  AGENT_WATCH_MS,
  ENDING_DEADLINE_MS,
  clockTimes,
  dueAction,
  nextClockAt,
} from "../../worker/session/clock";
import type { SessionRecord } from "../../worker/session/record";

const NOW = 1_800_000_000_000;

function record(overrides: Partial<SessionRecord> = {}): SessionRecord {
  return {
    id: "s",
    workspaceId: "w",
    displayName: "s",
    repos: [],
    workflow: null,
    origin: { kind: "person" },
    createdBy: { id: "u", name: "u" },
    config: {
      model: "claude-sonnet-4-5",
      temperature: 0.7,
      maxTokens: 4000,
      timeoutSeconds: 300,
      thinking: false,
      effort: null,
      interactive: true,
      permissionMode: "auto",
    },
    createdAt: NOW,
    updatedAt: NOW,
    phase: "Running",
    agentStatus: "idle",
    step: null,
    activeMs: 0,
    activeSince: NOW,
    agentSeq: 0,
    inputSeq: 0,
    consumedSeq: 0,
    runBaseMs: 0,
    agentIncarnation: null,
    idleSince: null,
    idleStopMinutes: 15,
    savedWorkspace: null,
    archivePending: false,
    ending: null,
    usage: { ...NO_USAGE },
    ...overrides,
  };
}

describe("the session's clocks", () => {
  it("times out each run on its own: a resumed run starts its budget again", () => {
    // 900 s active in earlier runs, this run began at 900 s and has run 100 s: 200 s left of 300.
    const resumed = record({ activeMs: 900_000, runBaseMs: 900_000, activeSince: NOW - 100_000 });
    expect(clockTimes(resumed, NOW).timeoutAt).toBe(NOW + 200_000);
    expect(dueAction(resumed, NOW)).toBeNull();
    expect(dueAction(resumed, NOW + 200_000)).toBe("timeout");
  });

  it("stops an idle Running session after idleStopMinutes, counting from when it went idle", () => {
    const idle = record({ idleSince: NOW - 60_000, idleStopMinutes: 2, activeSince: NOW - 60_000 });
    expect(clockTimes(idle, NOW).idleStopAt).toBe(NOW + 60_000);
    expect(dueAction(idle, NOW + 59_999)).toBeNull();
    expect(dueAction(idle, NOW + 60_000)).toBe("idle_stop");
    expect(clockTimes(record({ idleSince: null }), NOW).idleStopAt).toBeNull();
  });

  it("watches a session whose agent may be connected, so a restarted room reattaches on its own", () => {
    expect(nextClockAt(record({ idleSince: null }), NOW)).toBe(NOW + AGENT_WATCH_MS);
    expect(clockTimes(record({ phase: "Stopped", activeSince: null }), NOW).watchAt).toBeNull();
  });

  it("while a run ends, only the stop's deadline counts; it is gone once the agent is done", () => {
    const ending = record({
      phase: "Stopping",
      idleSince: NOW - 3_600_000,
      activeSince: NOW - 3_600_000,
      ending: { event: "stopped", reason: "idle", agentDone: false, deadline: NOW + ENDING_DEADLINE_MS },
    });
    expect(clockTimes(ending, NOW)).toMatchObject({
      timeoutAt: null,
      idleStopAt: null,
      endingAt: NOW + ENDING_DEADLINE_MS,
    });
    expect(dueAction(ending, NOW)).toBeNull();
    expect(dueAction(ending, NOW + ENDING_DEADLINE_MS)).toBe("ending_overdue");
    expect(
      clockTimes(record({ ...ending, ending: { ...ending.ending!, agentDone: true } }), NOW).endingAt,
    ).toBeNull();
  });

  it("runs no clock outside active phases", () => {
    expect(nextClockAt(record({ phase: "Stopped", activeSince: null, idleSince: null }), NOW)).toBeNull();
    expect(nextClockAt(null, NOW)).toBeNull();
  });
});
