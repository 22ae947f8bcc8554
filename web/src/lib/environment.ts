/** The environment page's variables as text: one `NAME=value` a line (the value may hold `=`). */
import { ENV_NAME } from "@tandem/protocol/environment";

export function variablesText(env: Record<string, string>): string {
  return Object.entries(env)
    .map(([name, value]) => `${name}=${value}`)
    .join("\n");
}

/** The variables a text holds, or the first line that is not `NAME=value` with a valid name. */
export function parseVariables(text: string): { env: Record<string, string>; error?: string } {
  const env: Record<string, string> = {};
  for (const [index, line] of text.split("\n").entries()) {
    if (!line.trim()) continue;
    const at = line.indexOf("=");
    const name = at < 0 ? line.trim() : line.slice(0, at).trim();
    if (at < 0 || !ENV_NAME.test(name))
      return {
        env,
        error: `Line ${index + 1}: write NAME=value, the name in capitals, digits and underscores.`,
      };
    env[name] = line.slice(at + 1);
  }
  return { env };
}
