/**
 * The attack suite's surroundings: the scriptable fake agent host (as for test/worker) and a tally that
 * every attack file reports its figures to, printed once the suite has run so they can be quoted.
 */
import { createServer } from "node:http";
import type { TestProject } from "vitest/node";
import { startFakeAgentHost } from "../fakes/agent-host";
import { newAgentKey } from "@tandem/protocol/agent-auth";
import { emptyFigures, mergeFigures, formatFigures, type Figures } from "./figures";

declare module "vitest" {
  export interface ProvidedContext {
    attackAgentPort: number;
    attackAgentKey: string;
    attackTallyPort: number;
  }
}

export default async function setup(project: TestProject) {
  const key = newAgentKey();
  const host = await startFakeAgentHost(key);
  let total: Figures = emptyFigures();
  const tally = createServer((req, res) => {
    let body = "";
    req.on("data", (chunk: Buffer) => (body += chunk.toString("utf8")));
    req.on("end", () => {
      total = mergeFigures(total, JSON.parse(body) as Figures);
      res.writeHead(204).end();
    });
  });
  await new Promise<void>((resolve) => tally.listen(0, "127.0.0.1", resolve));
  const address = tally.address();
  project.provide("attackAgentPort", host.port);
  project.provide("attackAgentKey", key);
  project.provide("attackTallyPort", typeof address === "object" && address ? address.port : 0);
  return async () => {
    console.log(formatFigures(total));
    await new Promise<void>((resolve) => tally.close(() => resolve()));
    await host.close();
  };
}
