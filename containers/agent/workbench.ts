/**
 * Changes and push of a session no agent runs for (Stopped, Completed, Failed), from its saved workspace:
 * POST /sessions/:id/workbench/(changes|push), signed like every request to the host. The body is one
 * JSON line (WorkbenchLineSchema: the repos and secrets a start frame would carry, and the push) and then
 * the workspace's tar.gz, unpacked as a restore unpacks it into a fresh directory of its own (never the
 * session's workspace, so a resume at the same moment cannot clash), which is removed afterwards, whatever
 * happened. The git work and the answers are git-routes.ts's, as for a live session: git on a git directory
 * of the host's own making beside each repository (git-isolation.ts: a minimal config, nothing the saved
 * `.git` configures runs), with no secret to read changes and only GITHUB_TOKEN (and GITHUB_API_URL) to push.
 */
import type { IncomingMessage, ServerResponse } from "node:http";
import { mkdtemp, rm } from "node:fs/promises";
import path from "node:path";
import { Readable } from "node:stream";
import { WORKBENCH_LINE_MAX_BYTES, WorkbenchLineSchema, type GitAction } from "@tandem/protocol/git";
import { extractArchive } from "./archive";
import { answerGit, refusal, reply, type GitAnswer } from "./git-routes";
import { Redactor, childEnv } from "./secrets";
import { repoDirs } from "./workspace";

export const WORKBENCH_PATH = /^\/sessions\/([^/]+)\/workbench\/(changes|push)$/;

export interface WorkbenchOptions {
  /** The host's directory for these temporary workspaces: outside every session's workspace. */
  root: string;
  archiveMaxBytes: number;
  /** The host's own keys, redacted from every answer like the session's secrets. */
  hostSecrets: string[];
}

const NEWLINE = 0x0a;

/**
 * Splits a body into its first line and the bytes after it, counting every byte against `max`; the rest is
 * read on demand (tar's pace). `over` says whether the body went past `max`.
 */
async function splitFirstLine(
  req: IncomingMessage,
  max: number,
): Promise<{ line: string | null; rest: Readable; over: () => boolean; discard: () => void }> {
  const chunks = req[Symbol.asyncIterator]() as AsyncIterator<Buffer>;
  let seen = 0;
  let over = false;
  const count = (chunk: Buffer) => {
    seen += chunk.length;
    if (seen > max) {
      over = true;
      throw new Error(`the body is over ${max} bytes`);
    }
    return chunk;
  };
  let head = Buffer.alloc(0);
  let line: string | null = null;
  let leftover = Buffer.alloc(0);
  for (;;) {
    const next = await chunks.next();
    if (next.done) break;
    head = Buffer.concat([head, count(next.value)]);
    const end = head.indexOf(NEWLINE);
    if (end >= 0) {
      if (end <= WORKBENCH_LINE_MAX_BYTES) line = head.subarray(0, end).toString("utf8");
      leftover = head.subarray(end + 1);
      break;
    }
    if (head.length > WORKBENCH_LINE_MAX_BYTES) break;
  }
  async function* rest() {
    if (leftover.length > 0) yield leftover;
    for (;;) {
      const next = await chunks.next();
      if (next.done) return;
      yield count(next.value);
    }
  }
  /**
   * Reads what is left and drops it, so an early answer reaches a client still sending (the iterator's
   * listener makes `req.resume()` a no-op); past the cap the request is dropped instead.
   */
  const discard = () =>
    void (async () => {
      for (;;) {
        const next = await chunks.next();
        if (next.done) return;
        count(next.value);
      }
    })().catch(() => req.destroy());
  return { line, rest: Readable.from(rest(), { objectMode: false }), over: () => over, discard };
}

function parseLine(line: string | null) {
  if (line === null) return null;
  try {
    return WorkbenchLineSchema.safeParse(JSON.parse(line));
  } catch {
    return null;
  }
}

export async function serveWorkbench(
  req: IncomingMessage,
  res: ServerResponse,
  action: GitAction,
  options: WorkbenchOptions,
): Promise<void> {
  const plain = (text: string) => text;
  if (req.method !== "POST")
    return reply(res, plain, 405, refusal("method_not_allowed", "method not allowed"));
  const max = WORKBENCH_LINE_MAX_BYTES + 1 + options.archiveMaxBytes;
  const tooLarge = () => {
    res.setHeader("connection", "close");
    reply(
      res,
      plain,
      413,
      refusal(
        "too_large",
        `a workbench request is at most ${max} bytes: a ${WORKBENCH_LINE_MAX_BYTES}-byte line and a workspace archive`,
      ),
    );
  };
  const declared = Number(req.headers["content-length"]);
  if (Number.isFinite(declared) && declared > max) return tooLarge();
  const { line, rest, over, discard } = await splitFirstLine(req, max);
  const parsed = parseLine(line);
  if (!parsed?.success) {
    const issue = parsed?.error.issues[0];
    const message =
      line === null
        ? `the body must start with one JSON line of at most ${WORKBENCH_LINE_MAX_BYTES} bytes`
        : issue
          ? `${issue.path.join(".") || "line"}: ${issue.message}`
          : "the first line is not JSON";
    discard();
    return reply(res, plain, 400, refusal("invalid_input", message, issue?.path.join(".") || undefined));
  }
  const { repos, secrets, push } = parsed.data;
  const redactor = new Redactor([...Object.values(secrets), ...options.hostSecrets]);
  const redact = (text: string) => redactor.text(text);
  if (action === "push" && !push) {
    discard();
    return reply(
      res,
      redact,
      400,
      refusal("invalid_input", "push: the push request is missing from the first line", "push"),
    );
  }
  const dir = await mkdtemp(path.join(options.root, "workbench-"));
  let answer: GitAnswer | "too_large";
  try {
    answer = await extractArchive(dir, rest)
      .then(async () => {
        // A saved repository's objects are its own: alternates it names (another workspace's) are not read.
        for (const repoDir of repoDirs(repos))
          await rm(path.join(dir, repoDir, ".git", "objects", "info", "alternates"), { force: true });
      })
      .then(
        () =>
          answerGit(
            { workspace: dir, repos, env: childEnv(secrets, dir), secrets },
            push && action === "push" ? { action, push } : { action: "changes" },
          ),
        (error: unknown): GitAnswer | "too_large" =>
          over()
            ? "too_large"
            : {
                status: 400,
                body: refusal(
                  "bad_archive",
                  `the saved workspace could not be unpacked: ${error instanceof Error ? error.message : String(error)}`,
                ),
              },
      );
  } finally {
    // Gone before the answer: whatever happened, nothing of the workspace stays on the host.
    await rm(dir, { recursive: true, force: true });
  }
  if (answer === "too_large") return tooLarge();
  discard();
  reply(res, redact, answer.status, answer.body);
}
