import type { ChildProcess } from "node:child_process";

export const root: string;
export function buildWeb(): void;
export function ensureDevVars(agentPort: number, options?: { containers?: boolean }): Record<string, string>;
export function waitFor(url: string, timeoutMs: number, child: ChildProcess): Promise<void>;
export interface Stack {
  url: string;
  /** Null when the caller runs the agent host (`agentURL`). */
  agent: ChildProcess | null;
  worker: ChildProcess;
  stop(): void;
}
export function startStack(options?: {
  port?: number;
  agentPort?: number;
  persistTo?: string;
  quiet?: boolean;
  agentEnv?: Record<string, string>;
  /** Extra Worker vars (`wrangler dev --var`). */
  vars?: Record<string, string>;
  /** An agent host the caller runs; none is started. */
  agentURL?: string;
  /** Each session's agent in a container of its own, through the Docker runner (on agentPort), instead of the agent host. */
  containers?: boolean;
}): Promise<Stack>;
