/**
 * The fake agent host's git requests (the real ones are containers/agent/git-routes.ts): changes list the
 * fake workspace's files as added, each line of their text a line of diff; a push is recorded and answered
 * with a made-up commit (and pull request), or refused with the code a message scripted: "/push-refuse <code>".
 */
import type { IncomingMessage, ServerResponse } from "node:http";
import type { AgentPush, Changes, PushResult } from "../../worker/protocol/git";
import type { Repo } from "../../worker/protocol/session-config";

export interface FakeGitSession {
  start: { repos: Repo[] };
  files: Record<string, string>;
  pushes: AgentPush[];
  pushRefusal: { status: number; code: string; message: string } | null;
}

export function fakeChanges(session: FakeGitSession): Changes {
  return {
    repos: session.start.repos.map((repo, index) => {
      const prefix = `repo-${index + 1}/`;
      const files = Object.entries(session.files).filter(([file]) => file.startsWith(prefix) && !file.endsWith("README.md"));
      return {
        url: repo.url,
        branch: repo.branch ?? "main",
        baseCommit: "0".repeat(40),
        files: files.map(([file, text]) => ({ path: file.slice(prefix.length), status: "added" as const, additions: text.split("\n").length, deletions: 0, binary: false })),
        diff: files.map(([file, text]) => `diff --git a/${file.slice(prefix.length)} b/${file.slice(prefix.length)}\n${text.split("\n").map((line) => `+${line}`).join("\n")}\n`).join(""),
        diffTruncated: false,
      };
    }),
  };
}

export async function fakeGitRequest(req: IncomingMessage, res: ServerResponse, session: FakeGitSession | undefined, action: string): Promise<void> {
  const json = (status: number, body: unknown): void => void res.writeHead(status, { "content-type": "application/json" }).end(JSON.stringify(body));
  if (!session) return json(409, { error: { code: "agent_not_running", message: "no such session" } });
  if (action === "changes") return json(200, fakeChanges(session));
  let text = "";
  for await (const chunk of req) text += (chunk as Buffer).toString("utf8");
  const push = JSON.parse(text) as AgentPush;
  session.pushes.push(push);
  if (session.pushRefusal) {
    const { status, code, message } = session.pushRefusal;
    return json(status, { error: { code, message } });
  }
  const repo = session.start.repos.find((r) => r.url === push.repo) ?? session.start.repos[0];
  const result: PushResult = { repo: repo?.url ?? "", branch: push.branch, commit: "f".repeat(40), ...(push.pullRequest && { pullRequestUrl: `https://github.example/acme/app/pull/${session.pushes.length}` }) };
  json(200, result);
}
