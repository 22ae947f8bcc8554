/**
 * Texts of Claude Code's tool blocks: an edit as a diff, a command's exit state, a subagent's report, and
 * long outputs cut to what a block shows before "Show all". Everything returned is shown as text.
 */
import { diffLines } from "diff";
import type { FileEdit } from "./claude-tools";

/**
 * An edit as diff lines (`-old`, `+new`, ` unchanged`) for DiffView. Claude Code's Edit replaces a
 * fragment, not whole lines at known numbers, so there is no hunk header: only the fragment's lines.
 */
export function editDiff(edits: readonly FileEdit[]): string {
  const out: string[] = [];
  edits.forEach((edit, i) => {
    if (i > 0) out.push(`@@ edit ${i + 1} of ${edits.length} @@`);
    for (const change of diffLines(edit.oldString, edit.newString)) {
      const prefix = change.added ? "+" : change.removed ? "-" : " ";
      const text = change.value.endsWith("\n") ? change.value.slice(0, -1) : change.value;
      for (const line of text.split("\n")) out.push(prefix + line);
    }
  });
  return out.join("\n");
}

/** Lines added and removed by a diff made by editDiff (or any unified diff without file headers). */
export function diffStat(diff: string): { added: number; removed: number } {
  let added = 0;
  let removed = 0;
  for (const line of diff.split("\n")) {
    if (line.startsWith("+")) added++;
    else if (line.startsWith("-")) removed++;
  }
  return { added, removed };
}

/** A file's whole content as an added file's diff lines (a Write shows what it wrote). */
export function contentDiff(content: string): string {
  const text = content.endsWith("\n") ? content.slice(0, -1) : content;
  return text
    .split("\n")
    .map((line) => `+${line}`)
    .join("\n");
}

export interface CommandOutcome {
  /** The exit code when the command failed with one; null otherwise. */
  exitCode: number | null;
  /** What the command printed (stdout and stderr as Claude Code returns them). */
  output: string;
}

/**
 * A Bash call's result: Claude Code answers a failed command with "Exit code N" on the first line, then
 * what it printed; a successful one with its output alone.
 */
export function commandOutcome(result: string, isError: boolean): CommandOutcome {
  const match = isError ? /^(?:Error: )?Exit code (-?\d+)\n?/.exec(result) : null;
  if (!match) return { exitCode: null, output: result };
  return { exitCode: Number(match[1]), output: result.slice(match[0].length) };
}

/**
 * A subagent's final report out of the Agent tool's result: Claude Code frames it (a notice that it is
 * model output, the report indented by two spaces, then the agent's id and usage). Without that frame
 * the result is shown whole.
 */
export function subagentReport(result: string): string {
  const start = result.indexOf("The report follows:\n");
  if (start < 0) return result;
  const body = result.slice(start + "The report follows:\n".length);
  const end = body.search(/\nagentId: /);
  return (end < 0 ? body : body.slice(0, end))
    .split("\n")
    .map((line) => (line.startsWith("  ") ? line.slice(2) : line))
    .join("\n")
    .trim();
}

export interface Clipped {
  text: string;
  /** Lines left out; 0 when the text is shown whole. */
  hidden: number;
  total: number;
}

/**
 * A long text cut to `max` lines: its first lines (`from: "start"`) or its last (`"end"`: what a
 * terminal shows last is what matters, the test summary, the error).
 */
export function clipLines(text: string, max: number, from: "start" | "end"): Clipped {
  const all = text.split("\n");
  if (all.length <= max) return { text, hidden: 0, total: all.length };
  const kept = from === "start" ? all.slice(0, max) : all.slice(all.length - max);
  return { text: kept.join("\n"), hidden: all.length - max, total: all.length };
}

/** A refused call's message without the `<tool_use_error>` wrapper Claude Code puts around it for the model. */
export function toolError(result: string): string {
  const match = /^<tool_use_error>([\s\S]*)<\/tool_use_error>$/.exec(result.trim());
  return match ? match[1] : result;
}
