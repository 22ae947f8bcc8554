/**
 * The Claude tool loop: one turn = model calls and tool runs until the model ends its turn. People's
 * messages that arrive meanwhile are added right after the current tool results (interrupting). A stop
 * aborts the turn at once: the model stream and the running command are cancelled, what was streamed stays.
 */
import type Anthropic from "@anthropic-ai/sdk";
import type { AgentStatus, TurnUsage } from "@tandem/protocol/agent";
import type { SessionConfig } from "@tandem/protocol/session-config";
import { CATALOG, entryOf } from "@tandem/protocol/models";
import { ContextKeeper, type Overflow } from "./context";
import { appendContent, authored } from "./history";
import type { Inbox, Input } from "./inbox";
import { type Model, ModelError } from "./models/types";
import type { OutFrame } from "./outbox";
import { type AssistantResponse, readResponse } from "./response";
import type { Redactor } from "./secrets";
import { ASK_USER, WRITING_TOOLS, parseAskUser, runTool, toolDefinitions } from "./tools/index";
import type { ArtifactTracker } from "./workspace";

/** A turn that keeps calling tools this many times is ended: it is almost certainly stuck. */
const MAX_STEPS_PER_TURN = 100;

/** `fatal`: the session cannot go on (its message is for the `error` frame the session sends). */
export type TurnOutcome = { kind: "ended" | "turn_error" | "aborted" } | { kind: "fatal"; message: string };

export interface LoopOptions {
  model: Model;
  config: SessionConfig;
  system: string;
  messages?: Anthropic.MessageParam[];
  workspace: string;
  env: NodeJS.ProcessEnv;
  redactor: Redactor;
  inbox: Inbox;
  artifacts?: ArtifactTracker;
  emit(frame: OutFrame): void;
  /** Aborted when the session is disposed: the model request and running tools stop. */
  signal: AbortSignal;
  /** The model's context window in tokens; default the catalog's (tests use a small one). */
  contextWindow?: number;
}

export class AgentLoop {
  readonly messages: Anthropic.MessageParam[];
  readonly #options: LoopOptions;
  readonly #tools = toolDefinitions();
  readonly #idPrefix = Date.now().toString(36);
  #messageCount = 0;
  /** null until the first status is sent, so the initial `idle` is sent too. */
  #status: AgentStatus | null = null;
  /** Set by stop: a pending question is released and the turn in flight is aborted. */
  #stopping = false;
  /** Aborts the turn in flight (stop); the session's own signal aborts it too (dispose). */
  #turn: AbortController | null = null;
  #workspaceTouched = false;
  #endOfLifeSaid = false;

  readonly #context: ContextKeeper;

