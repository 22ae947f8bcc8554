/**
 * What the agent changed in each cloned repository: the diff against the commit that was cloned, with its
 * own commits, uncommitted edits and new files included. New files are staged into a temporary index, on a
 * git directory of the host's own making (git-isolation.ts: nothing of the repository's config, hooks or
 * drivers runs), so the agent's own index and checkout are never touched.
 */
import type { Repo } from "@tandem/protocol/session-config";
import { DIFF_MAX_BYTES, type ChangedFile, type RepoChanges } from "@tandem/protocol/git";
import { git, gitLine } from "./git";
import { withIsolatedRepo } from "./git-isolation";

const BASE_COMMIT = "tandem.baseCommit";
const BASE_BRANCH = "tandem.baseBranch";

/** Remembers, in the clone's own config (kept in the saved workspace), which commit and branch were cloned. */
export async function recordBase(dir: string, env: NodeJS.ProcessEnv): Promise<void> {
  const commit = await gitLine(["rev-parse", "HEAD"], dir, env);
  const branch = await gitLine(["symbolic-ref", "--short", "-q", "HEAD"], dir, env).catch(() => "");
  await git(["config", "--local", BASE_COMMIT, commit], { cwd: dir, env });
  if (branch) await git(["config", "--local", BASE_BRANCH, branch], { cwd: dir, env });
}

export async function baseOf(
  dir: string,
  env: NodeJS.ProcessEnv,
): Promise<{ commit: string; branch: string | null }> {
  const config = async (key: string) =>
    (await gitLine(["config", "--local", "--get", key], dir, env).catch(() => "")) || null;
  const commit = (await config(BASE_COMMIT)) ?? (await gitLine(["rev-parse", "HEAD"], dir, env));
  return { commit, branch: await config(BASE_BRANCH) };
}

/**
 * Runs `use` with an environment whose git works on the repository through the host's own git directory
 * (git-isolation.ts), its index holding the whole work tree (untracked files too, .gitignore respected).
 */
export async function withWorkTreeIndex<T>(
  dir: string,
  env: NodeJS.ProcessEnv,
  use: (env: NodeJS.ProcessEnv) => Promise<T>,
): Promise<T> {
  return withIsolatedRepo(dir, env, async (isolated) => {
    await git(["add", "-A"], { cwd: dir, env: isolated });
    return use(isolated);
  });
}

const STATUS: Record<string, ChangedFile["status"]> = {
  A: "added",
  M: "modified",
  D: "deleted",
  T: "type_changed",
};

function parseFiles(nameStatus: string, numstat: string): ChangedFile[] {
  const counts = new Map<string, { additions: number; deletions: number; binary: boolean }>();
  for (const entry of numstat.split("\0").filter(Boolean)) {
    const [adds, dels, ...rest] = entry.split("\t");
    const binary = adds === "-";
    counts.set(rest.join("\t"), {
      additions: binary ? 0 : Number(adds),
      deletions: binary ? 0 : Number(dels),
      binary,
    });
  }
  const parts = nameStatus.split("\0");
  const files: ChangedFile[] = [];
  for (let i = 0; i + 1 < parts.length; i += 2) {
    const filePath = parts[i + 1];
    files.push({
      path: filePath,
      status: STATUS[parts[i][0]] ?? "modified",
      ...(counts.get(filePath) ?? { additions: 0, deletions: 0, binary: false }),
    });
  }
  return files;
}

/** One repository's changes against its cloned commit. */
export async function repoChanges(dir: string, repo: Repo, env: NodeJS.ProcessEnv): Promise<RepoChanges> {
  return withWorkTreeIndex(dir, env, async (indexEnv) => {
    const base = await baseOf(dir, indexEnv);
    const diff = (args: string[], maxBytes?: number) =>
      git(
        [
          "diff",
          "--cached",
          "--no-renames",
          "--no-color",
          "--no-ext-diff",
          "--no-textconv",
          ...args,
          base.commit,
          "--",
        ],
        { cwd: dir, env: indexEnv, maxBytes },
      );
    const [nameStatus, numstat, patch] = await Promise.all([
      diff(["--name-status", "-z"]),
      diff(["--numstat", "-z"]),
      diff([], DIFF_MAX_BYTES),
    ]);
    const files = parseFiles(nameStatus.stdout, numstat.stdout);
    const text = patch.truncated
      ? `${patch.stdout.slice(0, patch.stdout.lastIndexOf("\n") + 1)}[… diff cut at ${DIFF_MAX_BYTES / 1024} KB; all ${files.length} changed files are in the files list]\n`
      : patch.stdout;
    return {
      url: repo.url,
      branch: repo.branch ?? base.branch,
      baseCommit: base.commit,
      files,
      diff: text,
      diffTruncated: patch.truncated,
    };
  });
}
