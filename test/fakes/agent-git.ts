/**
 * The fake agent host's git requests (the real ones are containers/agent/git-routes.ts): changes list the
 * fake workspace's files as added, each line of their text a line of diff; a push is recorded and answered
 * with a made-up commit (and pull request), or refused with the code a message scripted: "/push-refuse <code>".
 * The workbench (a stopped session's saved workspace) answers the same from the line and the fake archive
 * (the files as JSON) the room sends, as the real containers/agent/workbench.ts does; `workbenchCalls` counts them.
 */
import type { IncomingMessage, ServerResponse } from "node:http";
import { WorkbenchLineSchema, type AgentPush, type Changes, type PushResult } from "@tandem/protocol/git";
import type { Repo } from "@tandem/protocol/session-config";

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
      const files = Object.entries(session.files).filter(
        ([file]) => file.startsWith(prefix) && !file.endsWith("README.md"),
      );
      return {
        url: repo.url,
        branch: repo.branch ?? "main",
        baseCommit: "0".repeat(40),
        files: files.map(([file, text]) => ({
          path: file.slice(prefix.length),
          status: "added" as const,
          additions: text.split("\n").length,
          deletions: 0,
          binary: false,
        })),
        diff: files
          .map(
            ([file, text]) =>
              `diff --git a/${file.slice(prefix.length)} b/${file.slice(prefix.length)}\n${text
                .split("\n")
                .map((line) => `+${line}`)
                .join("\n")}\n`,
          )
          .join(""),
        diffTruncated: false,
      };
    }),
  };
}

export async function fakeGitRequest(
  req: IncomingMessage,
  res: ServerResponse,
  session: FakeGitSession | undefined,
  action: string,
): Promise<void> {
  const json = (status: number, body: unknown): void =>
    void res.writeHead(status, { "content-type": "application/json" }).end(JSON.stringify(body));
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
  const result: PushResult = {
    repo: repo?.url ?? "",
    branch: push.branch,
    commit: "f".repeat(40),
    ...(push.pullRequest && {
      pullRequestUrl: `https://github.example/acme/app/pull/${session.pushes.length}`,
    }),
  };
  json(200, result);
}

/** POST /sessions/:id/workbench/(changes|push): one JSON line, then the fake archive. */
export async function fakeWorkbench(
  req: IncomingMessage,
  res: ServerResponse,
  live: FakeGitSession | undefined,
  action: string,
): Promise<void> {
  const json = (status: number, body: unknown): void =>
    void res.writeHead(status, { "content-type": "application/json" }).end(JSON.stringify(body));
  const parts: Buffer[] = [];
  for await (const chunk of req) parts.push(chunk as Buffer);
  const body = Buffer.concat(parts).toString("utf8");
  const end = body.indexOf("\n");
  const line = WorkbenchLineSchema.safeParse(end < 0 ? null : JSON.parse(body.slice(0, end)));
  if (!line.success) return json(400, { error: { code: "invalid_input", message: "bad first line" } });
  let files: Record<string, string>;
  try {
    files = JSON.parse(body.slice(end + 1)) as Record<string, string>;
  } catch {
    return json(400, {
      error: { code: "bad_archive", message: "the saved workspace could not be unpacked" },
    });
  }
  workbenchCalls.push({ action, secrets: line.data.secrets, files });
  // Pushes are recorded on the session the fake still knows (what the room asked), refusals scripted there too.
  const session: FakeGitSession = {
    start: { repos: line.data.repos },
    files,
    pushes: live?.pushes ?? [],
    pushRefusal: live?.pushRefusal ?? null,
  };
  if (action === "changes") return json(200, fakeChanges(session));
  const push = line.data.push;
  if (!push) return json(400, { error: { code: "invalid_input", message: "push: missing", field: "push" } });
  session.pushes.push(push);
  if (session.pushRefusal)
    return json(session.pushRefusal.status, {
      error: { code: session.pushRefusal.code, message: session.pushRefusal.message },
    });
  const repo = session.start.repos.find((r) => r.url === push.repo) ?? session.start.repos[0];
  const result: PushResult = {
    repo: repo?.url ?? "",
    branch: push.branch,
    commit: "e".repeat(40),
    ...(push.pullRequest && {
      pullRequestUrl: `https://github.example/acme/app/pull/${session.pushes.length}`,
    }),
  };
  json(200, result);
}

/** What the workbench was asked, for the control API: the action, the secrets and files it was sent. */
export const workbenchCalls: {
  action: string;
  secrets: Record<string, string>;
  files: Record<string, string>;
}[] = [];
