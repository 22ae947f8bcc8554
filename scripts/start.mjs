// `npm start`: the whole product on http://localhost:8787 (agent host on 8788), until Ctrl-C.
import { buildWeb, startStack } from "./stack.mjs";

buildWeb();
const stack = await startStack();
console.log(`\n  Tandem is running at ${stack.url}  (agent host on http://127.0.0.1:8788, ${process.env.ANTHROPIC_API_KEY ? "Anthropic model" : "offline model: set ANTHROPIC_API_KEY for Claude"})\n`);
for (const signal of ["SIGINT", "SIGTERM"]) process.on(signal, () => (stack.stop(), process.exit(0)));
for (const child of [stack.agent, stack.worker]) child.on("exit", (code) => (stack.stop(), process.exit(code ?? 1)));
