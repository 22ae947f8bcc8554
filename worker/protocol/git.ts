/**
 * The git round trip as the API and the agent speak it: a session's changes against the commits
 * it cloned, and a push of them (optionally with a pull request). The room asks the agent host over HTTP
 * (like artifacts and workspace archives: bodies too large for a frame, and nothing to replay). web/
 * imports this file: no Worker-runtime imports.
 */
import { z } from "zod";
import { RepoSchema } from "./session-config";

/** Tools after which the workspace may have changed: the Changes panel refreshes when one finishes. */
export const WRITING_TOOL_NAMES = ["write_file", "edit_file", "bash"] as const;

/** A unified diff is cut here (with a marker): a session's diff is for reading, not for applying. */
export const DIFF_MAX_BYTES = 256 * 1024;

export const ChangedFileSchema = z.object({
  path: z.string(),
  status: z.enum(["added", "modified", "deleted", "type_changed"]),
  /** Lines; 0 for a binary file. */
  additions: z.int(),
  deletions: z.int(),
  binary: z.boolean(),
});
export type ChangedFile = z.infer<typeof ChangedFileSchema>;

export const RepoChangesSchema = z.object({
  url: z.string(),
  /** The branch that was cloned. */
  branch: z.string().nullable(),
  /** The commit that was cloned: the diff is against it, so the agent's own commits are included. */
  baseCommit: z.string(),
  files: z.array(ChangedFileSchema),
  diff: z.string(),
  /** The diff was longer than DIFF_MAX_BYTES and ends in a marker. */
  diffTruncated: z.boolean(),
});
export type RepoChanges = z.infer<typeof RepoChangesSchema>;

export const ChangesSchema = z.object({ repos: z.array(RepoChangesSchema) });
export type Changes = z.infer<typeof ChangesSchema>;

// Exactly as given (no trimming): a branch name is an identifier.
const BranchName = z
  .string()
  .min(1)
  .max(255)
  .regex(/^[A-Za-z0-9._\/-]+$/, "invalid branch name")
  .refine(
    (name) =>
      !name.startsWith("/") &&
      !name.endsWith("/") &&
      !name.endsWith(".lock") &&
      !name.includes("..") &&
      !name.includes("//"),
    "invalid branch name",
  );

/** POST …/sessions/:id/push. */
export const PushSchema = z.strictObject({
  /** Which repository (its URL as the session lists it); may be left out when the session has one. */
  repo: z.string().min(1).max(2000).optional(),
  /** Default: tandem/<display name>. */
  branch: BranchName.optional(),
  message: z.string().trim().min(1).max(10_000).optional(),
  pullRequest: z
    .strictObject({ title: z.string().trim().min(1).max(256), body: z.string().max(60_000).optional() })
    .optional(),
});
export type PushBody = z.infer<typeof PushSchema>;
export type NewPush = z.input<typeof PushSchema>;

/** What the room sends the agent host: the body with its defaults filled in. */
export const AgentPushSchema = z.strictObject({
  repo: z.string().min(1).max(2000).optional(),
  branch: BranchName,
  message: z.string().min(1).max(12_000),
  pullRequest: PushSchema.shape.pullRequest,
});
export type AgentPush = z.infer<typeof AgentPushSchema>;

export const PushResultSchema = z.object({
  repo: z.string(),
  branch: z.string(),
  commit: z.string(),
  pullRequestUrl: z.string().optional(),
});
export type PushResult = z.infer<typeof PushResultSchema>;

export const AgentErrorSchema = z.object({
  error: z.object({ code: z.string(), message: z.string(), field: z.string().optional() }),
});

/** The default branch of a push: `tandem/` and the session's display name as a branch-safe slug. */
export function defaultBranch(displayName: string): string {
  const slug = displayName
    .toLowerCase()
    .replace(/[^a-z0-9._-]+/g, "-")
    .replace(/\.{2,}/g, ".")
    .replace(/^[-.]+|[-.]+$/g, "")
    .slice(0, 80)
    .replace(/[-.]+$/, "")
    .replace(/\.lock$/, "-lock");
  return `tandem/${slug || "session"}`;
}

/**
 * Changes and push of a session whose agent is gone (Stopped, Completed, Failed), from its saved workspace:
 * the room POSTs this first line (what the start frame would carry), then the workspace's tar.gz, to a
 * fresh directory on the agent host. `push`: the same request the live push route takes.
 */
export const WORKBENCH_LINE_MAX_BYTES = 64 * 1024;
export const WorkbenchLineSchema = z.strictObject({
  repos: z.array(RepoSchema),
  secrets: z.record(z.string(), z.string()),
  push: AgentPushSchema.optional(),
});
export type WorkbenchLine = z.infer<typeof WorkbenchLineSchema>;
export type GitAction = "changes" | "push";

/**
 * The only secrets the host's git gets, and only to push: the token, and the GitHub it belongs to (its API
 * URL names the git host the token is for: GitHub Enterprise). Reading changes gets none.
 */
export const PUSH_SECRET_NAMES: readonly string[] = ["GITHUB_TOKEN", "GITHUB_API_URL"];

export function agentWorkbenchPath(sessionId: string, action: GitAction): string {
  return `/sessions/${encodeURIComponent(sessionId)}/workbench/${action}`;
}
