/**
 * A session's own directories beside its workspace, and what the host keeps about it across incarnations.
 *
 * `<root>/.tandem-agent/` travels in every workspace archive (archive.ts) and comes back on restore:
 *   - `claude/`: CLAUDE_CONFIG_DIR, Claude Code's session files, so Resume continues the same conversation;
 *   - `host.json`: written by the host only: Claude's session id and the repositories' instructions as
 *     cloned (CLAUDE.md, AGENTS.md), so a later incarnation never reads them from a tree the agent wrote.
 * `project/` (Tandem's project settings for Claude Code), `home/` and `tmp/` are made again each time.
 */
import { chmod, chown, mkdir, readFile, readdir, rename, rm, stat, writeFile } from "node:fs/promises";
import path from "node:path";
import { z } from "zod";
import { RepoInstructionsSchema } from "../instructions";
import type { RunAs } from "./process";

/** The archive member (and directory) that holds what the host keeps: never part of the workspace. */
export const STATE_MEMBER = ".tandem-agent";

export interface SessionPaths {
  root: string;
  /** `<root>/.tandem-agent`: archived with the workspace. */
  member: string;
  claudeConfig: string;
  hostFile: string;
  project: string;
  home: string;
  tmp: string;
}

export function sessionPaths(root: string): SessionPaths {
  const member = path.join(root, STATE_MEMBER);
  return {
    root,
    member,
    claudeConfig: path.join(member, "claude"),
    hostFile: path.join(member, "host.json"),
    project: path.join(root, "project"),
    home: path.join(root, "home"),
    tmp: path.join(root, "tmp"),
  };
}

const HostStateSchema = z.object({
  claudeSessionId: z.string().min(1).max(200).nullable(),
  instructions: z.array(RepoInstructionsSchema),
});
export type HostState = z.infer<typeof HostStateSchema>;

/** Makes the session's directories (keeping a restored `.tandem-agent`), owned by the CLI's user where it is another. */
export async function prepareSessionDirs(paths: SessionPaths, runAs?: RunAs): Promise<void> {
  await mkdir(paths.claudeConfig, { recursive: true, mode: 0o700 });
  for (const dir of [paths.home, paths.tmp, paths.project]) {
    await rm(dir, { recursive: true, force: true });
    await mkdir(dir, { recursive: true, mode: 0o700 });
  }
  // Tandem's project settings: nothing of the workspace's `.claude/` is loaded in their place.
  await mkdir(path.join(paths.project, ".claude"), { recursive: true });
  await writeFile(path.join(paths.project, ".claude", "settings.json"), "{}\n");
  if (!runAs) return;
  // The CLI's user may enter (not list) the root and the member, and owns only what it writes.
  for (const dir of [paths.root, paths.member]) await chmod(dir, 0o711);
  for (const dir of [paths.claudeConfig, paths.home, paths.tmp]) await chownTree(dir, runAs);
  await chmod(paths.project, 0o755);
  await chmod(path.join(paths.project, ".claude"), 0o755);
}

export async function chownTree(dir: string, runAs: RunAs): Promise<void> {
  await chown(dir, runAs.uid, runAs.gid);
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const child = path.join(dir, entry.name);
    if (entry.isDirectory()) await chownTree(child, runAs);
    else await chown(child, runAs.uid, runAs.gid).catch(() => undefined);
  }
}

export async function readHostState(paths: SessionPaths): Promise<HostState | null> {
  const text = await readFile(paths.hostFile, "utf8").catch(() => null);
  if (text === null) return null;
  try {
    const parsed = HostStateSchema.safeParse(JSON.parse(text));
    return parsed.success ? parsed.data : null;
  } catch {
    return null;
  }
}

export async function writeHostState(paths: SessionPaths, state: HostState): Promise<void> {
  await mkdir(paths.member, { recursive: true });
  const partial = `${paths.hostFile}.partial`;
  await writeFile(partial, JSON.stringify(state), { mode: 0o644 });
  await rename(partial, paths.hostFile);
}

/** Claude Code's folder for a working directory under `projects/` (its own naming: every other character a dash). */
export function claudeProjectDir(paths: SessionPaths, workspace: string): string {
  return path.join(paths.claudeConfig, "projects", workspace.replace(/[^A-Za-z0-9]/g, "-"));
}

/**
 * Whether Claude Code can resume `sessionId` in `workspace`. A workspace restored at another path (the host
 * layout and the container layout differ) has its session files moved to the folder Claude Code looks in.
 */
export async function resumable(paths: SessionPaths, workspace: string, sessionId: string): Promise<boolean> {
  const file = `${sessionId}.jsonl`;
  const target = claudeProjectDir(paths, workspace);
  if (await isFile(path.join(target, file))) return true;
  const projects = path.join(paths.claudeConfig, "projects");
  for (const dir of await readdir(projects).catch((): string[] => [])) {
    const found = path.join(projects, dir);
    if (found === target || !(await isFile(path.join(found, file)))) continue;
    await rm(target, { recursive: true, force: true });
    await rename(found, target);
    return true;
  }
  return false;
}

async function isFile(file: string): Promise<boolean> {
  return (await stat(file).catch(() => null))?.isFile() ?? false;
}
