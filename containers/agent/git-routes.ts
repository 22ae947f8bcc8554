/**
 * The agent host's git requests from the room (signed like every request to it): GET …/changes and
 * POST …/push on a live session's workspace, and the same two on a saved workspace (workbench.ts). Both
 * run `answerGit`, so they answer alike: git on a git directory of the host's own (git-isolation.ts), with
 * no secret to read changes and only the token (and its GitHub's API URL) to push; every answer passes through the session's
 * redaction: git's messages may quote anything.
 */
import type { IncomingMessage, ServerResponse } from "node:http";
import path from "node:path";
import {
  AgentPushSchema,
  PUSH_SECRET_NAMES,
  type AgentPush,
  type Changes,
  type GitAction,
} from "@tandem/protocol/git";
import { repoChanges } from "./changes";
import { pushChanges, PushError, type PushContext, type PushErrorCode } from "./push";
import type { Session } from "./session";
import { repoDirs } from "./workspace";

export const GIT_PATH = /^\/sessions\/([^/]+)\/(changes|push)$/;
const PUSH_BODY_MAX_BYTES = 128 * 1024;
const PUSH_STATUS: Record<PushErrorCode, number> = {
  invalid_input: 400,
  github_token_missing: 400,
  nothing_to_push: 409,
  push_rejected: 409,
  github_error: 502,
};

export function reply(
  res: ServerResponse,
  redact: (text: string) => string,
  status: number,
  body: unknown,
): void {
  res.writeHead(status, { "content-type": "application/json" }).end(redact(JSON.stringify(body)));
}

export const refusal = (code: string, message: string, field?: string) => ({
  error: { code, message, ...(field && { field }) },
});

async function readBody(req: IncomingMessage): Promise<unknown> {
  let size = 0;
  const parts: Buffer[] = [];
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > PUSH_BODY_MAX_BYTES) throw new Error("body too large");
    parts.push(chunk);
  }
  return JSON.parse(Buffer.concat(parts).toString("utf8"));
}

export interface GitAnswer {
  status: number;
  body: unknown;
}

/**
 * The context with only the secrets the action needs, in its environment too: none to read changes, the
 * token to push. Whatever a repository could make git run never sees the rest.
 */
export function forAction(git: PushContext, action: GitAction): PushContext {
  const keep = action === "push" ? PUSH_SECRET_NAMES : [];
  const env = { ...git.env };
  const secrets: Record<string, string> = {};
  for (const [name, value] of Object.entries(git.secrets)) {
    if (keep.includes(name)) secrets[name] = value;
    else delete env[name];
  }
  return { ...git, env, secrets };
}

/** The changes of every repository, or a push of one: the same for a live and a saved workspace. */
export async function answerGit(
  context: PushContext,
  request: { action: "changes" } | { action: "push"; push: AgentPush },
): Promise<GitAnswer> {
  const git = forAction(context, request.action);
  if (request.action === "changes") {
    const dirs = repoDirs(git.repos);
    const changes: Changes = {
      repos: await Promise.all(
        git.repos.map((repo, i) => repoChanges(path.join(git.workspace, dirs[i]), repo, git.env)),
      ),
    };
    return { status: 200, body: changes };
  }
  try {
    return { status: 200, body: await pushChanges(git, request.push) };
  } catch (error) {
    if (!(error instanceof PushError)) throw error;
    return { status: PUSH_STATUS[error.code], body: refusal(error.code, error.message, error.field) };
  }
}

export async function serveGitRequest(
  req: IncomingMessage,
  res: ServerResponse,
  session: Session | undefined,
  action: GitAction,
): Promise<void> {
  const git = session?.git;
  if (!session || !git) {
    res
      .writeHead(409, { "content-type": "application/json" })
      .end(JSON.stringify(refusal("agent_not_running", "the agent has no cloned workspace right now")));
    return;
  }
  const redact = (text: string) => session.redact(text);
  const send = ({ status, body }: GitAnswer) => reply(res, redact, status, body);
  if (action === "changes" && req.method === "GET") return send(await answerGit(git, { action }));
  if (action === "push" && req.method === "POST") {
    const parsed = AgentPushSchema.safeParse(await readBody(req).catch(() => null));
    if (!parsed.success)
      return reply(
        res,
        redact,
        400,
        refusal("invalid_input", parsed.error.issues[0]?.message ?? "invalid push request"),
      );
    return send(await answerGit(git, { action, push: parsed.data }));
  }
  res
    .writeHead(405, { "content-type": "application/json" })
    .end(JSON.stringify(refusal("method_not_allowed", "method not allowed")));
}
