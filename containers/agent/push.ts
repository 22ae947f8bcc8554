/**
 * Pushing a session's changes: one commit of everything that changed (on top of the agent's own commits),
 * pushed to a new branch with the workspace's token, and optionally a pull request through the GitHub REST
 * API. The commit is made from a temporary index: the agent's checkout, index and branch stay as they were.
 */
import path from "node:path";
import type { AgentPush, PushResult } from "@tandem/protocol/git";
import type { Repo } from "@tandem/protocol/session-config";
import { baseOf, withWorkTreeIndex } from "./changes";
import { GitError, gitLine } from "./git";
import { repoDirs } from "./workspace";

export type PushErrorCode =
  "invalid_input" | "github_token_missing" | "nothing_to_push" | "push_rejected" | "github_error";

export class PushError extends Error {
  constructor(
    readonly code: PushErrorCode,
    message: string,
    readonly field?: string,
  ) {
    super(message);
  }
}

export interface PushContext {
  workspace: string;
  repos: readonly Repo[];
  env: NodeJS.ProcessEnv;
  secrets: Record<string, string>;
}

const PUBLIC_API = "https://api.github.com";
const COMMITTER = { GIT_AUTHOR_NAME: "Tandem", GIT_AUTHOR_EMAIL: "tandem@users.noreply.github.com" };

function chooseRepo(repos: readonly Repo[], wanted: string | undefined): number {
  if (repos.length === 0)
    throw new PushError("invalid_input", "the session has no repository to push", "repo");
  if (wanted === undefined) {
    if (repos.length === 1) return 0;
    throw new PushError(
      "invalid_input",
      `the session has ${repos.length} repositories: name one in repo`,
      "repo",
    );
  }
  const index = repos.findIndex((repo) => repo.url === wanted);
  if (index < 0) throw new PushError("invalid_input", "repo: not one of the session's repositories", "repo");
  return index;
}

/** `owner` and `repo` of a GitHub repository URL (https://host/owner/repo(.git)). */
export function ownerAndRepo(url: string): { owner: string; repo: string } | null {
  if (!URL.canParse(url)) return null;
  const parts = new URL(url).pathname
    .replace(/\.git$/, "")
    .split("/")
    .filter(Boolean);
  return parts.length >= 2 ? { owner: parts.at(-2)!, repo: parts.at(-1)! } : null;
}

async function openPullRequest(
  ctx: PushContext,
  repoURL: string,
  head: string,
  base: string,
  request: NonNullable<AgentPush["pullRequest"]>,
): Promise<string> {
  const names = ownerAndRepo(repoURL);
  if (!names)
    throw new PushError(
      "github_error",
      `cannot open a pull request: ${repoURL} is not a GitHub repository URL`,
    );
  const api = (ctx.secrets.GITHUB_API_URL ?? process.env.GITHUB_API_URL ?? PUBLIC_API).replace(/\/+$/, "");
  let res: Response;
  try {
    res = await fetch(
      `${api}/repos/${encodeURIComponent(names.owner)}/${encodeURIComponent(names.repo)}/pulls`,
      {
        method: "POST",
        headers: {
          accept: "application/vnd.github+json",
          authorization: `Bearer ${ctx.secrets.GITHUB_TOKEN}`,
          "content-type": "application/json",
          "user-agent": "tandem",
          "x-github-api-version": "2022-11-28",
        },
        body: JSON.stringify({ title: request.title, body: request.body ?? "", head, base }),
        signal: AbortSignal.timeout(30_000),
      },
    );
  } catch (error) {
    throw new PushError(
      "github_error",
      `the branch ${head} was pushed, but GitHub could not be reached: ${String(error)}`,
    );
  }
  const answer = (await res.json().catch(() => ({}))) as {
    html_url?: unknown;
    message?: unknown;
    errors?: { message?: string }[];
  };
  if (res.ok && typeof answer.html_url === "string") return answer.html_url;
  const detail = [answer.message, ...(answer.errors ?? []).map((e) => e.message)]
    .filter((m) => typeof m === "string" && m)
    .join("; ");
  throw new PushError(
    "github_error",
    `the branch ${head} was pushed, but GitHub refused the pull request (${res.status}): ${detail || res.statusText}`,
  );
}

export async function pushChanges(ctx: PushContext, request: AgentPush): Promise<PushResult> {
  const index = chooseRepo(ctx.repos, request.repo);
  const repo = ctx.repos[index];
  if (!ctx.secrets.GITHUB_TOKEN)
    throw new PushError("github_token_missing", "set the workspace secret GITHUB_TOKEN to push");
  const dir = path.join(ctx.workspace, repoDirs(ctx.repos)[index]);
  const env = {
    ...ctx.env,
    ...COMMITTER,
    GIT_COMMITTER_NAME: COMMITTER.GIT_AUTHOR_NAME,
    GIT_COMMITTER_EMAIL: COMMITTER.GIT_AUTHOR_EMAIL,
  };
  try {
    await gitLine(["check-ref-format", "--branch", request.branch], dir, env).catch(() => {
      throw new PushError(
        "invalid_input",
        `branch: git does not accept "${request.branch}" as a branch name`,
        "branch",
      );
    });
    // All on the host's own git directory (git-isolation.ts): the commit, and the push that sends it.
    const { commit, base } = await withWorkTreeIndex(dir, env, async (indexEnv) => {
      const base = await baseOf(dir, indexEnv);
      const head = await gitLine(["rev-parse", "HEAD"], dir, indexEnv);
      const tree = await gitLine(["write-tree"], dir, indexEnv);
      const headTree = await gitLine(["rev-parse", "HEAD^{tree}"], dir, indexEnv);
      let commit = head; // the agent committed everything itself
      if (tree !== headTree)
        commit = await gitLine(["commit-tree", tree, "-p", head, "-m", request.message], dir, indexEnv);
      else if (head === base.commit)
        throw new PushError("nothing_to_push", "nothing changed since the repository was cloned");
      await gitLine(
        ["push", "--porcelain", "--", repo.url, `${commit}:refs/heads/${request.branch}`],
        dir,
        indexEnv,
      ).catch((error: unknown) => {
        throw new PushError(
          "push_rejected",
          `git refused the push: ${error instanceof Error ? error.message : String(error)}`,
        );
      });
      return { commit, base };
    });
    const baseBranch = repo.branch ?? base.branch;
    const pullRequestUrl =
      request.pullRequest && baseBranch
        ? await openPullRequest(ctx, repo.url, request.branch, baseBranch, request.pullRequest)
        : undefined;
    return { repo: repo.url, branch: request.branch, commit, ...(pullRequestUrl && { pullRequestUrl }) };
  } catch (error) {
    if (error instanceof PushError) throw error;
    throw new PushError("push_rejected", error instanceof GitError ? error.message : String(error));
  }
}
