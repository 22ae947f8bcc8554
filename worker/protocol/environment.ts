/**
 * The environment of a workspace (SPEC §10): a setup script that runs in Creating after the clone, and
 * non-secret variables every session's processes get. The agent (containers/agent) imports this module:
 * nothing here may depend on Workers APIs.
 */
import { z } from "zod";

/** The longest setup script, in UTF-8 bytes. */
export const SETUP_SCRIPT_MAX_BYTES = 64 * 1024;
export const ENV_NAME = /^[A-Z_][A-Z0-9_]*$/;
export const ENV_MAX_VARIABLES = 100;
export const ENV_VALUE_MAX_CHARS = 4096;

/**
 * Names the host sets for itself: a workspace variable would break the agent (its model route, its own
 * directories) or pose as Tandem. Secrets' names are refused too, by the route (they are the workspace's).
 */
const RESERVED_PREFIXES = ["ANTHROPIC_", "CLAUDE_", "TANDEM_", "GIT_"];
const RESERVED_NAMES = new Set(["HOME", "TMPDIR", "WORKSPACE", "IS_SANDBOX", "USER", "SHELL"]);
export const isReservedEnvName = (name: string) =>
  RESERVED_NAMES.has(name) || RESERVED_PREFIXES.some((prefix) => name.startsWith(prefix));

const utf8Bytes = (text: string) => new TextEncoder().encode(text).length;

export const EnvironmentSchema = z.strictObject({
  setupScript: z
    .string()
    .refine(
      (script) => utf8Bytes(script) <= SETUP_SCRIPT_MAX_BYTES,
      `must be at most ${SETUP_SCRIPT_MAX_BYTES / 1024} KB`,
    )
    .refine((script) => !script.includes("\0"), "must not contain NUL"),
  env: z
    .record(
      z
        .string()
        .regex(
          ENV_NAME,
          "must be an environment variable name: capitals, digits, underscores, not starting with a digit",
        )
        .refine((name) => !isReservedEnvName(name), "is set by Tandem itself"),
      z
        .string()
        .max(ENV_VALUE_MAX_CHARS)
        .refine((value) => !value.includes("\0"), "must not contain NUL"),
    )
    .refine((env) => Object.keys(env).length <= ENV_MAX_VARIABLES, `at most ${ENV_MAX_VARIABLES} variables`),
});
export type Environment = z.infer<typeof EnvironmentSchema>;

export const WorkspaceEnvironmentSchema = EnvironmentSchema.extend({
  updatedAt: z.number().nullable(),
  updatedBy: z.string().nullable(),
});
export type WorkspaceEnvironment = z.infer<typeof WorkspaceEnvironmentSchema>;

export const EMPTY_ENVIRONMENT: Environment = { setupScript: "", env: {} };

/** A warm start's key: the SHA-256 (hex) of the script, the env and each repository's commit, computed by the agent after the clone. */
export const EnvironmentKeySchema = z.string().regex(/^[0-9a-f]{64}$/);

/** Where the setup's result waits for the next session with the same key; under the workspace, never a session. */
export const environmentArchiveKey = (workspaceId: string, key: string) =>
  `${environmentsPrefix(workspaceId)}${key}.tar.gz`;
export const environmentsPrefix = (workspaceId: string) => `workspaces/${workspaceId}/environments/`;

/**
 * The saved environments a workspace keeps: the newest three. A key names every repository's commit, so each
 * new commit set up makes a new archive (up to the workspace cap each); kept forever they would only grow,
 * while a warm start needs the commit sessions start from now (main's tip, a branch or two).
 */
export const ENVIRONMENTS_KEPT = 3;

/** On the agent: GET the environment archive after a setup; PUT one to restore, or a PUT with ENVIRONMENT_MISSING_HEADER to run the setup. */
export function agentEnvironmentPath(sessionId: string): string {
  return `/sessions/${encodeURIComponent(sessionId)}/environment`;
}
export const ENVIRONMENT_MISSING_HEADER = "x-tandem-environment-missing";

/** Where a setup step came from: the workspace's script, or a repository's own `.tandem/setup.sh`. */
export const REPO_SETUP_FILE = ".tandem/setup.sh";
