import { describe, expect, it } from "vitest";
import { minutesInWords, validateWorkspace, workspaceForm, workspacePatch } from "#lib/workspace-form.ts";

const ws = {
  id: "w",
  name: "Team",
  role: "owner" as const,
  createdAt: 0,
  idleStopMinutes: 15,
  monthlyBudgetUsd: null,
};

describe("workspace settings form", () => {
  it("starts from the workspace, with the default of SPEC §3", () => {
    expect(workspaceForm(ws)).toEqual({ name: "Team", idleStopMinutes: 15, monthlyBudgetUsd: null });
    expect(validateWorkspace(workspaceForm(ws))).toEqual({});
  });

  it("takes a monthly budget above $0, or none", () => {
    for (const ok of [null, 0.01, 50, 1_000_000])
      expect(validateWorkspace({ name: "T", idleStopMinutes: 15, monthlyBudgetUsd: ok })).toEqual({});
    for (const bad of [0, -5, 1_000_001, Number.NaN])
      expect(
        validateWorkspace({ name: "T", idleStopMinutes: 15, monthlyBudgetUsd: bad }).monthlyBudgetUsd,
      ).toBe("More than $0 and at most $1,000,000, or empty for no budget.");
  });

  it("takes idleStopMinutes as whole minutes from 1 to 1440", () => {
    for (const ok of [1, 60, 1440])
      expect(validateWorkspace({ name: "T", idleStopMinutes: ok, monthlyBudgetUsd: null })).toEqual({});
    for (const bad of [0, 1441, 2.5, -1, null])
      expect(
        validateWorkspace({ name: "T", idleStopMinutes: bad, monthlyBudgetUsd: null }).idleStopMinutes,
      ).toBe("Whole minutes from 1 to 1440 (24 hours).");
  });

  it("needs a name of 1 to 100 characters", () => {
    expect(validateWorkspace({ name: "  ", idleStopMinutes: 15, monthlyBudgetUsd: null }).name).toBe(
      "Give the workspace a name.",
    );
    expect(
      validateWorkspace({ name: "x".repeat(101), idleStopMinutes: 15, monthlyBudgetUsd: null }).name,
    ).toBe("At most 100 characters.");
    expect(validateWorkspace({ name: "x".repeat(100), idleStopMinutes: 15, monthlyBudgetUsd: null })).toEqual(
      {},
    );
  });

  it("sends only what changed, trimmed", () => {
    expect(workspacePatch(ws, { name: "Team", idleStopMinutes: 15, monthlyBudgetUsd: null })).toBeNull();
    expect(workspacePatch(ws, { name: " Team B ", idleStopMinutes: 15, monthlyBudgetUsd: null })).toEqual({
      name: "Team B",
    });
    expect(workspacePatch(ws, { name: "Team", idleStopMinutes: 90, monthlyBudgetUsd: null })).toEqual({
      idleStopMinutes: 90,
    });
    expect(workspacePatch(ws, { name: "Team", idleStopMinutes: 15, monthlyBudgetUsd: 50 })).toEqual({
      monthlyBudgetUsd: 50,
    });
    expect(
      workspacePatch(
        { ...ws, monthlyBudgetUsd: 50 },
        { name: "Team", idleStopMinutes: 15, monthlyBudgetUsd: null },
      ),
    ).toEqual({ monthlyBudgetUsd: null });
  });

  it("reads minutes in words", () => {
    expect([1, 15, 60, 90, 1440].map(minutesInWords)).toEqual([
      "1 minute",
      "15 minutes",
      "1 hour",
      "1 hour 30 minutes",
      "24 hours",
    ]);
  });
});
