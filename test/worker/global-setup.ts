import type { TestProject } from "vitest/node";
import { startFakeAgentHost } from "../fakes/agent-host";
import { newAgentKey } from "@tandem/protocol/agent-auth";

declare module "vitest" {
  export interface ProvidedContext {
    fakeAgentPort: number;
    fakeAgentKey: string;
  }
}

export default async function setup(project: TestProject) {
  const key = newAgentKey();
  const host = await startFakeAgentHost(key);
  project.provide("fakeAgentPort", host.port);
  project.provide("fakeAgentKey", key);
  return () => host.close();
}
