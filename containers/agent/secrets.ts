/** Keeping workspace secrets out of everything but the environment of spawned processes. */

export const REDACTED = "[redacted]";

/** Values shorter than this are not redacted: replacing every "1" or "on" would garble all output. */
const MIN_SECRET_LENGTH = 4;

export class Redactor {
  readonly #values: string[];

  constructor(values: Iterable<string>) {
    // Longest first, so a secret that contains another is replaced whole.
    this.#values = [...new Set(values)].filter((v) => v.length >= MIN_SECRET_LENGTH).sort((a, b) => b.length - a.length);
  }

  text(input: string): string {
    let out = input;
    for (const value of this.#values) if (out.includes(value)) out = out.split(value).join(REDACTED);
    return out;
  }

  /** Redacts every string inside a JSON-like value (frames, tool inputs). */
  deep<T>(value: T): T {
    return this.#deep(value) as T;
  }

  #deep(value: unknown): unknown {
    if (typeof value === "string") return this.text(value);
    if (Array.isArray(value)) return value.map((v) => this.#deep(v));
    if (value !== null && typeof value === "object") {
      const out: Record<string, unknown> = {};
      for (const [k, v] of Object.entries(value)) out[k] = this.#deep(v);
      return out;
    }
    return value;
  }
}

/** Host variables a spawned command may see; the host's own keys (e.g. ANTHROPIC_API_KEY) are not among them. */
const INHERITED_ENV = ["PATH", "HOME", "LANG", "LC_ALL", "TMPDIR", "TZ", "SHELL", "USER"];

/** The environment for processes the agent spawns (bash tool, git): a clean base plus the session's secrets. */
export function childEnv(secrets: Record<string, string>, workspace: string): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const name of INHERITED_ENV) if (process.env[name] !== undefined) env[name] = process.env[name];
  return { ...env, TERM: "dumb", GIT_TERMINAL_PROMPT: "0", WORKSPACE: workspace, ...secrets };
}
