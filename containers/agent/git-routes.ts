/**
 * The agent host's git requests from the room (signed like every request to it): GET …/changes and
 * POST …/push. Every answer passes through the session's redaction: git's messages may quote anything.
 */
import type { IncomingMessage, ServerResponse } from "node:http";
import path from "node:path";
import { AgentPushSchema, type Changes } from "../../worker/protocol/git";
import { repoChanges } from "./changes";
import { pushChanges, PushError, type PushErrorCode } from "./push";
import type { Session } from "./session";
import { repoDirs } from "./workspace";

export const GIT_PATH = /^\/sessions\/([^/]+)\/(changes|push)$/;
const PUSH_BODY_MAX_BYTES = 128 * 1024;
const PUSH_STATUS: Record<PushErrorCode, number> = { invalid_input: 400, github_token_missing: 400, nothing_to_push: 409, push_rejected: 409, github_error: 502 };

function reply(res: ServerResponse, session: Session, status: number, body: unknown): void {
  res.writeHead(status, { "content-type": "application/json" }).end(session.redact(JSON.stringify(body)));
}

const refusal = (code: string, message: string, field?: string) => ({ error: { code, message, ...(field && { field }) } });

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

export async function serveGitRequest(req: IncomingMessage, res: ServerResponse, session: Session | undefined, action: "changes" | "push"): Promise<void> {
  const git = session?.git;
  if (!session || !git) {
    res.writeHead(409, { "content-type": "application/json" }).end(JSON.stringify(refusal("agent_not_running", "the agent has no cloned workspace right now")));
    return;
  }
  if (action === "changes" && req.method === "GET") {
    const dirs = repoDirs(git.repos);
    const changes: Changes = { repos: await Promise.all(git.repos.map((repo, i) => repoChanges(path.join(git.workspace, dirs[i]), repo, git.env))) };
    return reply(res, session, 200, changes);
  }
  if (action === "push" && req.method === "POST") {
    const parsed = AgentPushSchema.safeParse(await readBody(req).catch(() => null));
    if (!parsed.success) return reply(res, session, 400, refusal("invalid_input", parsed.error.issues[0]?.message ?? "invalid push request"));
    try {
      return reply(res, session, 200, await pushChanges(git, parsed.data));
    } catch (error) {
      if (!(error instanceof PushError)) throw error;
      return reply(res, session, PUSH_STATUS[error.code], refusal(error.code, error.message, error.field));
    }
  }
  res.writeHead(405, { "content-type": "application/json" }).end(JSON.stringify(refusal("method_not_allowed", "method not allowed")));
}
