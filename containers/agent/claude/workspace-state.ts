/**
 * What a new incarnation starts from: the workspace cloned (or restored), the repositories' instructions
 * as cloned, and the Claude Code conversation to resume, if there is one.
 */
import type { Repo } from "@tandem/protocol/session-config";
import { emptyDirectory } from "../archive";
import { readRepoInstructions } from "../instructions";
import { cloneRepos, repoDirs } from "../workspace";
import type { RunAs } from "./process";
import {
  type HostState,
  type SessionPaths,
  chownTree,
  prepareSessionDirs,
  readHostState,
  resumable,
  writeHostState,
} from "./state";

export interface StartingPoint {
  dirs: string[];
  state: HostState;
  /** Claude Code's session to resume (its files are in the restored config directory), or null for a new one. */
  resume: string | null;
}

export async function prepareWorkspace(options: {
  workspace: string;
  paths: SessionPaths;
  repos: readonly Repo[];
  restored: boolean;
  env: NodeJS.ProcessEnv;
  runAs?: RunAs;
  progress(detail: string): void;
}): Promise<StartingPoint> {
  const { workspace, paths, repos } = options;
  let dirs: string[];
  let state: HostState;
  if (options.restored) {
    dirs = repoDirs(repos);
    // Saved before Claude Code ran the session, nothing was kept: the restored tree is read once, now, and kept.
    state = (await readHostState(paths)) ?? {
      claudeSessionId: null,
      instructions: await readRepoInstructions(workspace, repos, dirs),
    };
  } else {
    // A container's /workspace may still hold an earlier run's files: never clone over them.
    await emptyDirectory(workspace);
    await emptyDirectory(paths.member);
    dirs = await cloneRepos(workspace, repos, options.env, options.progress);
    // Read before the agent has run: what a later incarnation follows.
    state = { claudeSessionId: null, instructions: await readRepoInstructions(workspace, repos, dirs) };
  }
  await writeHostState(paths, state);
  await prepareSessionDirs(paths, options.runAs);
  if (options.runAs) await chownTree(workspace, options.runAs);
  const resume =
    state.claudeSessionId && (await resumable(paths, workspace, state.claudeSessionId))
      ? state.claudeSessionId
      : null;
  return { dirs, state, resume };
}
