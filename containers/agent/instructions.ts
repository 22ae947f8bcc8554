/**
 * A repository's own instructions for agents: AGENTS.md and CLAUDE.md at its root, read right after the
 * clone (the cloned commit's, before the agent has run) and kept by the host (claude/state.ts), each capped
 * and marked with where it came from. Later incarnations use what was kept: never a tree the agent wrote.
 */
import { open } from "node:fs/promises";
import path from "node:path";
import { z } from "zod";
import type { Repo } from "@tandem/protocol/session-config";
import { resolveInWorkspace } from "./paths";
import { displayURL } from "./workspace";

export const INSTRUCTION_FILES = ["AGENTS.md", "CLAUDE.md"] as const;
/** Per file: enough for any real instructions file, small enough that a huge one cannot crowd out the task. */
export const INSTRUCTIONS_MAX_BYTES = 32 * 1024;

export const RepoInstructionsSchema = z.object({
  /** `<repo URL> (<dir>/AGENTS.md)`: which repository and file the text is from. */
  source: z.string(),
  text: z.string(),
  truncated: z.boolean(),
});
export type RepoInstructions = z.infer<typeof RepoInstructionsSchema>;

/** At most `max` bytes of a regular file, cut back to a whole UTF-8 character; null if it is not one. */
async function readHead(file: string, max: number): Promise<{ text: string; size: number } | null> {
  const handle = await open(file, "r").catch(() => null);
  if (!handle) return null;
  try {
    const info = await handle.stat();
    if (!info.isFile()) return null;
    const buffer = Buffer.alloc(Math.min(info.size, max));
    const { bytesRead } = await handle.read(buffer, 0, buffer.length, 0);
    let end = bytesRead;
    // Back off a partial multi-byte character at the cut (continuation bytes are 10xxxxxx).
    if (info.size > max) while (end > 0 && (buffer[end] & 0xc0) === 0x80) end--;
    return { text: buffer.subarray(0, end).toString("utf8"), size: info.size };
  } finally {
    await handle.close();
  }
}

/**
 * The instruction files of each cloned repository, in the order of the session's repositories. A file
 * that leads out of its repository (a symlink to /etc/…) is not read; CLAUDE.md with the same text as
 * AGENTS.md (often a link to it) is given once.
 */
export async function readRepoInstructions(
  workspace: string,
  repos: readonly Repo[],
  dirs: readonly string[],
): Promise<RepoInstructions[]> {
  const found: RepoInstructions[] = [];
  for (const [index, dir] of dirs.entries()) {
    const root = path.join(workspace, dir);
    const seen = new Set<string>();
    for (const name of INSTRUCTION_FILES) {
      const file = await resolveInWorkspace(root, name).catch(() => null);
      const head = file && (await readHead(file, INSTRUCTIONS_MAX_BYTES));
      if (!head || !head.text.trim() || seen.has(head.text)) continue;
      seen.add(head.text);
      const truncated = head.size > INSTRUCTIONS_MAX_BYTES;
      const text = truncated
        ? `${head.text}\n[… ${name} cut here: it is ${head.size} bytes, only the first ${INSTRUCTIONS_MAX_BYTES} are included]`
        : head.text;
      found.push({ source: `${displayURL(repos[index]?.url ?? dir)} (${dir}/${name})`, text, truncated });
    }
  }
  return found;
}
