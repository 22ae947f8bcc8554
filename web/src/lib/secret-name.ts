/** Workspace secrets: names are environment variable names, since they become the agent's environment. */

/** The Worker's rule (worker/api/secrets.ts SecretNameSchema); the API has the last word. */
export const SECRET_NAME = /^[A-Za-z_][A-Za-z0-9_]{0,127}$/;

export const WELL_KNOWN_SECRETS = ["ANTHROPIC_API_KEY", "GITHUB_TOKEN", "GOOGLE_DRIVE_TOKEN"] as const;

export function secretNameError(name: string): string {
  if (!name) return "Give the secret a name.";
  if (!SECRET_NAME.test(name))
    return "Letters, digits and underscores, not starting with a digit (an environment variable name).";
  return "";
}
