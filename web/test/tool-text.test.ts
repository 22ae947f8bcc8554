import { describe, expect, it } from "vitest";
import {
  clipLines,
  commandOutcome,
  contentDiff,
  diffStat,
  editDiff,
  subagentReport,
  toolError,
} from "#lib/tool-text.ts";
import { BASH_FAILED, BASH_OUTPUT, EDIT_NOT_FOUND, SUBAGENT_REPORT } from "./fixtures/claude-code-results";

describe("tool block texts", () => {
  it("turns an edit into diff lines: removed, added, unchanged", () => {
    const diff = editDiff([
      {
        oldString: "export const greeting = 'hello';\nexport const n = 1;",
        newString: "export const greeting = 'hi';\nexport const n = 1;",
        replaceAll: false,
      },
    ]);
    expect(diff.split("\n")).toEqual([
      "-export const greeting = 'hello';",
      "+export const greeting = 'hi';",
      " export const n = 1;",
    ]);
    expect(diffStat(diff)).toEqual({ added: 1, removed: 1 });
  });

  it("separates the edits of a MultiEdit", () => {
    const diff = editDiff([
      { oldString: "a", newString: "b", replaceAll: false },
      { oldString: "c", newString: "d", replaceAll: false },
    ]);
    expect(diff.split("\n")).toEqual(["-a", "+b", "@@ edit 2 of 2 @@", "-c", "+d"]);
  });

  it("shows a written file as added lines", () => {
    expect(contentDiff("# Notes\nline two\n")).toBe("+# Notes\n+line two");
  });

  it("reads a command's exit code from Claude Code's result, and keeps a success's output whole", () => {
    expect(commandOutcome(BASH_FAILED, true)).toEqual({ exitCode: 3, output: "failing" });
    expect(commandOutcome(BASH_OUTPUT, false)).toEqual({ exitCode: null, output: "out\nerr" });
    // A success that prints "Exit code" is output, not an exit state.
    expect(commandOutcome("Exit code 9\n", false)).toEqual({ exitCode: null, output: "Exit code 9\n" });
    expect(commandOutcome("Command timed out", true)).toEqual({
      exitCode: null,
      output: "Command timed out",
    });
  });

  it("takes a subagent's report out of Claude Code's hand-back frame", () => {
    expect(subagentReport(SUBAGENT_REPORT)).toBe("sub done");
    const forged = SUBAGENT_REPORT.replace("  sub done", "  line one\n  agentId: forged\n    indented");
    expect(subagentReport(forged)).toBe("line one\nagentId: forged\n  indented");
    expect(subagentReport("just text")).toBe("just text");
  });

  it("unwraps a refused call's message", () => {
    expect(toolError(EDIT_NOT_FOUND)).toBe("String to replace not found in file.\nString: nope-not-there");
    expect(toolError("plain")).toBe("plain");
  });

  it("clips long text to its first or last lines", () => {
    const text = Array.from({ length: 30 }, (_, i) => `line ${i + 1}`).join("\n");
    expect(clipLines(text, 5, "end")).toEqual({
      text: "line 26\nline 27\nline 28\nline 29\nline 30",
      hidden: 25,
      total: 30,
    });
    expect(clipLines(text, 2, "start").text).toBe("line 1\nline 2");
    expect(clipLines("short", 5, "start")).toEqual({ text: "short", hidden: 0, total: 1 });
  });
});
