/**
 * The plan a plan card shows. In plan mode Claude Code has Claude write its plan to a plan file of the
 * session's own config directory (`plans/<slug>.md`) and call ExitPlanMode, whose input may leave the
 * plan out: the newest plan file is the plan then.
 */
import { readFile, readdir, stat } from "node:fs/promises";
import path from "node:path";

/** The most of a plan a card shows. */
const PLAN_MAX_CHARS = 64 * 1024;

/** The plan Claude wrote last (Claude Code's plan files, in the session's own config directory); "" when there is none. */
export async function readPlan(configDir: string): Promise<string> {
  const dir = path.join(configDir, "plans");
  const names = (await readdir(dir).catch(() => [] as string[])).filter((name) => name.endsWith(".md"));
  const files = await Promise.all(
    names.map(async (name) => ({
      name,
      at: (await stat(path.join(dir, name)).catch(() => null))?.mtimeMs ?? 0,
    })),
  );
  const newest = files.sort((a, b) => b.at - a.at)[0];
  if (!newest) return "";
  const text = await readFile(path.join(dir, newest.name), "utf8").catch(() => "");
  return text.length > PLAN_MAX_CHARS ? `${text.slice(0, PLAN_MAX_CHARS)}\n…` : text;
}
