/**
 * What the room tells an agent when it (re)attaches, and what it sends it between: the start frame (the
 * session's settings, repositories, the workspace's secrets and MCP servers, the history to continue from,
 * where the agent's frames were acknowledged up to) and each queued input as its frame.
 */
import type { Env } from "../env";
import {
  DecisionFrameSchema,
  type DecisionFrame,
  type HistoryMessage,
  type StartFrame,
  type ToAgentFrame,
} from "../protocol/agent";
import { getEnvironment } from "../db/environments";
import { loadWorkspaceSecrets } from "../secrets";
import { mcpHeaderValues, sessionMcpServers } from "../secrets/mcp-servers";
import type { FrameRedaction } from "./frame-redaction";
import type { SessionRecord } from "./record";
import type { Input } from "./storage";

/**
 * The start frame of a run or a reattach. It also tells `redaction` every secret value to keep out of what
 * the agent sends back (retired ones and MCP header values too), while only the `agent` scope goes to it.
 */
export async function startFrame(
  env: Env,
  record: SessionRecord,
  run: { workflow: StartFrame["workflow"]; history: HistoryMessage[]; redaction: FrameRedaction },
): Promise<StartFrame> {
  const [secrets, environment] = await Promise.all([
    loadWorkspaceSecrets(env, record.workspaceId),
    getEnvironment(env.DB, record.workspaceId),
  ]);
  // The agent's MCP headers reach the agent too: they may name `agent` secrets only.
  const mcpServers = await sessionMcpServers(env, record.workspaceId, secrets.forAgent, env.AUTH_MODE);
  run.redaction.setSecrets([...secrets.redact, ...mcpHeaderValues(mcpServers)]);
  return {
    type: "start",
    sessionId: record.id,
    config: record.config,
    workflow: run.workflow,
    repos: record.repos,
    secrets: secrets.forAgent,
    mcpServers,
    history: run.history,
    ackedUpTo: record.agentSeq,
    incarnation: record.agentIncarnation,
    restore: record.savedWorkspace !== null,
    // Read at every start: a run that sets up (a fresh one) uses the environment as it is now.
    ...(environment ? { environment: { setupScript: environment.setupScript, env: environment.env } } : {}),
  };
}

/** A queued input as the agent takes it: a person's message, an answer to a question, or an approval's decision. */
export function inputFrame({ seq, kind, text, authorName: author }: Input): ToAgentFrame {
  if (kind === "answer") return { type: "answer", seq, text, author };
  if (kind === "decision") return { type: "decision", seq, author, ...decisionOf(text) };
  return { type: "user_message", seq, text, author };
}

/** A decision as the input queue keeps it (its JSON, written by state.ts): the frame's fields but seq and author. */
function decisionOf(text: string): Omit<DecisionFrame, "type" | "seq" | "author"> {
  const {
    type: _type,
    seq: _seq,
    author: _author,
    ...decision
  } = DecisionFrameSchema.parse({ type: "decision", seq: 0, author: "", ...(JSON.parse(text) as object) });
  return decision;
}
