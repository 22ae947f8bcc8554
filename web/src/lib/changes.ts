/** The Changes panel's reading of the session: when to fetch again, and how to show a diff and a link. */
import * as Y from "yjs";
import { WRITING_TOOL_NAMES } from "@tandem/protocol/git";
import { CLAUDE_CODE_WRITING_TOOLS } from "./claude-tools";
import { blocksOf, blockType, messageEntries, messageList, readToolUse } from "./transcript";
import { YView } from "./yreactive";

// Today's agent's names and Claude Code's (Bash, Edit, Write…): either agent may write this session's transcript.
const WRITING = new Set<string>([...WRITING_TOOL_NAMES, ...CLAUDE_CODE_WRITING_TOOLS]);

/**
 * How many writing tool calls (Claude Code's Edit, Write, Bash…; an older agent's write_file…) have finished in the transcript: it grows each
 * time the agent may have changed the workspace, for every viewer of the document.
 */
export function finishedWrites(doc: Y.Doc): YView<number> {
  const list = messageList(doc);
  return new YView(
    list,
    () => {
      let count = 0;
      for (const message of messageEntries(list)) {
        for (const block of blocksOf(message)) {
          if (blockType(block) !== "tool_use") continue;
          const use = readToolUse(block);
          if (WRITING.has(use.name) && use.status !== "running") count++;
        }
      }
      return count;
    },
    true,
  );
}

export type DiffLineKind = "add" | "del" | "hunk" | "meta" | "context";
export interface DiffLine {
  kind: DiffLineKind;
  text: string;
  /** The file the line belongs to (from its `diff --git` header). */
  path: string;
}

const META = [
  "+++ ",
  "--- ",
  "diff --git",
  "index ",
  "new file",
  "deleted file",
  "old mode",
  "new mode",
  "similarity",
  "rename ",
  "Binary files",
];

/** Each line of a unified diff with its kind and file, for colouring; the text itself is shown as text, never as markup. */
export function diffLines(diff: string): DiffLine[] {
  const lines = diff.endsWith("\n") ? diff.slice(0, -1).split("\n") : diff.split("\n");
  let path = "";
  return lines.map((text): DiffLine => {
    if (text.startsWith("diff --git ")) path = /^diff --git a\/.* b\/(.*)$/.exec(text)?.[1] ?? "";
    if (META.some((prefix) => text.startsWith(prefix))) return { kind: "meta", text, path };
    if (text.startsWith("@@")) return { kind: "hunk", text, path };
    if (text.startsWith("+")) return { kind: "add", text, path };
    if (text.startsWith("-")) return { kind: "del", text, path };
    return { kind: "context", text, path };
  });
}

/** A link from outside (a pull request's URL from the GitHub API) only if it is a web address. */
export function webLink(url: string | null | undefined): string | null {
  if (!url || !URL.canParse(url)) return null;
  const { protocol } = new URL(url);
  return protocol === "https:" || protocol === "http:" ? url : null;
}
