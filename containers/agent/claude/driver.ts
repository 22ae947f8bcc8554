/**
 * One agent incarnation's Claude Code: one `query()` in streaming-input mode for the incarnation's whole
 * life. People's messages are pushed as they arrive; Claude Code's messages become frames (frames.ts); the
 * agent's status follows its turns (`working` from a message until the turn's result with nothing queued,
 * `waiting_input` while a question waits for a person). Stop interrupts the turn, then kills the CLI and
 * everything it started (process.ts). A CLI that ends on its own is a lost incarnation: `onLost`.
 */
import { type Query, type SDKResultMessage, type SpawnOptions, query } from "@anthropic-ai/claude-agent-sdk";
import type { AgentStatus, AskedQuestion } from "@tandem/protocol/agent";
import type { PermissionMode } from "@tandem/protocol/session-config";
import type { OutFrame } from "../outbox";
import { FrameTranslator } from "./frames";
import { connections } from "./mcp";
import { PromptStream } from "./input";
import { type QueryOptionsInput, queryOptions } from "./options";
import { type Answer, type ApprovalRequest, claudeMode, type Decision, toolPermissions } from "./permissions";
import { readPlan } from "./plan-file";
import { ContainedProcess, type LaunchOptions } from "./process";

/** Tools that cannot change the workspace: a turn that ran only these leaves nothing new to archive. */
const READ_ONLY_TOOLS = new Set([
  "Read",
  "Glob",
  "Grep",
  "WebFetch",
  "WebSearch",
  "TodoWrite",
  "AskUserQuestion",
  "ToolSearch",
  "ListMcpResourcesTool",
  "ReadMcpResourceTool",
]);

/** Claude Code's MCP statuses are asked again this often while one is still pending, for at most MCP_STATUS_POLLS times. */
const MCP_STATUS_POLL_MS = 1000;
const MCP_STATUS_POLLS = 30;

/** How long a stop waits for Claude Code to end the interrupted turn (tens of ms when the machine is not starved) before the tree is killed: the stop has 2 s in all, the workspace's archive included. */
const INTERRUPT_GRACE_MS = 400;

export interface TurnOutcome {
  /** The API's (or Claude Code's) error when the turn failed; null when it ended normally or was stopped. */
  error: string | null;
  /** A tool that can change files ran in this turn. */
  touched: boolean;
  /** Messages pushed that no turn has read yet: Claude Code starts the next turn at once. */
  queued: number;
}

export interface DriverOptions extends Omit<QueryOptionsInput, "canUseTool" | "spawn"> {
  launch: Omit<LaunchOptions, "tag"> & { tag: string };
  /** Prefix of the transcript message ids this incarnation makes. */
  idPrefix: string;
  emit(frame: OutFrame): void;
  sessionId(id: string): void;
  /** A person's message (by its uuid) is in the conversation now. */
  consumed(uuid: string): void;
  /** A turn ended; the session archives what it changed. Status goes idle after this settles, if nothing is queued. */
  turnEnded(outcome: TurnOutcome): Promise<void>;
  /** The question was answered (the answer is in the conversation now). */
  answered(answer: Answer & { seq: number }): void;
  /** Drops the end of a cut text that could be the head of a secret (the session's redaction). */
  cut(head: string): string;
  /** Claude Code ended without being asked to; `started`: after it had answered its initialize. */
  lost(reason: string, started: boolean): void;
  log(line: string): void;
}

type PendingQuestion = { resolve(answer: (Answer & { seq: number }) | null): void };
type PendingApproval = { resolve(decision: Decision | null): void };

export class ClaudeDriver {
  readonly #options: DriverOptions;
  readonly #input = new PromptStream();
  readonly #frames: FrameTranslator;
  readonly #query: Query;
  #process: ContainedProcess | null = null;
  #status: AgentStatus | null = null;
  /** Pushed, not yet read into the conversation. */
  readonly #queued = new Set<string>();
  #turnRunning = false;
  #touched = false;
  #question: PendingQuestion | null = null;
  /** Tool calls (or a plan) waiting for the team's decision, by tool use id. */
  readonly #approvals = new Map<string, PendingApproval>();
  #mode: PermissionMode;
  #apiError: string | null = null;
  #stopping = false;
  #started = false;
  #ended = false;
  #turnResult: (() => void) | null = null;

