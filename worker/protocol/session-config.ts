import { z } from "zod";
import { EffortSchema, MODEL_IDS } from "./models";

/** The models a session may run: the catalog in ./models (ids, labels, limits, prices, end of life, capabilities). */
export { EFFORTS, MODEL_IDS, MODEL_LABELS, type Effort, type ModelId } from "./models";

export const BUILTIN_WORKFLOWS = ["bug-fix", "triage", "spec-writing"] as const;

export const LIMITS = {
  displayName: { min: 1, max: 100 },
  temperature: { min: 0, max: 2, default: 0.7 },
  maxTokens: { min: 100, max: 8000, default: 4000 },
  timeoutSeconds: { min: 60, max: 1800, default: 300 },
  /** A workspace setting: a Running session idle this long is stopped. */
  idleStopMinutes: { min: 1, max: 1440, default: 15 },
  /** Extended thinking needs room for a thinking budget below max_tokens. */
  thinkingMinMaxTokens: 1025,
  repos: { max: 10 },
  prompt: { max: 100_000 },
} as const;

export const RepoSchema = z.object({
  url: z
    .string()
    .trim()
    .min(1)
    .max(2000)
    .refine((url) => /^(https?:\/\/|git@|ssh:\/\/|file:\/\/|\/)/.test(url), "must be a git URL"),
  branch: z
    .string()
    .trim()
    .min(1)
    .max(255)
    .regex(/^[A-Za-z0-9._\/-]+$/, "invalid branch name")
    .optional(),
});
export type Repo = z.infer<typeof RepoSchema>;

/**
 * Whether a repository URL carries credentials (`https://user:token@host/…`, `ssh://user:password@…`).
 * A credential in a URL would show wherever the URL does (the sidebar, exports, a share link's guest,
 * `.git/config` in saved workspaces), so sessions refuse them: a `GITHUB_TOKEN` secret reaches git
 * through a credential helper instead. `git@host:…` names a user, not a secret, and stays allowed.
 */
export function urlHasCredentials(url: string): boolean {
  if (!URL.canParse(url)) return false;
  const { protocol, username, password } = new URL(url);
  if (protocol === "http:" || protocol === "https:") return username !== "" || password !== "";
  return password !== "";
}

/** The URL with any credentials removed: what the shared document shows of a session stored before the rule. */
export function withoutCredentials(url: string): string {
  if (!urlHasCredentials(url)) return url;
  const parsed = new URL(url);
  parsed.username = "";
  parsed.password = "";
  return parsed.toString();
}

/** A repository as a person names it: a URL with no credentials in it. */
export const RepoInputSchema = RepoSchema.refine((repo) => !urlHasCredentials(repo.url), {
  message: "a repository URL must not carry credentials: store a GITHUB_TOKEN workspace secret instead",
  path: ["url"],
});

export const WorkflowNameSchema = z
  .string()
  .trim()
  .min(1)
  .max(64)
  .regex(/^[a-z0-9][a-z0-9-]*$/, "workflow names are lower-case words joined by '-'");

/**
 * Who decides a tool call: `auto` (the container is the boundary), `ask` (an owner or editor approves each
 * call Claude Code asks permission for), `plan` (Claude proposes a plan first, which the team approves).
 */
export const PERMISSION_MODES = ["auto", "ask", "plan"] as const;
export const PermissionModeSchema = z.enum(PERMISSION_MODES);
export type PermissionMode = z.infer<typeof PermissionModeSchema>;

/** The settings that drive the agent; stored with the session and sent in `start`. */
export const SessionConfigSchema = z.object({
  model: z.enum(MODEL_IDS),
  /** Stored and shown, never sent: API version 2026-10-21 refuses sampling parameters. */
  temperature: z.number().min(LIMITS.temperature.min).max(LIMITS.temperature.max),
  maxTokens: z.number().int().min(LIMITS.maxTokens.min).max(LIMITS.maxTokens.max),
  timeoutSeconds: z.number().int().min(LIMITS.timeoutSeconds.min).max(LIMITS.timeoutSeconds.max),
  thinking: z.boolean(),
  /** `output_config.effort`; null: the model's default. Sessions stored before it have none. */
  effort: EffortSchema.nullable().default(null),
  /** false: the session completes when a turn ends with nothing queued (triggers, schedules). */
  interactive: z.boolean(),
  /** Sessions stored before permission modes run as they did: `auto`. Changeable while Running. */
  permissionMode: PermissionModeSchema.default("auto"),
});
export type SessionConfig = z.infer<typeof SessionConfigSchema>;

/** A workflow as the agent receives it: a system-prompt addition and a first-message template. */
export const WorkflowSchema = z.object({
  name: WorkflowNameSchema,
  systemPrompt: z.string().max(20_000),
  firstMessage: z.string().max(20_000),
});
export type Workflow = z.infer<typeof WorkflowSchema>;
