/**
 * The agent host with the real Claude Code CLI against the fake Messages API, for one test file: one host,
 * one fake API scripted per test (tests in a file run one at a time), sessions opened like the DO opens them.
 */
import { readFile } from "node:fs/promises";
import { type AgentHost, startAgentHost } from "../../containers/agent/server";
import { type ModelGateway, startModelGateway } from "../../containers/agent/gateway";
import { type McpProxy, startMcpProxy } from "../../containers/agent/mcp-proxy";
import {
  type FakeAnthropic,
  type FakeBlock,
  type FakeResponse,
  type RecordedRequest,
  startFakeAnthropic,
} from "../fakes/anthropic";
import { DoClient, HOST_KEY, startFrame, tempDir } from "./helpers";

type Script = FakeResponse | ((request: RecordedRequest) => FakeResponse);

/** The host's key: the gateway holds it; nothing of the session's may show it. */
export const HOST_API_KEY = "sk-ant-host-key-that-stays-in-the-host-0123456789";

export interface ClaudeHarness {
  host: AgentHost;
  gateway: ModelGateway;
  /** The proxy Claude Code reaches the workspace's MCP servers through. */
  mcpProxy: McpProxy;
  api: FakeAnthropic;
  /** Queues responses, one per model request in order (Claude Code's retries take one each). */
  enqueue(...responses: Script[]): void;
  /** Drops the responses still queued (a test that scripted more than Claude Code asked for). */
  clear(): void;
  logs: string[];
  /** Opens a session and waits until its agent is ready and idle. */
  open(overrides?: Parameters<typeof startFrame>[1]): Promise<{ id: string; client: DoClient }>;
  close(): Promise<void>;
}

export async function startClaudeHarness(
  name: string,
  options: { graceMs?: number } = {},
): Promise<ClaudeHarness> {
  const api = await startFakeAnthropic();
  // The fake's queue answers through the harness's own, which a test can clear.
  const queue: Script[] = [];
  const dispatch = (request: RecordedRequest): FakeResponse => {
    api.enqueue(dispatch);
    const next = queue.shift();
    if (!next) return { kind: "error", status: 400, message: "fake anthropic: no scripted response left" };
    return typeof next === "function" ? next(request) : next;
  };
  api.enqueue(dispatch);
  const logs: string[] = [];
  const gateway = await startModelGateway({ log: (line) => logs.push(line) });
  const mcpProxy = await startMcpProxy();
  const host = await startAgentHost({
    key: HOST_KEY,
    port: 0,
    workspaceRoot: await tempDir(`tandem-${name}-`),
    archiveRoot: await tempDir(`tandem-${name}-arch-`),
    stateRoot: await tempDir(`tandem-${name}-state-`),
    graceMs: options.graceMs ?? 300,
    gateway,
    mcpProxy,
    // The gateway forwards to the fake API with the host's key: the real path of every model request.
    anthropic: { apiKey: HOST_API_KEY, baseURL: api.url },
    log: (line) => logs.push(line),
  });
  let counter = 0;
  return {
    host,
    gateway,
    mcpProxy,
    api,
    enqueue: (...responses) => void queue.push(...responses),
    clear: () => void queue.splice(0),
    logs,
    async open(overrides = {}) {
      const id = `${name}-${++counter}`;
      const client = await DoClient.connect(host.url, id);
      client.send(startFrame(id, overrides));
      await client.waitForStatus("idle");
      return { id, client };
    },
    async close() {
      await host.close();
      await gateway.close();
      await mcpProxy.close();
      await api.close();
    },
  };
}

export const reply = {
  text: (text: string, delayMs = 0): FakeResponse => ({
    kind: "message",
    content: [{ type: "text", text }],
    eventDelayMs: delayMs,
  }),
  blocks: (...content: FakeBlock[]): FakeResponse => ({ kind: "message", content }),
  tool: (id: string, name: string, input: unknown, text?: string): FakeResponse => ({
    kind: "message",
    content: [...(text ? [{ type: "text" as const, text }] : []), { type: "tool_use", id, name, input }],
  }),
};

/** The text of everything a request sent (system prompt and messages), to look for what the model was told. */
export function sentText(request: RecordedRequest): string {
  return JSON.stringify([request.body.system, request.body.messages]);
}

/** The last message of a request, as text. */
export function lastMessage(request: RecordedRequest): string {
  return JSON.stringify(request.body.messages.at(-1));
}

/** A process's environment (Linux), or null once it is gone. */
export async function environOf(pid: number): Promise<Record<string, string> | null> {
  const raw = await readFile(`/proc/${pid}/environ`, "utf8").catch(() => null);
  if (raw === null) return null;
  return Object.fromEntries(
    raw
      .split("\0")
      .filter(Boolean)
      .map((pair) => [pair.slice(0, pair.indexOf("=")), pair.slice(pair.indexOf("=") + 1)]),
  );
}