  constructor(options: DriverOptions) {
    this.#options = options;
    this.#mode = options.config.permissionMode;
    this.#frames = new FrameTranslator(
      {
        emit: (frame) => this.#emitToolFrame(frame),
        consumed: (uuid) => {
          this.#queued.delete(uuid);
          this.#turnRunning = true;
          options.consumed(uuid);
        },
        toolStarted: (name) => {
          if (!READ_ONLY_TOOLS.has(name)) this.#touched = true;
        },
        turnEnded: (result) => void this.#turnEnded(result),
        sessionId: (id) => options.sessionId(id),
        cut: (head) => options.cut(head),
      },
      options.idPrefix,
    );
    this.#query = query({
      prompt: this.#input,
      options: queryOptions({
        ...options,
        canUseTool: toolPermissions({
          ask: (question, signal) => this.#ask(question, signal),
          approve: (request, signal) => this.#approve(request, signal),
        }),
        spawn: (spawnOptions: SpawnOptions) => {
          this.#process = ContainedProcess.launch(spawnOptions, options.launch);
          return this.#process.spawned;
        },
      }),
    });
    this.#query.initializationResult().then(
      () => {
        this.#started = true;
        void this.#reportMcp();
      },
      () => undefined,
    );
    void this.#consume();
  }

  get status(): AgentStatus | null {
    return this.#status;
  }

  get permissionMode(): PermissionMode {
    return this.#mode;
  }

  get waitingForAnswer(): boolean {
    return this.#question !== null;
  }

  setStatus(state: AgentStatus): void {
    if (state === this.#status) return;
    this.#status = state;
    this.#options.emit({ type: "status", state });
  }

  /** A person's message for Claude: a new turn when idle, read with the next tool result when working. */
  send(text: string): string {
    const uuid = this.#input.push(text);
    this.#queued.add(uuid);
    if (this.#status !== "waiting_input") this.setStatus("working");
    return uuid;
  }

  /** The answer to the pending question (the session routes the next message here while one waits). */
  answer(answer: Answer & { seq: number }): void {
    const question = this.#question;
    this.#question = null;
    question?.resolve(answer);
  }

  /** A decision the room took on an approval; false when no call waits for it (answered, stopped, another incarnation's). */
  decide(approvalId: string, decision: Decision): boolean {
    const pending = this.#approvals.get(approvalId);
    if (!pending) return false;
    this.#approvals.delete(approvalId);
    pending.resolve(decision);
    return true;
  }

  /** The session's permission mode changed (PATCH while Running): Claude Code's from its next tool call. */
  async setPermissionMode(mode: PermissionMode): Promise<void> {
    if (mode === this.#mode) return;
    this.#mode = mode;
    await this.#query.setPermissionMode(claudeMode(mode));
  }

  /** The session's model changed: Claude Code asks for it from its next request (the gateway's route forces it too). */
  async setModel(model: string): Promise<void> {
    await this.#query.setModel(model);
  }

  /** A model request the gateway could not forward, with the API's own error: the turn's error, if it fails (the first of its retries). */
  noteApiError(error: { status: number; type: string; message: string }): void {
    this.#apiError ??= `${error.type} (${error.status}): ${error.message}`;
  }

  /** The MCP servers' connections, from Claude Code's start until none is pending (the session's sidebar shows them). */
  async #reportMcp(): Promise<void> {
    const { mcp } = this.#options;
    if (Object.keys(mcp.configs).length === 0 && mcp.refused.length === 0) return;
    let said = "";
    for (let poll = 0; poll < MCP_STATUS_POLLS && !this.#stopping && !this.#ended; poll++) {
      const statuses = Object.keys(mcp.configs).length
        ? await this.#query.mcpServerStatus().catch(() => null)
        : [];
      if (statuses === null || this.#stopping) return;
      const servers = connections(statuses, mcp);
      const text = JSON.stringify(servers);
      if (text !== said) this.#options.emit({ type: "mcp_status", servers });
      said = text;
      if (!servers.some((server) => server.status === "pending")) return;
      await new Promise((resolve) => setTimeout(resolve, MCP_STATUS_POLL_MS));
    }
  }

  async #ask(
    question: { toolUseId: string; text: string; questions: AskedQuestion[] },
    signal: AbortSignal,
  ): Promise<Answer | null> {
    if (this.#stopping) return null;
    const messageId = this.#frames.currentMessage;
    this.#options.emit({
      type: "question",
      id: question.toolUseId,
      messageId,
      text: question.text,
      questions: question.questions,
    });
    this.setStatus("waiting_input");
    const answer = await new Promise<(Answer & { seq: number }) | null>((resolve) => {
      this.#question = { resolve };
      signal.addEventListener("abort", () => resolve(null), { once: true });
    });
    this.#question = null;
    if (!answer) return null;
    this.#options.answered(answer);
    this.setStatus("working");
    return answer;
  }

  async #approve(request: ApprovalRequest, signal: AbortSignal): Promise<Decision | null> {
    if (this.#stopping) return null;
    // A call asked about after the team switched to `auto` goes ahead as every other in `auto` does.
    if (this.#mode === "auto" && request.kind === "tool") return { decision: "allow", author: "auto" };
    const messageId = this.#frames.currentMessage;
    // Claude Code keeps the plan in its plan file, not in ExitPlanMode's input: the card shows the file's text.
    // The plan file's path is the host's, not the team's business: the card shows the plan only.
    const input =
      request.kind === "plan"
        ? {
            plan:
              typeof request.input.plan === "string"
                ? request.input.plan
                : await readPlan(this.#options.paths.claudeConfig),
          }
        : request.input;
    this.#options.emit({
      type: "approval",
      id: request.toolUseId,
      messageId,
      kind: request.kind,
      tool: request.tool,
      input,
    });
    this.setStatus("waiting_input");
    const decision = await new Promise<Decision | null>((resolve) => {
      this.#approvals.set(request.toolUseId, { resolve });
      signal.addEventListener("abort", () => resolve(null), { once: true });
    });
    const stillWaiting = this.#approvals.delete(request.toolUseId);
    if (!decision) {
      if (stillWaiting)
        this.#options.emit({
          type: "approval_closed",
          id: request.toolUseId,
          reason: this.#stopping ? "the session stopped" : "the turn was interrupted",
        });
      return null;
    }
    if (request.kind === "plan" && decision.decision !== "deny") this.#mode = decision.mode ?? "ask";
    if (this.#approvals.size === 0 && !this.#question) this.setStatus("working");
    return decision;
  }

  #emitToolFrame(frame: OutFrame): void {
    // A result that arrives while a stop cuts the turn is the stop's: shown as stopped.
    if (frame.type === "tool_result" && this.#stopping) {
      this.#options.emit({
        ...frame,
        output: `${frame.output}${frame.output ? "\n" : ""}[stopped]`,
        isError: true,
        stopped: true,
      });
      return;
    }
    this.#options.emit(frame);
  }

  async #consume(): Promise<void> {
    let failure = "Claude Code ended";
    try {
      for await (const message of this.#query) this.#frames.translate(message);
    } catch (error) {
      failure = `Claude Code failed: ${error instanceof Error ? error.message : String(error)}`;
    }
    this.#ended = true;
    this.#turnResult?.();
    if (this.#stopping) return;
    const code = this.#process?.child.exitCode;
    this.#options.lost(
      code === null || code === undefined ? failure : `${failure} (exit code ${code})`,
      this.#started,
    );
  }

  async #turnEnded(result: SDKResultMessage): Promise<void> {
    this.#turnRunning = false;
    const touched = this.#touched;
    this.#touched = false;
    const apiError = this.#apiError;
    this.#apiError = null;
    this.#turnResult?.();
    if (this.#stopping) return;
    const error = result.is_error ? (apiError ?? resultError(result)) : null;
    if (error) this.#options.emit({ type: "turn_error", message: error });
    this.#options.emit({ type: "turn_end" });
    await this.#options.turnEnded({ error, touched, queued: this.#queued.size });
    if (!this.#stopping && this.#queued.size === 0 && !this.#turnRunning) this.setStatus("idle");
  }

  /**
   * Stop: the turn in flight is interrupted (the running command is cancelled, a pending question
   * released), then the CLI and everything it started are killed. Tool calls left open show as stopped.
   * Resolves with whether the workspace may have changed since the last turn that ended.
   */
  async stop(): Promise<{ touched: boolean }> {
    if (this.#stopping) return { touched: false };
    this.#stopping = true;
    this.#question?.resolve(null);
    this.#releaseApprovals();
    const inTurn = this.#turnRunning || this.#queued.size > 0;
    if (this.#turnRunning && !this.#ended) {
      const ended = new Promise<void>((resolve) => {
        this.#turnResult = resolve;
      });
      this.#query.interrupt().catch(() => undefined);
      await Promise.race([ended, new Promise((resolve) => setTimeout(resolve, INTERRUPT_GRACE_MS))]);
    }
    await this.#shutDown();
    this.#frames.stopOpenTools();
    if (inTurn) this.#options.emit({ type: "turn_end" });
    return { touched: this.#touched || inTurn };
  }

  /** Kills everything at once (the session is going away). */
  async dispose(): Promise<void> {
    this.#stopping = true;
    this.#question?.resolve(null);
    this.#releaseApprovals();
    await this.#shutDown();
  }

  /** A stop releases every call waiting for a decision: none can be answered any more. */
  #releaseApprovals(): void {
    for (const [id, pending] of this.#approvals) {
      this.#options.emit({ type: "approval_closed", id, reason: "the session stopped" });
      pending.resolve(null);
    }
    this.#approvals.clear();
  }

  async #shutDown(): Promise<void> {
    this.#input.close();
    this.#query.close();
    await this.#process?.kill();
  }
}

/** What Claude Code says went wrong in a turn that failed, when the gateway said nothing. */
function resultError(result: SDKResultMessage): string {
  if (result.subtype === "success") return result.result || "the turn failed";
  return result.errors.join("; ") || `the turn ended with ${result.subtype}`;
}
