/**
 * The real agent host (containers/agent) as its own process, as `npm start` runs it, but from the prebuilt
 * bundle with plain `node`: killing it is a real crash, and starting it again costs no TypeScript compile.
 */
import { AGENT_BUNDLE, NODE, ROOT, bundleAgent } from "./bundles.ts";
import { Proc, waitUntilUp } from "./process.ts";

export async function startAgentHost(options: {
  port: number;
  env: Record<string, string>;
  verbose?: boolean;
}): Promise<Proc> {
  await bundleAgent();
  const agent = new Proc("agent", NODE, ["--enable-source-maps", AGENT_BUNDLE], {
    cwd: ROOT,
    env: { HOST: "127.0.0.1", ...options.env, PORT: String(options.port) },
    verbose: options.verbose,
  });
  await waitUntilUp(`http://127.0.0.1:${options.port}/health`, [agent], 30_000);
  return agent;
}
