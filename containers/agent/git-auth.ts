/**
 * How a workspace's GITHUB_TOKEN reaches git: a credential helper scoped to GitHub's git host (and to the
 * git host of GITHUB_API_URL, for GitHub Enterprise or a test's fake), configured through git's
 * GIT_CONFIG_COUNT/KEY/VALUE environment. The helper reads the token from the environment when git asks,
 * so it is never in a URL, an argument (what `ps` shows), a config file, the transcript or a log line.
 */

/** Prints the credential for `get` only; the token comes from the environment at that moment. */
const HELPER =
  '!f() { test "$1" = get || exit 0; echo username=x-access-token; echo "password=$GITHUB_TOKEN"; }; f';

const PUBLIC_API_HOST = "api.github.com";
export const PUBLIC_GIT_HOST = "https://github.com";

/** The git host that goes with a GitHub API URL: github.com for the public API, else the API's origin. */
export function gitHostOf(apiURL: string | undefined): string | null {
  if (!apiURL || !URL.canParse(apiURL)) return null;
  const url = new URL(apiURL);
  if (url.protocol !== "https:" && url.protocol !== "http:") return null;
  return url.hostname === PUBLIC_API_HOST ? PUBLIC_GIT_HOST : url.origin;
}

/** The environment that gives git the helper; empty without a token (git then fails as it would, asking for one). */
export function gitCredentialEnv(
  secrets: Record<string, string>,
  hostEnv: NodeJS.ProcessEnv = process.env,
): Record<string, string> {
  if (!secrets.GITHUB_TOKEN) return {};
  const hosts = new Set([PUBLIC_GIT_HOST]);
  const extra = gitHostOf(secrets.GITHUB_API_URL ?? hostEnv.GITHUB_API_URL);
  if (extra) hosts.add(extra);
  // The empty value first: it drops helpers configured elsewhere for the host, so no store keeps the token.
  const entries = [...hosts].flatMap((host) => [
    [`credential.${host}.helper`, ""],
    [`credential.${host}.helper`, HELPER],
  ]);
  const env: Record<string, string> = { GIT_CONFIG_COUNT: String(entries.length) };
  for (const [index, [key, value]] of entries.entries()) {
    env[`GIT_CONFIG_KEY_${index}`] = key;
    env[`GIT_CONFIG_VALUE_${index}`] = value;
  }
  return env;
}

/**
 * One more git setting through the environment (after any GIT_CONFIG_* already there). With Claude Code run
 * as another user, the host's own git (changes, push) works on repositories that user owns: git refuses
 * them as "dubious ownership" unless they are named safe.
 */
export function withGitConfig(env: NodeJS.ProcessEnv, key: string, value: string): NodeJS.ProcessEnv {
  const count = Number(env.GIT_CONFIG_COUNT ?? 0);
  return {
    ...env,
    GIT_CONFIG_COUNT: String(count + 1),
    [`GIT_CONFIG_KEY_${count}`]: key,
    [`GIT_CONFIG_VALUE_${count}`]: value,
  };
}
