/** Keeping workspace secrets out of everything but the environment of spawned processes. */
import { gitCredentialEnv } from "./git-auth";

// One redaction for the agent and the room: the value itself, its base64 and URL-encoded forms.
export { Redaction as Redactor } from "@tandem/protocol/redaction";

/** Host variables a spawned command may see; the host's own keys (e.g. ANTHROPIC_API_KEY) are not among them. */
const INHERITED_ENV = ["PATH", "HOME", "LANG", "LC_ALL", "TMPDIR", "TZ", "SHELL", "USER", "COREPACK_HOME"];

/** The environment for processes the agent spawns (bash tool, git): a clean base, the session's secrets, and git's credential helper. */
export function childEnv(secrets: Record<string, string>, workspace: string): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const name of INHERITED_ENV) if (process.env[name] !== undefined) env[name] = process.env[name];
  return {
    ...env,
    TERM: "dumb",
    GIT_TERMINAL_PROMPT: "0",
    WORKSPACE: workspace,
    ...secrets,
    ...gitCredentialEnv(secrets),
  };
}
