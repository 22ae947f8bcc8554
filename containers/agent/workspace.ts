/** The session's workspace on disk: cloning its repositories and noticing the artifacts written in it. */
import { execFile } from "node:child_process";
import type { Dirent } from "node:fs";
import { readdir, stat } from "node:fs/promises";
import path from "node:path";
import type { Repo } from "@tandem/protocol/session-config";
import { recordBase } from "./changes";
import { resolveInWorkspace } from "./paths";

export const ARTIFACTS_DIR = "artifacts";
const CLONE_TIMEOUT_MS = 5 * 60_000;

export class CloneError extends Error {}

/** `https://host/org/my-repo.git` → `my-repo`; a name already taken gets `-2`, `-3`, … */
export function repoDirName(url: string, taken: Set<string>): string {
  const last =
    url
      .replace(/[/\\]+$/, "")
      .split(/[/:\\]/)
      .pop() ?? "";
  const base = last.replace(/\.git$/, "").replace(/[^A-Za-z0-9._-]/g, "-") || "repo";
  // `.`/`..` would escape the workspace and `artifacts/` is reserved for the agent's output.
  const safe = base === "." || base === ".." ? "repo" : base === ARTIFACTS_DIR ? `repo-${base}` : base;
  let name = safe;
  for (let n = 2; taken.has(name); n++) name = `${safe}-${n}`;
  taken.add(name);
  return name;
}

function gitClone(args: string[], cwd: string, env: NodeJS.ProcessEnv): Promise<void> {
  return new Promise((resolve, reject) => {
    execFile(
      "git",
      args,
      { cwd, env, timeout: CLONE_TIMEOUT_MS, maxBuffer: 10_000_000 },
      (error, _stdout, stderr) => {
        if (!error) return resolve();
        const detail = stderr.trim() || error.message;
        reject(new CloneError(detail));
      },
    );
  });
}

/**
 * A repository URL as it may be shown (progress, events, exports): without its user part, which holds a
 * password or a token (`https://<token>@github.com/…` needs no password), as git itself shows it. Events
 * outlive an edit that takes the token out of the session.
 */
export function displayURL(url: string): string {
  if (!URL.canParse(url)) return url;
  const parsed = new URL(url);
  if (!parsed.username && !parsed.password) return url;
  parsed.username = "";
  parsed.password = "";
  return parsed.toString();
}

/** The directory each repository is cloned into, in order (the same names every time). */
export function repoDirs(repos: readonly Repo[]): string[] {
  const taken = new Set<string>();
  return repos.map((repo) => repoDirName(repo.url, taken));
}

/** Shallow-clones each repository (its branch, if given) into `<workspace>/<repo name>`. */
export async function cloneRepos(
  workspace: string,
  repos: readonly Repo[],
  env: NodeJS.ProcessEnv,
  onProgress: (detail: string) => void,
): Promise<string[]> {
  const dirs = repoDirs(repos);
  for (const [index, repo] of repos.entries()) {
    onProgress(
      `cloning repo ${index + 1} of ${repos.length}: ${displayURL(repo.url)}${repo.branch ? ` (${repo.branch})` : ""}`,
    );
    const branch = repo.branch ? ["--branch", repo.branch] : [];
    await gitClone(["clone", "--depth", "1", ...branch, "--", repo.url, dirs[index]], workspace, env);
    await recordBase(path.join(workspace, dirs[index]), env);
  }
  return dirs;
}

export interface ArtifactInfo {
  name: string;
  size: number;
}

/** Remembers what is under workspace/artifacts so each scan reports only new or changed files. */
export class ArtifactTracker {
  readonly #dir: string;
  readonly #seen = new Map<string, string>();

  constructor(workspace: string) {
    this.#dir = path.join(workspace, ARTIFACTS_DIR);
  }

  async scan(): Promise<ArtifactInfo[]> {
    const changed: ArtifactInfo[] = [];
    for (const file of await listFiles(this.#dir, "")) {
      const info = await stat(path.join(this.#dir, file)).catch(() => null);
      if (!info?.isFile()) continue;
      const stamp = `${info.size}:${info.mtimeMs}`;
      if (this.#seen.get(file) === stamp) continue;
      this.#seen.set(file, stamp);
      changed.push({ name: file, size: info.size });
    }
    return changed;
  }
}

async function listFiles(dir: string, prefix: string): Promise<string[]> {
  const entries: Dirent[] = await readdir(dir, { withFileTypes: true }).catch(() => []);
  const files: string[] = [];
  for (const entry of entries) {
    const rel = prefix ? `${prefix}/${entry.name}` : entry.name;
    if (entry.isDirectory()) files.push(...(await listFiles(path.join(dir, entry.name), rel)));
    else if (entry.isFile()) files.push(rel);
  }
  return files.sort();
}

/** The file behind an artifact name, or null if the name leaves the artifacts folder or does not exist. */
export async function artifactFile(workspace: string, name: string): Promise<string | null> {
  try {
    const file = await resolveInWorkspace(path.join(workspace, ARTIFACTS_DIR), name);
    const info = await stat(file);
    return info.isFile() ? file : null;
  } catch {
    return null;
  }
}
