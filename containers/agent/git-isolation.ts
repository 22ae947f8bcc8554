/**
 * The host's own git (a session's changes, a push) on a repository the agent wrote, or a saved workspace
 * it left: whatever its `.git` holds must not run. A repository's config can name programs git runs by
 * itself (`core.fsmonitor` on `add`, a `filter.*.clean` on `add` and `diff`, a `diff.*.textconv`, hooks,
 * `core.sshCommand`, `core.askPass`, `gpg.program`, `include.path` to more of them), and they would run as
 * the host, with what is in its environment. So git runs here on a git directory of the host's making:
 * a minimal config (the repository format, its object format, the clone's base), HEAD and the refs, the
 * shallow list and info/exclude copied, a copy of the index, and the repository's objects reached as an
 * alternate, read-only. Nothing of the repository's config, hooks or attributes drivers is read; what git
 * writes (the index, new objects, a commit) stays in the copy, so the agent's checkout is never touched.
 */
import { randomUUID } from "node:crypto";
import { copyFile, cp, lstat, mkdir, readFile, rm, stat, utimes, writeFile } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { GitError, HARDENED_ENV, git } from "./git";

/** The clone's own settings (changes.ts writes them at clone time) that the copy keeps. */
const KEPT_CONFIG = [
  "core.repositoryformatversion",
  "extensions.objectformat",
  "tandem.baseCommit",
  "tandem.baseBranch",
];

/** A value of the repository's own config file, read as data (no includes, nothing run). */
async function configValue(file: string, key: string, env: NodeJS.ProcessEnv): Promise<string | null> {
  try {
    const { stdout } = await git(["config", "--file", file, "--no-includes", "--get", key], {
      cwd: os.tmpdir(),
      env,
    });
    return stdout.trim() || null;
  } catch {
    return null;
  }
}

/**
 * The repository's git directory: `<dir>/.git`, a real directory (a `.git` file or link pointing elsewhere,
 * which the agent could plant, is refused).
 */
async function gitDirOf(dir: string): Promise<string> {
  const gitDir = path.join(dir, ".git");
  const info = await lstat(gitDir).catch(() => null);
  if (!info?.isDirectory()) throw new GitError(`${path.basename(dir)} has no .git directory of its own`);
  return gitDir;
}

/** Runs `use` with an environment whose git works on `dir`'s work tree through a git directory of the host's own. */
export async function withIsolatedRepo<T>(
  dir: string,
  env: NodeJS.ProcessEnv,
  use: (env: NodeJS.ProcessEnv) => Promise<T>,
): Promise<T> {
  const real = await gitDirOf(dir);
  const copy = path.join(os.tmpdir(), `tandem-git-${randomUUID()}`);
  const plain = { ...env, ...HARDENED_ENV };
  try {
    await mkdir(path.join(copy, "objects", "info"), { recursive: true });
    await mkdir(path.join(copy, "info"), { recursive: true });
    const lines = ["[core]", "\tbare = false"];
    const values = await Promise.all(
      KEPT_CONFIG.map(
        async (key) => [key, await configValue(path.join(real, "config"), key, plain)] as const,
      ),
    );
    await writeFile(path.join(copy, "config"), `${lines.join("\n")}\n`);
    for (const [key, value] of values)
      if (value !== null)
        await git(["config", "--file", path.join(copy, "config"), key, value], {
          cwd: os.tmpdir(),
          env: plain,
        });
    await writeFile(path.join(copy, "objects", "info", "alternates"), `${path.join(real, "objects")}\n`);
    await writeFile(path.join(copy, "HEAD"), await readFile(path.join(real, "HEAD")));
    await cp(path.join(real, "refs"), path.join(copy, "refs"), { recursive: true, dereference: false }).catch(
      () => mkdir(path.join(copy, "refs")),
    );
    for (const file of ["packed-refs", "shallow", "index", path.join("info", "exclude")]) {
      await copyFile(path.join(real, file), path.join(copy, file)).catch(() => undefined);
    }
    // The index copy keeps the original's time: git compares its entries' times with it to tell a file
    // rewritten within the same second (same size) from an unchanged one, and would miss that change.
    const indexTime = await stat(path.join(real, "index")).catch(() => null);
    if (indexTime)
      await utimes(path.join(copy, "index"), indexTime.atime, indexTime.mtime).catch(() => undefined);
    return await use({
      ...plain,
      GIT_DIR: copy,
      GIT_WORK_TREE: dir,
      GIT_INDEX_FILE: path.join(copy, "index"),
    });
  } finally {
    await rm(copy, { recursive: true, force: true });
  }
}
