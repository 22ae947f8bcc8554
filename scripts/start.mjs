// `npm start`: the whole product on http://localhost:8787 (agent host on 8788), until Ctrl-C.
// `npm start -- --containers`: the same, with each session's agent in a container of its own started from
// the agent image by the Docker runner (on 8788), as Cloudflare Containers run it in production.
import { buildWeb, startStack } from "./stack.mjs";

const containers = process.argv.includes("--containers");
buildWeb();
const stack = await startStack({ containers });
const agent = containers
  ? "sessions in containers of the agent image, through the Docker runner on http://127.0.0.1:8788; offline model unless the workspace has an ANTHROPIC_API_KEY secret"
  : `agent host on http://127.0.0.1:8788, ${process.env.ANTHROPIC_API_KEY ? "Anthropic model" : "offline model: set ANTHROPIC_API_KEY for Claude"}`;
console.log(`\n  Tandem is running at ${stack.url}  (${agent})\n`);
for (const signal of ["SIGINT", "SIGTERM"]) process.on(signal, () => (stack.stop(), process.exit(0)));
for (const child of [stack.agent, stack.worker])
  child.on("exit", (code) => (stack.stop(), process.exit(code ?? 1)));
