import type { ChildProcess } from "node:child_process";

export const root: string;
export function buildWeb(): void;
export function ensureDevVars(agentPort: number): Record<string, string>;
export function waitFor(url: string, timeoutMs: number, child: ChildProcess): Promise<void>;
export interface Stack {
  url: string;
  agent: ChildProcess;
  worker: ChildProcess;
  stop(): void;
}
export function startStack(options?: {
  port?: number;
  agentPort?: number;
  persistTo?: string;
  quiet?: boolean;
  agentEnv?: Record<string, string>;
}): Promise<Stack>;