  constructor(options: LoopOptions) {
    this.#options = options;
    this.messages = options.messages ?? [];
    this.#context = new ContextKeeper({
      model: options.model,
      window: options.contextWindow ?? entryOf(CATALOG, options.config.model).contextWindow,
      notice: (kind, detail) => options.emit({ type: "notice", kind, detail }),
    });
  }

  /** What context management did so far (figures for tests and benchmarks). */
  get contextStats(): ContextKeeper["stats"] {
    return this.#context.stats;
  }

  get model(): Model["kind"] {
    return this.#options.model.kind;
  }

  get status(): AgentStatus | null {
    return this.#status;
  }

  setStatus(state: AgentStatus): void {
    if (state === this.#status) return;
    this.#status = state;
    this.#options.emit({ type: "status", state });
  }

  requestStop(): void {
    this.#stopping = true;
    this.#turn?.abort();
    this.#options.inbox.cancelWait();
  }

  /** Whether a tool that can change files ran since the last call. */
  takeWorkspaceTouched(): boolean {
    const touched = this.#workspaceTouched;
    this.#workspaceTouched = false;
    return touched;
  }

  /** Adds queued messages to the conversation (after `lead`, e.g. tool results) and reports them consumed. */
  #consumeQueued(lead: Anthropic.ContentBlockParam[]): void {
    const queued = this.#options.inbox.takeAll();
    const texts = queued.map((input): Anthropic.TextBlockParam => ({ type: "text", text: authored(input.author, input.text) }));
    appendContent(this.messages, "user", [...lead, ...texts]);
    this.#reportConsumed(queued);
  }

  #reportConsumed(inputs: readonly Input[]): void {
    if (!inputs.length) return;
    const upTo = this.#options.inbox.markConsumed(inputs.map((i) => i.seq));
    if (upTo !== null) this.#options.emit({ type: "input_consumed", upTo });
  }

  /** Runs one turn from the queued messages to the model's end_turn (or an error). */
  async runTurn(): Promise<TurnOutcome> {
    const turn = new AbortController();
    this.#turn = turn;
    try {
      return await this.#runTurn(AbortSignal.any([this.#options.signal, turn.signal]));
    } finally {
      this.#turn = null;
    }
  }

  async #runTurn(signal: AbortSignal): Promise<TurnOutcome> {
    const { emit } = this.#options;
    if (this.#stopping) return { kind: "aborted" };
    this.setStatus("working");
    this.#sayEndOfLife();
    this.#consumeQueued([]);
    const usage: TurnUsage = { inputTokens: 0, outputTokens: 0, cacheReadTokens: 0, cacheWriteTokens: 0 };
    // An overflow the estimate missed is retried once, after a harder trim; a second one ends the turn.
    let overflowRetried = false;
    let trimHard: Overflow | null = null;
    for (let step = 0; step < MAX_STEPS_PER_TURN; step++) {
      const messageId = `msg-${this.#idPrefix}-${++this.#messageCount}`;
      const request = { config: this.#options.config, system: this.#options.system, tools: this.#tools, messages: this.messages };
      let response;
      try {
        await this.#context.fit(request, signal, { hard: trimHard });
        trimHard = null;
        response = await readResponse(this.#options.model.stream({ ...request, signal }), messageId, emit);
      } catch (error) {
        // Stopped mid-stream: the text streamed so far is in the transcript already.
        if (signal.aborted) return this.#aborted(usage);
        const failure = error instanceof ModelError ? error : new ModelError(String(error), false);
        if (failure.overflow && !overflowRetried) {
          overflowRetried = true;
          trimHard = failure.overflow;
          step--;
          continue;
        }
        if (failure.fatal) return { kind: "fatal", message: failure.message };
        emit({ type: "turn_error", message: failure.message });
        return { kind: "turn_error" };
      }
      this.#context.recordSent(this.messages, response.inputTokens + response.cacheReadTokens + response.cacheWriteTokens);
      addResponseUsage(usage, response);
      appendContent(this.messages, "assistant", response.content);
      if (!response.toolUses.length) break;
      const results: Anthropic.ToolResultBlockParam[] = [];
      for (const use of response.toolUses) {
        if (signal.aborted) this.#emitStopped(use, "");
        else results.push(await this.#runToolUse(use, messageId, signal));
      }
      if (signal.aborted) return this.#aborted(usage);
      this.#consumeQueued(results);
    }
    emit({ type: "turn_end", usage });
    return { kind: "ended" };
  }

  /** A model with an end-of-life date is said once, as an event (the SDK's own warning is not printed: models/anthropic.ts). */
  #sayEndOfLife(): void {
    if (this.#endOfLifeSaid || this.#options.model.kind !== "anthropic") return;
    this.#endOfLifeSaid = true;
    const entry = entryOf(CATALOG, this.#options.config.model);
    if (entry.endOfLife === null) return;
    const successor = entry.successor ? `; its successor is ${entry.successor}` : "";
    this.#options.emit({ type: "notice", kind: "model_deprecated", detail: `${entry.id} is deprecated and reaches its end of life on ${entry.endOfLife}${successor}` });
  }

  #aborted(usage: TurnUsage): TurnOutcome {
    this.#options.emit({ type: "turn_end", usage });
    return { kind: "aborted" };
  }

  /** A tool block the stop cut short: marked stopped, with what it wrote until then. */
  #emitStopped(use: Anthropic.ToolUseBlockParam, output: string): void {
    if (use.name === ASK_USER) return;
    const text = `${output}${output ? "\n" : ""}[stopped]`;
    this.#options.emit({ type: "tool_result", id: use.id, output: text, isError: true, stopped: true });
  }

  async #runToolUse(use: Anthropic.ToolUseBlockParam, messageId: string, signal: AbortSignal): Promise<Anthropic.ToolResultBlockParam> {
    const { emit, redactor } = this.#options;
    if (use.name === ASK_USER) return this.#askUser(use, messageId);
    if (WRITING_TOOLS.has(use.name)) this.#workspaceTouched = true;
    const outcome = await runTool(use.name, use.input, { workspace: this.#options.workspace, env: this.#options.env, signal, cut: (head) => redactor.cut(head) });
    const output = redactor.text(outcome.output);
    if (signal.aborted) {
      this.#emitStopped(use, output);
      return { type: "tool_result", tool_use_id: use.id, content: `${output}\n[stopped]`, is_error: true };
    }
    emit({ type: "tool_result", id: use.id, output, isError: outcome.isError });
    if (WRITING_TOOLS.has(use.name) && this.#options.artifacts) {
      for (const artifact of await this.#options.artifacts.scan()) emit({ type: "artifact", ...artifact });
    }
    return { type: "tool_result", tool_use_id: use.id, content: output, is_error: outcome.isError };
  }

  async #askUser(use: Anthropic.ToolUseBlockParam, messageId: string): Promise<Anthropic.ToolResultBlockParam> {
    const input = parseAskUser(use.input);
    if (!input) return { type: "tool_result", tool_use_id: use.id, content: "ask_user needs a non-empty `question`", is_error: true };
    if (this.#stopping) return { type: "tool_result", tool_use_id: use.id, content: "the session is stopping; no one can answer", is_error: true };
    this.#options.emit({ type: "question", id: use.id, messageId, text: input.question });
    this.setStatus("waiting_input");
    const answer = await this.#options.inbox.waitForAnswer();
    if (!answer) return { type: "tool_result", tool_use_id: use.id, content: "the session was stopped before anyone answered", is_error: true };
    this.setStatus("working");
    this.#reportConsumed([answer]);
    return { type: "tool_result", tool_use_id: use.id, content: authored(answer.author, answer.text) };
  }
}

/** Adds one model response's tokens to the turn's. */
function addResponseUsage(usage: TurnUsage, response: AssistantResponse): void {
  usage.inputTokens += response.inputTokens;
  usage.outputTokens += response.outputTokens;
  usage.cacheReadTokens = (usage.cacheReadTokens ?? 0) + response.cacheReadTokens;
  usage.cacheWriteTokens = (usage.cacheWriteTokens ?? 0) + response.cacheWriteTokens;
}
