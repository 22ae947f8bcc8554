/**
 * How one incarnation's Claude Code is started: its environment and the `query()` options. The CLI sees the
 * session's agent secrets and nothing of the host: its model endpoint is the gateway's route with a dummy
 * key (the real key stays in the host), HOME, TMPDIR and CLAUDE_CONFIG_DIR are the session's own (so the
 * user's shell start-up files, which Claude Code's Bash would load, play no part), and COREPACK_HOME keeps
 * the user's corepack cache, where the image put pnpm and yarn for offline use.
 *
 * What a repository (or the agent, on a later resume) may configure is limited to instructions: project
 * settings, hooks, MCP servers, skills and agents come from Tandem's own project directory
 * (`projectConfigRoot`), never from the workspace; every CLAUDE.md in the workspace or the config directory
 * is excluded, and the cloned commit's CLAUDE.md and AGENTS.md are in Tandem's append instead (state.ts).
 */
import type { CanUseTool, Options, SpawnOptions, SpawnedProcess } from "@anthropic-ai/claude-agent-sdk";
import path from "node:path";
import type { SessionConfig } from "@tandem/protocol/session-config";
import { childEnv } from "../secrets";
import { claudeMode } from "./permissions";
import type { SessionMcp } from "./mcp";
import type { SessionPaths } from "./state";

/** What the CLI holds as its key: the gateway never reads or forwards it. */
export const DUMMY_API_KEY = "sk-ant-tandem-gateway-route";

/** Claude Code's retries of a failed model request (its default is 10, minutes of backoff before a turn fails). */
const MAX_RETRIES = "2";

/** How long Claude Code waits for an MCP server to connect before it reports it failed. */
const MCP_CONNECT_TIMEOUT_MS = "10000";

/** Secrets that would steer Claude Code itself rather than the agent's commands: the gateway takes the model's. */
const STEERING_SECRET = /^(ANTHROPIC_|CLAUDE_)/;

/**
 * The session's own HOME and TMPDIR, for all that runs as the agent (Claude Code, the setup script): the
 * user's start-up files play no part and the host's folders are not written. Corepack's cache, under the
 * user's HOME by default, stays where the image put pnpm and yarn.
 */
export function sessionHome(env: NodeJS.ProcessEnv, paths: SessionPaths): Record<string, string> {
  const corepack =
    env.COREPACK_HOME ?? (env.HOME ? path.join(env.HOME, ".cache", "node", "corepack") : undefined);
  return { HOME: paths.home, TMPDIR: paths.tmp, ...(corepack ? { COREPACK_HOME: corepack } : {}) };
}

export function cliEnvironment(options: {
  secrets: Record<string, string>;
  workspace: string;
  paths: SessionPaths;
  baseURL: string;
  config: SessionConfig;
}): Record<string, string> {
  const { secrets, paths, config } = options;
  const agentSecrets = Object.fromEntries(
    Object.entries(secrets).filter(([name]) => !STEERING_SECRET.test(name)),
  );
  const base = childEnv(agentSecrets, options.workspace);
  const env: Record<string, string> = {};
  for (const [name, value] of Object.entries(base)) if (value !== undefined) env[name] = value;
  // Set last: no secret of the workspace can redirect the model endpoint or the session's directories.
  return {
    ...env,
    ...sessionHome(env, paths),
    CLAUDE_CONFIG_DIR: paths.claudeConfig,
    ANTHROPIC_BASE_URL: options.baseURL,
    ANTHROPIC_API_KEY: DUMMY_API_KEY,
    // Claude Code's own small-model calls and subagents ask for the session's model (the gateway forces it too).
    ANTHROPIC_DEFAULT_HAIKU_MODEL: config.model,
    ANTHROPIC_SMALL_FAST_MODEL: config.model,
    CLAUDE_CODE_SUBAGENT_MODEL: config.model,
    CLAUDE_CODE_MAX_OUTPUT_TOKENS: String(config.maxTokens),
    CLAUDE_CODE_MAX_RETRIES: MAX_RETRIES,
    // A workspace's MCP server that accepts and never answers is failed after this, not Claude Code's 30 s.
    MCP_TIMEOUT: MCP_CONNECT_TIMEOUT_MS,
    // The container is the boundary: bypassPermissions as root needs this.
    IS_SANDBOX: "1",
    CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC: "1",
    // TodoWrite (the plan the session view pins) rather than the task-list tools.
    CLAUDE_CODE_ENABLE_TASKS: "0",
    // A turn is over when Claude says so: no subagent or command keeps running behind an idle status.
    CLAUDE_CODE_DISABLE_BACKGROUND_TASKS: "1",
    // Memory Claude writes for itself would be loaded as instructions on resume: only the cloned commit's are.
    CLAUDE_CODE_DISABLE_AUTO_MEMORY: "1",
    CLAUDE_AGENT_SDK_CLIENT_APP: "tandem",
  };
}

export interface QueryOptionsInput {
  workspace: string;
  paths: SessionPaths;
  config: SessionConfig;
  env: Record<string, string>;
  append: string;
  resume: string | null;
  /** The workspace's MCP servers (mcp.ts): the only ones, strictMcpConfig keeps any other configuration out. */
  mcp: SessionMcp;
  canUseTool: CanUseTool;
  spawn(options: SpawnOptions): SpawnedProcess;
  stderr(line: string): void;
}

export function queryOptions(input: QueryOptionsInput): Options {
  const { workspace, paths, config } = input;
  return {
    cwd: workspace,
    env: input.env,
    model: config.model,
    thinking: config.thinking ? { type: "adaptive" } : { type: "disabled" },
    systemPrompt: { type: "preset", preset: "claude_code", append: input.append },
    // The session's mode (auto: bypassPermissions); skipping stays allowed so the team can switch to `auto` live.
    permissionMode: claudeMode(config.permissionMode),
    allowDangerouslySkipPermissions: true,
    canUseTool: input.canUseTool,
    settingSources: ["project"],
    projectConfigRoot: paths.project,
    settings: { claudeMdExcludes: [`${workspace}/**`, `${paths.claudeConfig}/**`] },
    managedSettings: { allowManagedHooksOnly: true },
    strictMcpConfig: true,
    mcpServers: input.mcp.configs,
    // The native build searches through Bash unless these are asked for.
    allowedTools: ["Glob", "Grep"],
    includePartialMessages: true,
    extraArgs: { "replay-user-messages": null },
    ...(input.resume ? { resume: input.resume } : {}),
    spawnClaudeCodeProcess: input.spawn,
    stderr: input.stderr,
  };
}
