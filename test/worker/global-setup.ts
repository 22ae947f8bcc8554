import type { TestProject } from "vitest/node";
import { startFakeAgentHost } from "../fakes/agent-host";

declare module "vitest" {
  export interface ProvidedContext {
    fakeAgentPort: number;
  }
}

export default async function setup(project: TestProject) {
  const host = await startFakeAgentHost();
  project.provide("fakeAgentPort", host.port);
  return () => host.close();
}
